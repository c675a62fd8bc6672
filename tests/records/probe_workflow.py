"""A tiny workflow projecting batches like CaseWorkflow (local activities), continuing as new."""

from __future__ import annotations

import datetime as dt

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casework.contracts import ProjectionBatch


@workflow.defn(name="RebuildProbe")
class RebuildProbe:
    """Project ``first`` batches, continue as new, then project ``rest``."""

    @workflow.run
    async def run(self, first: list[ProjectionBatch], rest: list[ProjectionBatch]) -> int:
        """Send every batch through ``records.project``."""
        sent = 0
        for batch in first:
            await workflow.execute_local_activity(
                "records.project", batch, start_to_close_timeout=dt.timedelta(seconds=10)
            )
            sent += 1
        if rest:
            workflow.continue_as_new(args=[rest, []])
        return sent
