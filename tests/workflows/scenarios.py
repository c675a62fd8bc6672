"""Representative runs whose histories are committed for the replay tests."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from casework.contracts import CaseAction, CaseView, OutsideEvent, TaskAction
from casework.language.plan import Plan
from tests.workflows.helpers import (
    Fakes,
    actor,
    definition,
    make_plan,
    start_case,
    wait_for,
    wait_task,
)
from workflows.case import CaseWorkflow

Handle = WorkflowHandle[CaseWorkflow, CaseView]
Scenario = Callable[[Client, WorkflowEnvironment, str, Fakes], Awaitable[tuple[Handle, list[Plan]]]]
FRED = actor("fred", "frontline")


async def complaint(
    client: Client, env: WorkflowEnvironment, tq: str, fakes: Fakes
) -> tuple[Handle, list[Plan]]:
    """Task with form and outcomes, action, notify, decision, set, end."""
    plan = make_plan(
        definition(
            [
                {
                    "id": "triage",
                    "kind": "task",
                    "assign": {"role": "frontline"},
                    "form": {"category": {"type": "enum", "values": ["billing", "other"]}},
                    "outcomes": [{"outcome": "refund"}, {"outcome": "close", "next": "closed"}],
                    "first_response": True,
                },
                {
                    "id": "refund",
                    "kind": "action",
                    "activity": "billing.issue_refund",
                    "input": {"amount": "case.amount"},
                    "set": {"reason": "result.id"},
                },
                {"id": "tell", "kind": "notify", "to": {"customer": True}, "template": "t"},
                {
                    "id": "check",
                    "kind": "decision",
                    "when": [{"if": "case.amount > 100.0", "next": "big"}],
                    "otherwise": "fine",
                },
                {"id": "big", "kind": "set", "values": {"flag": "true"}},
                {"id": "fine", "kind": "end", "status": "resolved", "outcome": "resolved"},
                {"id": "closed", "kind": "end", "status": "closed"},
            ],
            process="replay-complaint",
            templates={"t": {"body": "Refund ${steps.refund.result.id}"}},
        )
    )
    h = await start_case(
        client, plan, tq, {"customer": "Ann", "amount": 150.0}, case_id="C-260101-AAAAA1"
    )
    await wait_task(h, f"{h.id}.triage.1")
    await h.execute_update(
        CaseWorkflow.complete,
        TaskAction(
            task_id=f"{h.id}.triage.1", actor=FRED, outcome="refund", form={"category": "billing"}
        ),
    )
    await h.result()
    return h, [plan]


async def approvals(
    client: Client, env: WorkflowEnvironment, tq: str, fakes: Fakes
) -> tuple[Handle, list[Plan]]:
    """Quorum approval, then a veto."""
    fakes.eligible = {"coordinator": ["cara", "cato", "rex"]}
    plan = make_plan(
        definition(
            [
                {
                    "id": "peer",
                    "kind": "approval",
                    "approvers": {"role": "coordinator"},
                    "decide": "quorum",
                    "quorum": 2,
                    "four_eyes": True,
                    "on": {"approved": "senior", "rejected": "no"},
                },
                {
                    "id": "senior",
                    "kind": "approval",
                    "approvers": {"role": "coordinator"},
                    "decide": "any",
                    "veto": ["regional-manager"],
                    "on": {"approved": "yes", "rejected": "no"},
                },
                {"id": "yes", "kind": "end", "status": "completed"},
                {"id": "no", "kind": "end", "status": "rejected"},
            ],
            process="replay-approvals",
        )
    )
    h = await start_case(client, plan, tq, {"customer": "Ann"}, case_id="C-260101-AAAAA2")
    await wait_task(h, f"{h.id}.peer.1")
    for who in ("cara", "cato"):
        await h.execute_update(
            CaseWorkflow.approve,
            TaskAction(task_id=f"{h.id}.peer.1", actor=actor(who, "coordinator")),
        )
    await wait_task(h, f"{h.id}.senior.1")
    await h.execute_update(
        CaseWorkflow.reject,
        TaskAction(
            task_id=f"{h.id}.senior.1", actor=actor("rex", "coordinator", "regional-manager")
        ),
    )
    await h.result()
    return h, [plan]


async def parallel_sla(
    client: Client, env: WorkflowEnvironment, tq: str, fakes: Fakes
) -> tuple[Handle, list[Plan]]:
    """Parallel any-join with a customer wait, SLA clocks with a ladder, priority change."""
    sla = {
        "name": "std",
        "time": "business",
        "calendar": "emea",
        "targets": {
            "normal": {"first_response": "2bh", "resolution": "1bd"},
            "high": {"first_response": "1bh", "resolution": "4bh"},
        },
    }
    ladder = {
        "name": "lad",
        "levels": [
            {"level": 1, "at_percent": 50, "actions": [{"notify": "team-lead"}]},
            {"level": 2, "at_percent": 100, "actions": [{"raise_priority": True}]},
        ],
    }
    plan = make_plan(
        definition(
            [
                {
                    "id": "fan",
                    "kind": "parallel",
                    "join": "any",
                    "branches": [
                        {
                            "id": "talk",
                            "steps": [
                                {
                                    "id": "ask",
                                    "kind": "wait",
                                    "event": "customer_replied",
                                    "waiting_for": "third_party",
                                    "set": {"note": "event.comment"},
                                }
                            ],
                        },
                        {
                            "id": "work",
                            "steps": [
                                {"id": "fix", "kind": "task", "assign": {"role": "frontline"}}
                            ],
                        },
                    ],
                },
                {"id": "done", "kind": "end", "status": "resolved"},
            ],
            process="replay-parallel",
            sla={"policy": "std", "escalation": "lad"},
            events={"customer_replied": {"fields": {"comment": {"type": "text"}}}},
        ),
        sla=sla,
        ladder=ladder,
    )
    h = await start_case(client, plan, tq, {"customer": "Ann"}, case_id="C-260101-AAAAA3")
    await wait_task(h, f"{h.id}.fix.1")
    await h.execute_update(
        CaseWorkflow.change_priority, CaseAction(actor=actor("tia", "team-lead"), priority="high")
    )
    await env.sleep(3 * 86400)
    await wait_for(h, lambda v: v.escalation_level >= 1)
    await h.signal("customer_replied", OutsideEvent(payload={"comment": "all good"}))
    await h.result()
    return h, [plan]


SCENARIOS: dict[str, Scenario] = {
    "complaint": complaint,
    "approvals": approvals,
    "parallel_sla": parallel_sla,
}


def plan_json(plans: list[Plan]) -> list[dict[str, Any]]:
    """Plans as stored next to a history."""
    return [p.model_dump(mode="json") for p in plans]


async def history_json(handle: WorkflowHandle[Any, Any]) -> tuple[str, int]:
    """The history of ``handle`` as committed (JSON text) and its number of events.

    The workflow id goes in too: it is the case id, which the events do not hold.
    """
    history = await handle.fetch_history()
    recorded = {"workflowId": handle.id, **history.to_json_dict()}
    return json.dumps(recorded, separators=(",", ":")), len(history.events)
