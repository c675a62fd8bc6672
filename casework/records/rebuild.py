"""Rebuild the records from Temporal: replay the histories and re-apply every batch.

The workflow sends most projection batches to ``records.project`` as local
activities, whose input is not stored in the history; but the workflow is
deterministic, so replaying a history with the workflow code computes the
same batches again. The replay runs with an interceptor that catches each
batch as the workflow hands it over (to a local or a regular activity).
Re-applying them is idempotent, so a rebuild can run at any time, as often as
needed. The plans the cases ran must be in :data:`casework.registry.REGISTRY`
(``casework records rebuild`` fills it as a worker does).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import (
    Interceptor,
    Replayer,
    StartActivityInput,
    StartLocalActivityInput,
    UnsandboxedWorkflowRunner,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from temporalio.workflow import ActivityHandle

from casework.contracts import ProjectionBatch
from casework.converter import DATA_CONVERTER
from casework.errors import NotFoundError, RecordsError
from casework.records.projection import apply_batch

ACTIVITY = "records.project"
WORKFLOW_TYPE = "CaseWorkflow"


class RebuildResult(BaseModel):
    """What a rebuild re-applied."""

    cases: list[str] = Field(default_factory=list)
    runs: int = 0
    batches: int = 0
    new_events: int = 0


class _Catch(Interceptor):
    """Collects the ``records.project`` inputs of the workflows being replayed."""

    def __init__(self) -> None:
        self.batches: list[ProjectionBatch] = []

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        batches = self.batches

        def catch(activity: str, args: Sequence[Any]) -> None:
            batch = args[0] if activity == ACTIVITY and args else None
            # the same batch twice is a failed local try and then its durable retry
            if isinstance(batch, ProjectionBatch) and (not batches or batches[-1] is not batch):
                batches.append(batch)

        class Outbound(WorkflowOutboundInterceptor):
            def start_local_activity(self, input: StartLocalActivityInput) -> ActivityHandle[Any]:
                catch(input.activity, input.args)
                return super().start_local_activity(input)

            def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
                catch(input.activity, input.args)
                return super().start_activity(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        return Inbound


def _default_workflows() -> list[type]:
    from workers.worker import case_workflow

    return [case_workflow()]


async def replay_batches(
    history: WorkflowHistory,
    *,
    data_converter: DataConverter = DATA_CONVERTER,
    workflows: Sequence[type] | None = None,
) -> list[ProjectionBatch]:
    """Replay one run's history and return the projection batches its workflow sent.

    Args:
        history: One run's history.
        data_converter: The converter the cases run with.
        workflows: Workflow classes to replay with; default ``[CaseWorkflow]``.

    Raises:
        RecordsError: The history does not replay on this code (a missing plan or
            a non-deterministic change).
    """
    catch = _Catch()
    replayer = Replayer(
        workflows=list(workflows) if workflows is not None else _default_workflows(),
        interceptors=[catch],
        workflow_runner=UnsandboxedWorkflowRunner(),
        data_converter=data_converter,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    if result.replay_failure is not None:
        text = str(result.replay_failure)
        found = re.search(r'message: "((?:[^"\\]|\\.)*)"', text)
        raise RecordsError(
            f"the history of {history.workflow_id} does not replay on this code: "
            f"{found.group(1) if found else text.splitlines()[0][:300]}",
            hint="run the rebuild with the definitions and the casework version the case ran",
        )
    return catch.batches


async def _run_batches(
    client: Client, case_id: str, run_id: str | None, workflows: Sequence[type] | None
) -> tuple[list[ProjectionBatch], str | None]:
    """Return the projection batches of one run and the run it continued from."""
    history = await client.get_workflow_handle(case_id, run_id=run_id).fetch_history()
    previous: str | None = None
    if history.events:
        first = history.events[0]
        if first.HasField("workflow_execution_started_event_attributes"):
            attrs = first.workflow_execution_started_event_attributes
            previous = attrs.continued_execution_run_id or None
    batches = await replay_batches(
        history, data_converter=client.data_converter, workflows=workflows
    )
    return batches, previous


async def rebuild_case(
    client: Client, engine: Engine, case_id: str, *, workflows: Sequence[type] | None = None
) -> RebuildResult:
    """Re-apply every projection batch of ``case_id``, across continue-as-new runs.

    Args:
        client: A connected client (casework.converter.DATA_CONVERTER).
        engine: The records engine to write to.
        case_id: The case (workflow id).
        workflows: Workflow classes to replay with; default ``[CaseWorkflow]``.

    Raises:
        NotFoundError: Temporal has no workflow with this id.
        RecordsError: A history does not replay on this code.
    """
    result = RebuildResult(cases=[case_id])
    run_id: str | None = None
    seen: set[str] = set()
    while True:
        try:
            batches, previous = await _run_batches(client, case_id, run_id, workflows)
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
    client: Client,
    engine: Engine,
    case_id: str | None = None,
    *,
    all_cases: bool = False,
    workflows: Sequence[type] | None = None,
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
        one = await rebuild_case(client, engine, cid, workflows=workflows)
        total.cases.append(cid)
        total.runs += one.runs
        total.batches += one.batches
        total.new_events += one.new_events
    return total
