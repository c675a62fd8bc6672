"""Update validators: every refused action has a clear reason and leaves no history events."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from casework.contracts import CaseAction, CaseView, TaskAction
from tests.workflows.helpers import (
    Fakes,
    actor,
    definition,
    finished,
    make_plan,
    running,
    stable,
    start_case,
    wait_task,
)
from workflows.case import CaseWorkflow

STEPS: list[dict[str, Any]] = [
    {
        "id": "triage",
        "kind": "task",
        "assign": {"role": "frontline", "region": "case.region", "skills": ["billing"]},
        "form": {
            "category": {"type": "enum", "values": ["billing", "other"], "required": True},
            "minutes": {"type": "integer", "min": 1, "max": 600},
        },
        "outcomes": [
            {"outcome": "resolve", "reasons": ["fixed", "refunded"], "reason_required": True},
            {"outcome": "reject"},
        ],
    },
    {"id": "done", "kind": "end", "status": "resolved", "outcome": "resolved"},
]
FRED = actor("fred", "frontline", skills=["billing"])


# The time-skipping test server has no speculative workflow tasks: it records the workflow
# task that ran the validator. Everything else (update accepted/completed, commands) must
# be absent; on a real server the rejected Update leaves no events at all.
_WFT = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


async def _history_len(h: WorkflowHandle[Any, Any]) -> int:
    return sum(e.event_type not in _WFT for e in (await h.fetch_history()).events)


async def _settled_len(h: WorkflowHandle[Any, Any]) -> int:
    """History length once the case is idle (projection and workflow tasks done)."""
    await h.query(CaseWorkflow.state)
    # generous: on a loaded box a records write can land well after the query answers
    return await stable(lambda: _history_len(h), every=0.3)


async def _rejected(h: WorkflowHandle[Any, Any], update: Any, arg: Any, needle: str) -> None:
    before = await _settled_len(h)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await h.execute_update(update, arg)
    message = str(info.value.cause)
    assert needle in message, message
    assert await _history_len(h) == before, "a rejected Update must not add history events"


async def test_task_validators(client: Client, task_queue: str, fakes: Fakes) -> None:
    plan = make_plan(definition(STEPS))
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        tid = f"{h.id}.triage.1"
        ok_form = {"category": "billing"}
        await wait_task(h, tid)

        def act(who: Any = FRED, **kw: Any) -> TaskAction:
            return TaskAction(task_id=tid, actor=who, **kw)

        await _rejected(
            h, CaseWorkflow.claim, TaskAction(task_id=f"{h.id}.nope.1", actor=FRED), "not found"
        )
        await _rejected(h, CaseWorkflow.claim, act(actor("sam", "sales")), "role 'frontline'")
        await _rejected(
            h,
            CaseWorkflow.claim,
            act(actor("fay", "frontline", region="amer", skills=["billing"])),
            "region 'emea'",
        )
        await _rejected(h, CaseWorkflow.claim, act(actor("fin", "frontline")), "lacks the skills")
        await _rejected(h, CaseWorkflow.approve, act(), "not an approval")
        await _rejected(h, CaseWorkflow.release, act(), "not claimed")
        await h.execute_update(CaseWorkflow.claim, act())
        await _rejected(h, CaseWorkflow.claim, act(), "already claimed by fred")
        other = actor("flo", "frontline", skills=["billing"])
        await _rejected(h, CaseWorkflow.complete, act(other, outcome="reject"), "claimed by fred")
        await _rejected(h, CaseWorkflow.reassign, act(other, assignee="flo"), "may not reassign")
        await _rejected(h, CaseWorkflow.complete, act(form=ok_form), "choose an outcome")
        await _rejected(
            h,
            CaseWorkflow.complete,
            act(outcome="maybe", form=ok_form),
            "outcome 'maybe' is not allowed",
        )
        await _rejected(
            h, CaseWorkflow.complete, act(outcome="resolve", form=ok_form), "needs a reason"
        )
        await _rejected(
            h,
            CaseWorkflow.complete,
            act(outcome="resolve", reason="lucky", form=ok_form),
            "reason 'lucky'",
        )
        await _rejected(
            h,
            CaseWorkflow.complete,
            act(outcome="reject", form={}),
            "form field category: is required",
        )
        await _rejected(
            h,
            CaseWorkflow.complete,
            act(outcome="reject", form={"category": "food"}),
            "not one of billing",
        )
        await _rejected(
            h,
            CaseWorkflow.complete,
            act(outcome="reject", form={**ok_form, "minutes": 0}),
            "below the minimum",
        )
        await _rejected(
            h,
            CaseWorkflow.complete,
            act(outcome="reject", form={**ok_form, "minutes": "ten"}),
            "whole number",
        )
        await _rejected(
            h,
            CaseWorkflow.complete,
            act(outcome="reject", form={**ok_form, "colour": "red"}),
            "unknown field",
        )
        lead = actor("tia", "team-lead")
        moved = await h.execute_update(CaseWorkflow.reassign, act(lead, assignee="flo"))
        assert moved.assignee == "flo"
        done = await h.execute_update(
            CaseWorkflow.complete, act(other, outcome="resolve", reason="fixed", form=ok_form)
        )
        assert done.state == "completed"
        assert done.completed_by == "flo"
        await h.result()
        # the case is closed: late actions are refused (the workflow is complete; no new events)
        with pytest.raises(Exception, match=r"(?i)complete|closed|not found"):
            await h.execute_update(CaseWorkflow.claim, act())


async def test_late_action_on_closed_task(client: Client, task_queue: str, fakes: Fakes) -> None:
    plan = make_plan(
        definition(
            [
                {"id": "one", "kind": "task", "assign": {"role": "frontline"}},
                {"id": "two", "kind": "task", "assign": {"role": "frontline"}},
                {"id": "done", "kind": "end"},
            ]
        )
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        first = TaskAction(task_id=f"{h.id}.one.1", actor=FRED)
        await wait_task(h, first.task_id)
        await h.execute_update(CaseWorkflow.complete, first)
        await _rejected(h, CaseWorkflow.complete, first, "is completed")
        await _rejected(h, CaseWorkflow.release, first, "is completed")


async def test_case_validators(client: Client, task_queue: str, fakes: Fakes) -> None:
    plan = make_plan(definition(STEPS))
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"}, opened_by="olga")
        await _rejected(
            h, CaseWorkflow.cancel, CaseAction(actor=FRED, reason="spam"), "may not cancel"
        )
        await _rejected(h, CaseWorkflow.cancel, CaseAction(actor=actor("olga")), "needs a reason")
        await _rejected(
            h,
            CaseWorkflow.change_priority,
            CaseAction(actor=FRED, priority="extreme"),
            "not one of",
        )
        await _rejected(
            h,
            CaseWorkflow.change_priority,
            CaseAction(actor=FRED, priority="normal"),
            "already has priority",
        )
        await _rejected(
            h, "set_fields", CaseAction(actor=FRED, values={"score": 9}), "above the maximum"
        )
        await _rejected(
            h, "set_fields", CaseAction(actor=FRED, values={"nope": 1}), "unknown field"
        )
        view = await h.execute_update(
            "set_fields", CaseAction(actor=FRED, values={"score": 4}), result_type=CaseView
        )
        assert view.data["score"] == 4
        view = await h.execute_update(
            CaseWorkflow.change_priority, CaseAction(actor=FRED, priority="high")
        )
        assert view.priority == "high"
        view = await h.execute_update(
            CaseWorkflow.cancel, CaseAction(actor=actor("olga"), reason="duplicate")
        )
        assert view.status == "cancelled"
        final = await finished(h)
    assert final.status == "cancelled"
    assert final.tasks[0].state == "cancelled"
    kinds = fakes.kinds(h.id)
    assert "case_cancelled" in kinds
    assert "task_cancelled" in kinds
