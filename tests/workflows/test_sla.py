"""SLA clocks in business time: breach and every ladder level at its exact instant; pauses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from casework.businesstime import add_business
from casework.contracts import CaseAction, CaseEvent, OutsideEvent, TaskAction
from tests.fixtures.temporal import own_time_env
from tests.workflows.helpers import (
    LONDON,
    Fakes,
    actor,
    coroutines,
    coroutines_without,
    definition,
    finished,
    make_plan,
    running,
    start_case,
    wait_for,
)
from workflows.case import CaseWorkflow

SLA: dict[str, Any] = {
    "name": "standard",
    "time": "business",
    "calendar": "emea",
    "at_risk_percent": 75,
    "targets": {
        "normal": {"first_response": "2bh", "resolution": "1bd"},
        "high": {"first_response": "1bh", "resolution": "4bh"},
        "urgent": {"first_response": "30bm", "resolution": "2bh"},
    },
    "pause_when_waiting_for": ["customer"],
}
LADDER: dict[str, Any] = {
    "name": "ladder",
    "levels": [
        {"level": 1, "at_percent": 50, "actions": [{"notify": "team-lead"}]},
        {"level": 2, "at_percent": 100, "actions": [{"raise_priority": True}]},
        {
            "level": 3,
            "after_breach": "2bh",
            "actions": [{"reassign": {"role": "coordinator"}}, {"notify": "coordinator"}],
        },
    ],
}
LEAD = actor("tia", "team-lead")

#: Timers skipped by the test itself: a server of its own (see tests/fixtures/temporal.py).
time_env = pytest.fixture(own_time_env)


def _at(events: list[CaseEvent], kind: str, **match: Any) -> list[CaseEvent]:
    return [
        e for e in events if e.kind == kind and all(e.details.get(k) == v for k, v in match.items())
    ]


def _close(a: dt.datetime, b: dt.datetime) -> bool:
    return abs((a - b).total_seconds()) < 1.0


async def test_breach_and_ladder_at_exact_instants(
    client: Client, task_queue: str, fakes: Fakes, time_env: WorkflowEnvironment
) -> None:
    plan = make_plan(
        definition(
            [
                {
                    "id": "triage",
                    "kind": "task",
                    "assign": {"role": "frontline"},
                    "first_response": True,
                },
                {"id": "done", "kind": "end", "status": "resolved"},
            ],
            process="sla-ladder",
            sla={"policy": "standard", "escalation": "ladder"},
        ),
        sla=SLA,
        ladder=LADDER,
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        view = await wait_for(h, lambda v: len(v.clocks) == 2)
        opened = view.opened_at
        res_deadline = add_business(LONDON, opened, 8 * 3600)
        expected = {
            "fr_risk": add_business(LONDON, opened, int(0.75 * 7200)),
            "fr_breach": add_business(LONDON, opened, 7200),
            "level1": add_business(LONDON, opened, 4 * 3600),
            "res_risk": add_business(LONDON, opened, 6 * 3600),
            "level2": res_deadline,
            "level3": add_business(LONDON, res_deadline, 2 * 3600),
        }
        clocks = {c.name: c for c in view.clocks}
        assert _close(clocks["resolution"].deadline, res_deadline)  # type: ignore[arg-type]
        await time_env.sleep((expected["level3"] - opened).total_seconds() + 3600)
        view = await wait_for(h, lambda v: v.escalation_level == 3)
        assert view.priority == "high"  # level 2 raised it one step
        assert view.sla_state == "breached"
        assert view.tasks[0].role == "coordinator"
        assert view.tasks[0].assignee is None
        await h.execute_update(CaseWorkflow.cancel, CaseAction(actor=LEAD, reason="test over"))
        await h.result()
    events = fakes.events(h.id)
    got = {
        "fr_risk": _at(events, "sla_at_risk", clock="first_response"),
        "fr_breach": _at(events, "sla_breached", clock="first_response"),
        "level1": _at(events, "escalation_level", level=1),
        "res_risk": _at(events, "sla_at_risk", clock="resolution"),
        "level2": _at(events, "escalation_level", level=2),
        "level3": _at(events, "escalation_level", level=3),
    }
    for name, found in got.items():
        assert len(found) == 1, f"{name} fired {len(found)} times"
        assert _close(found[0].at, expected[name]), (name, found[0].at, expected[name])
    recipients = [n.recipient for n in fakes.notes]
    assert recipients == ["role:team-lead@emea", "role:coordinator@emea"]


async def test_pause_while_waiting_for_customer(
    client: Client, task_queue: str, fakes: Fakes, time_env: WorkflowEnvironment
) -> None:
    plan = make_plan(
        definition(
            [
                {
                    "id": "ask",
                    "kind": "wait",
                    "event": "customer_replied",
                    "waiting_for": "customer",
                },
                {"id": "work", "kind": "task", "assign": {"role": "frontline"}},
                {"id": "done", "kind": "end", "status": "resolved"},
            ],
            process="sla-pause",
            sla={"policy": "standard"},
            events={"customer_replied": {"fields": {}}},
        ),
        sla=SLA,
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        view = await wait_for(h, lambda v: v.status == "waiting")
        assert {c.state for c in view.clocks} == {"paused"}
        assert all(c.deadline is None for c in view.clocks)
        # nothing can fire while every clock is paused: no SLA loop is left running
        await coroutines_without(h, "sla_loop")
        await time_env.sleep(5 * 86400)
        await h.signal("customer_replied", OutsideEvent(payload={}))
        view = await wait_for(h, lambda v: v.status == "open" and bool(v.tasks))
        resumed = view.tasks[0].created_at
        assert "sla_loop" in await coroutines(h), "the resume starts it again"
        clocks = {c.name: c for c in view.clocks}
        assert clocks["resolution"].state == "running"
        assert clocks["resolution"].paused_seconds >= 5 * 86400 - 5
        # nothing was counted before the pause: the whole target runs from the resume
        assert _close(
            clocks["resolution"].deadline,  # type: ignore[arg-type]
            add_business(LONDON, resumed, 8 * 3600),
        )
        view = await h.execute_update(
            CaseWorkflow.change_priority, CaseAction(actor=LEAD, priority="urgent")
        )
        clocks = {c.name: c for c in view.clocks}
        assert _close(
            clocks["resolution"].deadline,  # type: ignore[arg-type]
            add_business(LONDON, resumed, 2 * 3600),
        )
        await h.execute_update(
            CaseWorkflow.complete,
            TaskAction(task_id=f"{h.id}.work.1", actor=actor("fred", "frontline")),
        )
        final = await finished(h)
    assert final.sla_state == "met"
    assert final.first_response_at is not None
    kinds = [e.kind for e in fakes.events(h.id)]
    assert kinds.count("sla_paused") == 2
    assert kinds.count("sla_resumed") == 2
    assert kinds.count("sla_met") == 2
