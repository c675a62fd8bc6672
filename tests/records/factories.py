"""Small builders of contract objects for the records tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework.contracts import CaseEvent, CaseView, ClockView, ProjectionBatch, TaskView

T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def task(case_id: str, step: str = "triage", visit: int = 1, **kw: Any) -> TaskView:
    """A task view of ``case_id``."""
    values: dict[str, Any] = {
        "task_id": f"{case_id}.{step}.{visit}",
        "case_id": case_id,
        "step_id": step,
        "kind": "task",
        "name": step.title(),
        "state": "open",
        "role": "agent",
        "created_at": T0,
    }
    values.update(kw)
    return TaskView(**values)


def clock(name: str = "resolution", **kw: Any) -> ClockView:
    """A running SLA clock."""
    values: dict[str, Any] = {
        "name": name,
        "target_seconds": 8 * 3600,
        "business": True,
        "calendar": "london",
        "started_at": T0,
        "deadline": T0 + dt.timedelta(days=1),
        "state": "running",
    }
    values.update(kw)
    return ClockView(**values)


def view(case_id: str = "C-260504-000001", last_seq: int = 1, **kw: Any) -> CaseView:
    """A case snapshot."""
    values: dict[str, Any] = {
        "case_id": case_id,
        "process": "complaint",
        "version": 1,
        "plan_hash": "ab" * 32,
        "title": "Broken kettle",
        "status": "open",
        "priority": "normal",
        "region": "uk",
        "team": "uk-care",
        "customer": "Ada",
        "channel": "email",
        "opened_by": "alice",
        "opened_at": T0,
        "sla_state": "on_track",
        "data": {"priority": "normal", "amount": 12.5},
        "last_seq": last_seq,
    }
    values.update(kw)
    return CaseView(**values)


def event(seq: int, kind: str = "step_entered", **kw: Any) -> CaseEvent:
    """An event with ``seq``, one minute after the previous one."""
    values: dict[str, Any] = {"seq": seq, "at": T0 + dt.timedelta(minutes=seq), "kind": kind}
    values.update(kw)
    return CaseEvent(**values)


def batch(snapshot: CaseView, seqs: range | list[int]) -> ProjectionBatch:
    """A projection batch of ``seqs`` with ``snapshot``."""
    return ProjectionBatch(
        case_id=snapshot.case_id, events=[event(s) for s in seqs], snapshot=snapshot
    )
