"""The ``records.project`` activity: write a case's events and snapshot to the records."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.exceptions import ApplicationError

from casework.contracts import ProjectionBatch
from casework.errors import RecordsError


@activity.defn(name="records.project")
async def project(batch: ProjectionBatch) -> int:
    """Apply one projection batch; return how many events were new.

    Database errors propagate so Temporal retries the activity (the workflow
    retries forever, so the records catch up after an outage).
    """
    from activities import _db
    from casework.records.projection import apply_batch

    try:
        return await asyncio.to_thread(apply_batch, _db.engine(), batch)
    except RecordsError as exc:
        raise ApplicationError(str(exc), type="RecordsError", non_retryable=True) from exc
