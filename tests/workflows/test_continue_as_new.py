"""Continue-as-new under a small history budget: thousands of signals, state carried exactly."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from casework.contracts import OutsideEvent, TaskAction
from tests.fixtures.temporal import time_skipping_server
from tests.workflows.helpers import (
    Fakes,
    actor,
    definition,
    make_plan,
    pyd_client,
    running,
    start_case,
    wait_for,
    wait_task,
)
from workflows._config import ENGINE
from workflows.case import CaseWorkflow

NOTES = 3000
SLA = {
    "name": "calendar-sla",
    "time": "calendar",
    "targets": {"normal": {"first_response": "30d", "resolution": "60d"}},
}


@pytest.fixture
async def own_client() -> AsyncIterator[Client]:
    """A separate time-skipping server: a flood of signals leaves the shared one unable to
    skip time for a while, which would stall the tests after this one."""
    async with time_skipping_server() as env:
        yield pyd_client(env.client)


@pytest.fixture
def small_budget() -> Iterator[None]:
    old = ENGINE.history_budget
    ENGINE.history_budget = 400
    yield
    ENGINE.history_budget = old


@pytest.mark.usefixtures("small_budget")
async def test_thousands_of_signals(
    own_client: Client, task_queue: str, fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Late in a full run the test process holds a large heap, and one garbage collection in
    # the middle of an activation of a hundred signals can pass the 2 s deadlock detector;
    # this test is about carrying state, so it runs its worker in debug mode.
    monkeypatch.setenv("TEMPORAL_DEBUG", "1")
    gc.collect()
    client = own_client
    plan = make_plan(
        definition(
            [
                {
                    "id": "intake",
                    "kind": "task",
                    "assign": {"role": "frontline"},
                    "form": {"summary": {"type": "text"}},
                    "set": {"note": "form.summary"},
                },
                {
                    "id": "fan",
                    "kind": "parallel",
                    "join": "all",
                    "branches": [
                        {
                            "id": "talk",
                            "steps": [
                                {
                                    "id": "ask",
                                    "kind": "wait",
                                    "event": "customer_replied",
                                    "waiting_for": "customer",
                                    "set": {"flag": "event.confirmed"},
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
            process="chatty",
            sla={"policy": "calendar-sla"},
            events={
                "customer_replied": {"fields": {"confirmed": {"type": "boolean"}}},
                "note_added": {"fields": {"text": {"type": "text", "required": True}}},
            },
        ),
        sla=SLA,
    )
    fred = actor("fred", "frontline")
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"}, task_timeout=10)
        await wait_task(h, f"{h.id}.intake.1")
        await h.execute_update(
            CaseWorkflow.complete,
            TaskAction(task_id=f"{h.id}.intake.1", actor=fred, form={"summary": "broken kettle"}),
        )
        await wait_task(h, f"{h.id}.fix.1")
        await h.execute_update(CaseWorkflow.claim, TaskAction(task_id=f"{h.id}.fix.1", actor=fred))
        for start in range(0, NOTES, 100):
            await asyncio.gather(
                *(
                    h.signal("note_added", OutsideEvent(payload={"text": f"note {i}"}))
                    for i in range(start, start + 100)
                )
            )
        view = await wait_for(h, lambda v: v.last_seq >= NOTES + 10, tries=3000)
        for _ in range(300):  # the run continues as new once the flood is projected
            if (await h.describe()).run_id != h.first_execution_run_id:
                break
            await asyncio.sleep(0.1)
        view = await h.query(CaseWorkflow.state)
        assert view.data["note"] == "broken kettle"
        fix = next(t for t in view.tasks if t.step_id == "fix")
        assert fix.state == "claimed"
        assert fix.assignee == "fred"
        assert {c.name: c.state for c in view.clocks} == {
            "first_response": "met",
            "resolution": "paused",
        }
        await h.signal("customer_replied", OutsideEvent(payload={"confirmed": True}))
        await h.execute_update(
            CaseWorkflow.complete, TaskAction(task_id=f"{h.id}.fix.1", actor=fred)
        )
        # The time-skipping server's continue-as-new is not atomic (temporalio/sdk-java#1537):
        # a result long-poll that follows the runs from the first one can miss the last run's
        # close and wait forever (seen about 1 in 10 on a loaded box). Wait for the close with
        # describe, then read the latest run's result.
        for _ in range(300):
            if (await h.describe()).status != WorkflowExecutionStatus.RUNNING:
                break
            await asyncio.sleep(0.1)
        final = await client.get_workflow_handle_for(CaseWorkflow.run, h.id).result()
    assert final.status == "resolved"
    assert final.data["flag"] is True
    events = fakes.events(h.id)
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), "seq must be contiguous across runs"
    notes = [
        e for e in events if e.kind == "signal_received" and e.details.get("event") == "note_added"
    ]
    assert len(notes) == NOTES
    assert [e.kind for e in events].count("case_opened") == 1
    assert [e.kind for e in events].count("sla_paused") == 1
    first_run = client.get_workflow_handle(h.id, run_id=h.first_execution_run_id)
    history = await first_run.fetch_history()
    assert history.events[-1].event_type == (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    )
