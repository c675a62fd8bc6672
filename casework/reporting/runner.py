"""Run a report end to end without Prefect: period, KPIs, files, ``report_runs`` row.

The Prefect flows (``workflows/reports.py``) run the same steps as tasks; this
module is what ``casework report run --no-prefect`` and the benchmark use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from casework.errors import CaseworkError, ConfigError, RecordsError
from casework.reporting.build import Report, build_report, new_run_id
from casework.reporting.kpis import KpiOptions
from casework.reporting.periods import Period, parse_instant
from casework.reporting.render import write_files
from casework.reporting.runs import record_finish, record_start
from casework.reporting.specs import ReportSpec, get_report
from casework.settings import get_settings


@dataclass
class RunOutcome:
    """What a run produced.

    Attributes:
        run_id: Id in ``report_runs`` and name of the run's folder.
        report: Report name.
        status: ``ok``, ``empty``, ``nothing_to_report`` or ``failed``.
        message: Why it is empty / has nothing to report, or the failure.
        directory: Folder of the files (None when none were written).
        files: Files written, HTML first.
        summary: Headline numbers (also stored in ``report_runs.summary``).
        period: The period covered.
        timings: ``sql_seconds``, ``python_seconds``, ``total_seconds``.
    """

    run_id: str
    report: str
    status: str
    message: str
    directory: Path | None
    files: list[Path]
    summary: dict[str, Any]
    period: Period
    timings: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (for ``--json``)."""
        return {
            "run_id": self.run_id,
            "report": self.report,
            "status": self.status,
            "message": self.message,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(),
            "timezone": self.period.timezone,
            "directory": str(self.directory) if self.directory else None,
            "files": [str(f) for f in self.files],
            "summary": self.summary,
            "timings": self.timings,
        }


def resolve_period(
    spec: ReportSpec,
    *,
    since: str | None = None,
    until: str | None = None,
    timezone: str | None = None,
    now: dt.datetime | None = None,
) -> Period:
    """Return the period for a run: the report's default, narrowed by ``since``/``until``.

    With only ``since``, the period runs to ``now``; with only ``until``, it has the
    default period's length and ends at ``until``.
    """
    tz = timezone or spec.timezone
    default = spec.period(tz, now)
    if since is None and until is None:
        return default
    end = parse_instant(until, tz, option="--until") if until else None
    start = parse_instant(since, tz, option="--since") if since else None
    if start is None:
        assert end is not None
        start = end - default.length
    if end is None:
        end = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return Period(start, end, tz)


def reports_root(out: str | Path | None = None) -> Path:
    """Return the folder reports are written under (``--out`` or the settings)."""
    return Path(out) if out else get_settings().reports_path()


def run_directory(root: Path, report: str, run_id: str) -> Path:
    """Return ``root/<report>/<run-id>``."""
    return root / report / run_id


def summary_of(report: Report) -> dict[str, Any]:
    """Return what ``report_runs.summary`` keeps: headline numbers, timing, message."""
    return {
        **report.summary,
        "message": report.message,
        "period_label": report.period_label,
        "sql_seconds": round(report.sql_seconds, 4),
        "total_seconds": round(report.total_seconds, 4),
    }


def run_report(
    name: str,
    *,
    engine: Engine | None = None,
    since: str | None = None,
    until: str | None = None,
    region: str | None = None,
    out: str | Path | None = None,
    timezone: str | None = None,
    now: dt.datetime | None = None,
    options: KpiOptions | None = None,
) -> RunOutcome:
    """Run report ``name`` now, write its files and record the run.

    Raises:
        NotFoundError: unknown report.
        ConfigError: bad period or time zone.
        RecordsError: the records database failed.
    """
    from casework.records.db import READ_ONLY, engine_from_settings

    spec = get_report(name)
    period = resolve_period(spec, since=since, until=until, timezone=timezone, now=now)
    engine = engine or engine_from_settings()
    started = dt.datetime.now(dt.UTC)
    run_id = new_run_id(started)
    record_start(engine, run_id, spec.name, period, region, started)
    try:
        with engine.connect().execution_options(**READ_ONLY) as conn:
            report = build_report(
                conn, spec, period, region=region, now=now, options=options, run_id=run_id
            )
        files: list[Path] = []
        directory = None
        if report.status != "nothing_to_report":
            directory = run_directory(reports_root(out), spec.name, run_id)
            files = write_files(report, directory)
    except (CaseworkError, SQLAlchemyError, OSError) as exc:
        record_finish(engine, run_id, "failed", [], {"error": str(exc).splitlines()[0]})
        if isinstance(exc, SQLAlchemyError):
            orig = getattr(exc, "orig", None) or exc
            raise RecordsError(
                f"report {name} failed reading the records: {str(orig).splitlines()[0]}",
                hint="check CASEWORK_DATABASE_URL and run `casework db upgrade`",
            ) from exc
        if isinstance(exc, OSError):
            raise ConfigError(
                f"cannot write the files of report {name}: {exc}",
                hint="check --out / CASEWORK_REPORTS_DIR points at a writable folder",
            ) from exc
        raise
    summary = summary_of(report)
    record_finish(engine, run_id, report.status, [str(f) for f in files], summary)
    total = report.total_seconds
    return RunOutcome(
        run_id=run_id,
        report=spec.name,
        status=report.status,
        message=report.message,
        directory=directory,
        files=files,
        summary=summary,
        period=period,
        timings={
            "sql_seconds": report.sql_seconds,
            "python_seconds": max(0.0, total - report.sql_seconds),
            "total_seconds": total,
        },
    )
