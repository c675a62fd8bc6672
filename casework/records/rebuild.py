"""Rebuild the records from Temporal: re-apply every ``records.project`` input in the histories.

The workflow sends each projection batch as the input of a ``records.project``
activity, so a case's full record sits in its history (and in the histories of
the runs it continued as new from). Re-applying them is idempotent, so a
rebuild can run at any time, as often as needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy import Engine
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from casework.contracts import ProjectionBatch
from casework.errors import NotFoundError
from casework.records.projection import apply_batch

ACTIVITY = "records.project"
WORKFLOW_TYPE = "CaseWorkflow"


class RebuildResult(BaseModel):
    """What a rebuild re-applied."""

    cases: list[str] = Field(default_factory=list)
    runs: int = 0
    batches: int = 0
    new_events: int = 0


async def _decode(client: Client, payloads: Sequence[Payload]) -> ProjectionBatch:
    items = list(payloads)
    codec = client.data_converter.payload_codec
    if codec is not None:
        items = await codec.decode(items)
    [batch] = pydantic_data_converter.payload_converter.from_payloads(items, [ProjectionBatch])
    assert isinstance(batch, ProjectionBatch)
    return batch


async def _run_batches(
    client: Client, case_id: str, run_id: str | None
) -> tuple[list[ProjectionBatch], str | None]:
    """Return the projection batches of one run and the run it continued from."""
    handle = client.get_workflow_handle(case_id, run_id=run_id)
    batches: list[ProjectionBatch] = []
    previous: str | None = None
    async for event in handle.fetch_history_events():
        if event.HasField("workflow_execution_started_event_attributes"):
            previous = event.workflow_execution_started_event_attributes.continued_execution_run_id
        elif event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == ACTIVITY:
                batches.append(await _decode(client, attrs.input.payloads))
    return batches, previous or None


async def rebuild_case(client: Client, engine: Engine, case_id: str) -> RebuildResult:
    """Re-apply every projection batch of ``case_id``, across continue-as-new runs.

    Raises:
        NotFoundError: Temporal has no workflow with this id.
    """
    result = RebuildResult(cases=[case_id])
    run_id: str | None = None
    seen: set[str] = set()
    while True:
        try:
            batches, previous = await _run_batches(client, case_id, run_id)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND and run_id is None:
                raise NotFoundError(
                    "case", case_id, hint="Temporal has no such workflow (or it was deleted)"
                ) from exc
            if exc.status == RPCStatusCode.NOT_FOUND:
                break  # an older run passed its retention period
            raise
        result.runs += 1
        for batch in batches:
            result.new_events += await asyncio.to_thread(apply_batch, engine, batch)
            result.batches += 1
        if previous is None or previous in seen:
            break
        seen.add(previous)
        run_id = previous
    return result


async def case_ids(client: Client, *, query: str | None = None) -> list[str]:
    """Return the ids of every case workflow Temporal lists (needs visibility)."""
    ids: dict[str, None] = {}
    async for execution in client.list_workflows(query or f"WorkflowType = '{WORKFLOW_TYPE}'"):
        ids.setdefault(execution.id, None)
    return list(ids)


async def rebuild(
    client: Client, engine: Engine, case_id: str | None = None, *, all_cases: bool = False
) -> RebuildResult:
    """Rebuild one case, or every case workflow Temporal knows (``all_cases``).

    Raises:
        ValueError: Neither or both of ``case_id`` and ``all_cases`` were given.
        NotFoundError: ``case_id`` is unknown to Temporal.
    """
    if (case_id is None) == (not all_cases):
        raise ValueError("give a case id or all_cases=True, not both")
    targets = [case_id] if case_id is not None else await case_ids(client)
    total = RebuildResult()
    for cid in targets:
        one = await rebuild_case(client, engine, cid)
        total.cases.append(cid)
        total.runs += one.runs
        total.batches += one.batches
        total.new_events += one.new_events
    return total
