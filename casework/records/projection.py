"""Project workflow batches (events + snapshot) into the records tables.

:func:`apply_batch` is idempotent and all-or-nothing: events are inserted once
per ``(case_id, seq)``, and the case, its tasks and clocks are overwritten only
by a snapshot newer than the stored one, so duplicated, replayed or reordered
batches converge on the newest state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine

from casework.contracts import CaseView, ClockView, ProjectionBatch, TaskView
from casework.errors import RecordsError
from casework.records._upsert import insert_ignore, upsert
from casework.records.tables import case_events, cases, sla_clocks, tasks


def apply_batch(engine: Engine, batch: ProjectionBatch) -> int:
    """Write one projection batch in a single transaction.

    Args:
        engine: The records engine.
        batch: New events of one case and the snapshot after them.

    Returns:
        How many events were new (0 for a replayed batch).

    Raises:
        RecordsError: The snapshot belongs to another case than the batch.
        sqlalchemy.exc.SQLAlchemyError: The database failed (callers retry).
    """
    if batch.snapshot.case_id != batch.case_id:
        raise RecordsError(
            f"projection batch for {batch.case_id!r} carries a snapshot of "
            f"{batch.snapshot.case_id!r}"
        )
    with engine.begin() as conn:
        return apply_batch_on(conn, batch)


def apply_batch_on(conn: Connection, batch: ProjectionBatch) -> int:
    """Write one batch on an open connection (the caller owns the transaction)."""
    new_events = 0
    if batch.events:
        rows = [
            {
                "case_id": batch.case_id,
                "seq": e.seq,
                "at": e.at,
                "kind": e.kind,
                "actor": e.actor,
                "step_id": e.step_id,
                "task_id": e.task_id,
                "details": e.model_dump(mode="json")["details"],
            }
            for e in batch.events
        ]
        new_events = insert_ignore(conn, case_events, rows, ["case_id", "seq"])
    snapshot = batch.snapshot
    applied = upsert(
        conn,
        cases,
        [case_row(snapshot)],
        ["case_id"],
        newer="last_seq",
    )
    if applied:
        if snapshot.tasks:
            # Sorted keys: concurrent batches lock rows in one order (no deadlocks).
            rows = sorted((task_row(t) for t in snapshot.tasks), key=lambda r: r["task_id"])
            upsert(conn, tasks, rows, ["task_id"])
        if snapshot.clocks:
            upsert(
                conn,
                sla_clocks,
                sorted((clock_row(snapshot.case_id, c) for c in snapshot.clocks), key=_name),
                ["case_id", "name"],
            )
    return new_events


def _name(row: dict[str, Any]) -> str:
    return str(row["name"])


def _deadline(view: CaseView, name: str) -> dt.datetime | None:
    for clock in view.clocks:
        if clock.name == name:
            return clock.deadline
    return None


def case_row(view: CaseView) -> dict[str, Any]:
    """Return the ``cases`` row for a snapshot."""
    dumped = view.model_dump(mode="json", include={"data", "current_steps"})
    return {
        "case_id": view.case_id,
        "process": view.process,
        "version": view.version,
        "plan_hash": view.plan_hash,
        "title": view.title,
        "status": view.status,
        "priority": view.priority,
        "region": view.region,
        "team": view.team,
        "assignee": view.assignee,
        "customer": view.customer,
        "channel": view.channel,
        "opened_by": view.opened_by,
        "opened_at": view.opened_at,
        "first_response_at": view.first_response_at,
        "resolved_at": view.resolved_at,
        "closed_at": view.closed_at,
        "outcome": view.outcome,
        "reason": view.reason,
        "escalation_level": view.escalation_level,
        "sla_state": view.sla_state,
        "first_response_due": _deadline(view, "first_response"),
        "resolution_due": _deadline(view, "resolution"),
        "parent_case_id": view.parent_case_id,
        "current_steps": dumped["current_steps"],
        "data": dumped["data"],
        "last_seq": view.last_seq,
        "updated_at": dt.datetime.now(dt.UTC),
    }


def task_row(task: TaskView) -> dict[str, Any]:
    """Return the ``tasks`` row for a task view."""
    dumped = task.model_dump(mode="json", include={"form", "votes"})
    return {
        "task_id": task.task_id,
        "case_id": task.case_id,
        "step_id": task.step_id,
        "kind": task.kind,
        "name": task.name,
        "state": task.state,
        "role": task.role,
        "team": task.team,
        "region": task.region,
        "skills": list(task.skills),
        "person": task.person,
        "eligible": list(task.eligible),
        "assignee": task.assignee,
        "created_at": task.created_at,
        "claimed_at": task.claimed_at,
        "due_at": task.due_at,
        "completed_at": task.completed_at,
        "completed_by": task.completed_by,
        "outcome": task.outcome,
        "reason": task.reason,
        "outcomes": list(task.outcomes),
        "form": dumped["form"],
        "votes": dumped["votes"],
    }


def clock_row(case_id: str, clock: ClockView) -> dict[str, Any]:
    """Return the ``sla_clocks`` row for a clock view."""
    return {"case_id": case_id, **clock.model_dump(mode="python")}
