"""Projection: one local activity per settle point, a durable fallback when the records fail."""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey

from casework.contracts import CaseEvent, TaskAction
from tests.workflows.helpers import (
    Fakes,
    actor,
    coroutines_without,
    definition,
    finished,
    make_plan,
    running,
    start_case,
    wait_task,
)
from workflows.case import CaseWorkflow

ACTIONS = [
    {"id": f"a{i}", "kind": "action", "activity": "billing.issue_refund", "input": {"amount": "1"}}
    for i in range(5)
]
END = {"id": "fine", "kind": "end", "status": "resolved", "outcome": "done"}
CHAIN = [*ACTIONS, END]
#: One task for a frontline person, then the end.
TRIAGE = [{"id": "triage", "kind": "task", "assign": {"role": "frontline"}}, END]


async def _history_counts(h: WorkflowHandle[object, object]) -> tuple[int, int]:
    """Markers, and ``records.project`` activities scheduled, in the history."""
    markers = scheduled = 0
    async for event in h.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            markers += 1
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            scheduled += name == "records.project"
    return markers, scheduled


async def test_a_chain_of_actions_is_projected_once(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    plan = make_plan(definition(CHAIN))
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        final = await finished(h)
    assert final.status == "resolved"
    assert len(fakes.batches) == 1, "no settle point before the end: one batch"
    [batch] = fakes.batches
    assert [e.seq for e in batch.events] == list(range(1, final.last_seq + 1))
    assert batch.snapshot.status == "resolved"
    assert await _history_counts(h) == (1, 0)


async def test_records_failure_falls_back_to_a_durable_activity(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    plan = make_plan(definition(CHAIN))
    fakes.project_failures = 1  # the local attempt fails once; the retried activity succeeds
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        final = await finished(h)
    assert final.status == "resolved"
    assert [e.seq for e in fakes.events(h.id)] == list(range(1, final.last_seq + 1))
    markers, scheduled = await _history_counts(h)
    assert (markers, scheduled) == (1, 1)


async def test_an_update_is_answered_before_the_records_write(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    """The batch an Update leaves goes as a regular activity: the answer does not wait."""
    plan = make_plan(definition(TRIAGE))
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        await wait_task(h, f"{h.id}.triage.1")
        assert await _history_counts(h) == (1, 0)  # opened and waiting: one local batch
        fred = actor("fred", "frontline")
        await h.execute_update(
            CaseWorkflow.claim, TaskAction(task_id=f"{h.id}.triage.1", actor=fred)
        )
        await h.execute_update(
            CaseWorkflow.complete, TaskAction(task_id=f"{h.id}.triage.1", actor=fred)
        )
        final = await finished(h)
    assert final.status == "resolved"
    assert [e.seq for e in fakes.events(h.id)] == list(range(1, final.last_seq + 1))
    _, scheduled = await _history_counts(h)
    assert scheduled >= 2  # the claim's batch and the completion's


async def test_an_update_answer_leaves_the_upsert_to_the_next_task(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    """The claim's workflow task has no search-attribute upsert (the person would wait
    for it); CaseAssignee is upserted once the claim's records write completes."""
    plan = make_plan(definition(TRIAGE))
    assignee = SearchAttributeKey.for_keyword("CaseAssignee")
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        await wait_task(h, f"{h.id}.triage.1")
        fred = actor("fred", "frontline")
        await h.execute_update(
            CaseWorkflow.claim, TaskAction(task_id=f"{h.id}.triage.1", actor=fred)
        )

        for _ in range(100):
            if (await h.describe()).typed_search_attributes.get(assignee) == "fred":
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("CaseAssignee was never upserted")
        kinds = [e.event_type async for e in h.fetch_history_events()]
    accepted = kinds.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    answered = kinds.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    upsert = kinds.index(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, answered)
    project_done = kinds.index(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, answered)
    assert accepted < answered < project_done < upsert
    assert EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES not in kinds[accepted:answered]


def _without_times(events: list[CaseEvent]) -> list[dict[str, object]]:
    return [e.model_dump(exclude={"at"}) for e in events]


async def test_a_waiting_case_holds_no_projector(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    """The projector runs while events wait to be recorded, then returns; the next event
    starts it again. A case without clocks runs no SLA loop either."""
    plan = make_plan(definition(TRIAGE))
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        tid = f"{h.id}.triage.1"
        await wait_task(h, tid)
        idle = await coroutines_without(h, "projector")  # once the opening is recorded
        assert "_run_token" in idle, idle  # the task step waits for people
        assert "sla_loop" not in idle, idle
        fred = actor("fred", "frontline")
        await h.execute_update(CaseWorkflow.claim, TaskAction(task_id=tid, actor=fred))
        await coroutines_without(h, "projector")
        recorded = fakes.events(h.id)
        assert recorded[-1].kind == "task_claimed", "the claim is recorded"
        # the timeline query gives back the recorded events it still holds; their times
        # may differ where a workflow task was retried after its records write (the
        # records keep the first write), so the times are left out
        held = await h.query(CaseWorkflow.timeline_query)
        assert _without_times(held) == _without_times(recorded)
        await h.execute_update(CaseWorkflow.complete, TaskAction(task_id=tid, actor=fred))
        final = await finished(h)
    assert [e.seq for e in fakes.events(h.id)] == list(range(1, final.last_seq + 1))


async def test_cases_evicted_from_the_worker_cache_go_on(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    """With room for one case in the worker, every event of another case evicts the one
    held: each case is replayed from its history before it goes on."""
    plan = make_plan(definition([TRIAGE[0], *ACTIONS[:2], END]))
    fred = actor("fred", "frontline")
    async with running(client, task_queue, fakes, max_cached_workflows=1):
        cases = [await start_case(client, plan, task_queue, {"customer": "Ann"}) for _ in "abc"]
        for h in cases:
            await wait_task(h, f"{h.id}.triage.1")
        for h in cases:
            tid = f"{h.id}.triage.1"
            await h.execute_update(CaseWorkflow.claim, TaskAction(task_id=tid, actor=fred))
        for h in cases:
            tid = f"{h.id}.triage.1"
            await h.execute_update(CaseWorkflow.complete, TaskAction(task_id=tid, actor=fred))
        finals = [await finished(h) for h in cases]
    for h, final in zip(cases, finals, strict=True):
        assert final.status == "resolved"
        assert [e.seq for e in fakes.events(h.id)] == list(range(1, final.last_seq + 1))
