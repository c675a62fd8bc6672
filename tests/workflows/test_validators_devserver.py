"""On a real dev server a rejected Update leaves no history event at all.

The time-skipping test server records the workflow task that ran the validator
(see test_validators.py); a real server runs it as a speculative task and drops
it, so here the history must not change by a single event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from casework.binaries import temporal_cli
from casework.contracts import CaseAction, TaskAction
from tests.fixtures.temporal import register_case_search_attributes
from tests.workflows.helpers import (
    Fakes,
    actor,
    definition,
    make_plan,
    pyd_client,
    running,
    stable,
    start_case,
    wait_task,
)
from tests.workflows.test_validators import FRED, STEPS
from workflows.case import CaseWorkflow

pytestmark = pytest.mark.devserver


@pytest.fixture
async def dev_client() -> AsyncIterator[Client]:
    """A client of a fresh `temporal server start-dev` (in memory)."""
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(temporal_cli()))
    try:
        await register_case_search_attributes(env)
        yield pyd_client(env.client)
    finally:
        await env.shutdown()


async def _events(h: WorkflowHandle[Any, Any]) -> list[int]:
    return [e.event_type for e in (await h.fetch_history()).events]


async def _settled(h: WorkflowHandle[Any, Any]) -> list[int]:
    """The history once the case is idle (its records activity and tasks done)."""
    return await stable(lambda: _events(h), every=0.3)


async def test_rejected_updates_leave_no_events(
    dev_client: Client, task_queue: str, fakes: Fakes
) -> None:
    plan = make_plan(definition(STEPS))
    async with running(dev_client, task_queue, fakes):
        h = await start_case(dev_client, plan, task_queue, {"customer": "Ann"}, task_timeout=10)
        tid = f"{h.id}.triage.1"
        await wait_task(h, tid)
        ok_form = {"category": "billing"}
        refused: list[tuple[str, Any, str]] = [
            ("claim", TaskAction(task_id=f"{h.id}.nope.1", actor=FRED), "not found"),
            ("claim", TaskAction(task_id=tid, actor=actor("sam", "sales")), "role 'frontline'"),
            ("release", TaskAction(task_id=tid, actor=FRED), "not claimed"),
            ("approve", TaskAction(task_id=tid, actor=FRED), "not an approval"),
            ("cancel", CaseAction(actor=FRED, reason="spam"), "may not cancel"),
        ]
        before = await _settled(h)
        for update, arg, needle in refused:
            with pytest.raises(WorkflowUpdateFailedError) as info:
                await h.execute_update(update, arg)
            assert needle in str(info.value.cause)
        assert await _events(h) == before, "unauthorised/ineligible actions: no event"

        await h.execute_update(CaseWorkflow.claim, TaskAction(task_id=tid, actor=FRED))
        claimed = await _settled(h)
        late_or_bad: list[tuple[str, Any, str]] = [
            ("claim", TaskAction(task_id=tid, actor=FRED), "already claimed by fred"),
            (
                "complete",
                TaskAction(task_id=tid, actor=FRED, outcome="reject", form={"category": "x"}),
                "not one of billing",
            ),
            (
                "complete",
                TaskAction(task_id=tid, actor=FRED, outcome="resolve", form=ok_form),
                "needs a reason",
            ),
        ]
        for update, arg, needle in late_or_bad:
            with pytest.raises(WorkflowUpdateFailedError) as info:
                await h.execute_update(update, arg)
            assert needle in str(info.value.cause)
        assert await _events(h) == claimed, "duplicate/malformed actions: no event"
