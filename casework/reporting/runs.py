"""The ``report_runs`` table: every report run, where its files are, its headline numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from casework.errors import RecordsError
from casework.records.tables import report_runs
from casework.reporting.periods import Period


class RunRecord(BaseModel):
    """One row of ``report_runs``."""

    id: str
    report: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None
    region: str | None = None
    status: str
    files: list[str] = Field(default_factory=list)
    summary: dict[str, Any] = Field(default_factory=dict)

    @property
    def directory(self) -> str:
        """Return the folder holding the run's files (empty when it wrote none)."""
        return str(Path(self.files[0]).parent) if self.files else ""


def _fail(action: str, exc: SQLAlchemyError) -> RecordsError:
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(exc).__name__])[0]
    return RecordsError(
        f"cannot {action} report_runs: {first}",
        hint="check CASEWORK_DATABASE_URL and run `casework db upgrade`",
    )


def record_start(
    engine: Engine,
    run_id: str,
    report: str,
    period: Period,
    region: str | None,
    started_at: dt.datetime,
) -> None:
    """Insert the run as ``running``."""
    try:
        with engine.begin() as conn:
            conn.execute(
                report_runs.insert().values(
                    id=run_id,
                    report=report,
                    started_at=started_at,
                    period_start=period.start,
                    period_end=period.end,
                    region=region,
                    status="running",
                    files=[],
                    summary={},
                )
            )
    except SQLAlchemyError as exc:
        raise _fail("write to", exc) from exc


def record_finish(
    engine: Engine,
    run_id: str,
    status: str,
    files: list[str],
    summary: dict[str, Any],
    finished_at: dt.datetime | None = None,
) -> None:
    """Mark the run finished with its status, files and summary."""
    try:
        with engine.begin() as conn:
            conn.execute(
                report_runs.update()
                .where(report_runs.c.id == run_id)
                .values(
                    status=status,
                    files=files,
                    summary=summary,
                    finished_at=finished_at or dt.datetime.now(dt.UTC),
                )
            )
    except SQLAlchemyError as exc:
        raise _fail("write to", exc) from exc


def list_runs(engine: Engine, *, report: str | None = None, limit: int = 20) -> list[RunRecord]:
    """Return the most recent runs first, optionally of one report."""
    stmt = select(report_runs).order_by(report_runs.c.started_at.desc(), report_runs.c.id.desc())
    if report:
        stmt = stmt.where(report_runs.c.report == report)
    try:
        with engine.connect() as conn:
            rows = conn.execute(stmt.limit(limit)).mappings().all()
    except SQLAlchemyError as exc:
        raise _fail("read", exc) from exc
    return [RunRecord.model_validate(dict(r)) for r in rows]


def get_run(engine: Engine, run_id: str) -> RunRecord | None:
    """Return one run, or None."""
    try:
        with engine.connect() as conn:
            row = (
                conn.execute(select(report_runs).where(report_runs.c.id == run_id))
                .mappings()
                .first()
            )
    except SQLAlchemyError as exc:
        raise _fail("read", exc) from exc
    return RunRecord.model_validate(dict(row)) if row else None
