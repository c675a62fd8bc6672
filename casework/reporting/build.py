"""Compute a report's content: sections of KPIs, trends and the breach list."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection

from casework.reporting._sql import sql_timer
from casework.reporting.kpis import (
    KPIS,
    Filters,
    KpiContext,
    KpiOptions,
    KpiResult,
    breach_list,
    compute,
)
from casework.reporting.periods import Period
from casework.reporting.specs import ReportSpec, SectionSpec

RunStatus = Literal["running", "ok", "empty", "nothing_to_report", "failed"]
Number = float | int | None


class TrendPoint(BaseModel):
    """Headline values of some KPIs over one sub-period (a week of a month)."""

    label: str
    start: dt.datetime
    end: dt.datetime
    values: dict[str, Number]


class Section(BaseModel):
    """One computed section of a report."""

    title: str
    by: str | None = None
    kpis: list[KpiResult] = Field(default_factory=list)
    trend: list[TrendPoint] = Field(default_factory=list)


class Report(BaseModel):
    """A computed report, ready to render (HTML/CSV/JSON) and to record."""

    report: str
    title: str
    description: str
    run_id: str
    period_start: dt.datetime
    period_end: dt.datetime
    timezone: str
    period_label: str
    region: str | None = None
    generated_at: dt.datetime
    status: RunStatus
    message: str = ""
    sections: list[Section] = Field(default_factory=list)
    breaches: list[dict[str, Any]] = Field(default_factory=list)
    summary: dict[str, Number] = Field(default_factory=dict)
    sql_seconds: float = 0.0
    total_seconds: float = 0.0
    sql_statements: int = 0


def new_run_id(now: dt.datetime | None = None) -> str:
    """Return a sortable run id, e.g. ``20261201T070000Z-3f9a1c``."""
    at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{at.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"


def _weeks(period: Period) -> list[Period]:
    out: list[Period] = []
    start = period.start
    while start < period.end:
        end = min(start + dt.timedelta(days=7), period.end)
        out.append(Period(start, end, period.timezone))
        start = end
    return out


def _section(conn: Connection, spec: SectionSpec, base: KpiContext, now: dt.datetime) -> Section:
    ctx = KpiContext(
        period=base.period,
        filters=base.filters,
        by=spec.by,
        options=base.options,
        at=now if spec.instant == "now" else None,
    )
    if spec.trend:
        points: list[TrendPoint] = []
        for week in _weeks(base.period):
            week_ctx = KpiContext(period=week, filters=base.filters, options=base.options, by=None)
            values = {
                name: compute(conn, name, week_ctx, compare=False).value() for name in spec.kpis
            }
            label = week.start.astimezone(_zone(week.timezone)).strftime("%d %b")
            points.append(TrendPoint(label=label, start=week.start, end=week.end, values=values))
        return Section(title=spec.title, by=None, trend=points)
    return Section(
        title=spec.title,
        by=spec.by,
        kpis=[compute(conn, name, ctx) for name in spec.kpis],
    )


def _zone(name: str) -> dt.tzinfo:
    from casework.reporting.periods import zone

    return zone(name)


def _summary(sections: list[Section]) -> dict[str, Number]:
    out: dict[str, Number] = {}
    for section in sections:
        if section.by is not None:
            continue
        for kpi in section.kpis:
            out.setdefault(kpi.name, kpi.value())
            out.setdefault(f"{kpi.name}.{kpi.count}", kpi.current.get("all", {}).get(kpi.count))
    return out


def _is_empty(sections: list[Section]) -> bool:
    for section in sections:
        for kpi in section.kpis:
            if not KPIS[kpi.name].point_in_time and not kpi.is_empty():
                return False
        for point in section.trend:
            if any(v not in (None, 0) for k, v in point.values.items() if k != "backlog"):
                return False
    return True


def build_report(
    conn: Connection,
    spec: ReportSpec,
    period: Period,
    *,
    region: str | None = None,
    now: dt.datetime | None = None,
    options: KpiOptions | None = None,
    run_id: str | None = None,
) -> Report:
    """Compute every section of ``spec`` over ``period``.

    Args:
        conn: Connection to the records database.
        spec: The report to build.
        period: Its period (usually ``spec.period(timezone, now)``).
        region: Only cases of this region.
        now: The run's "now" (backlog-now sections, breach list); default the clock.
        options: KPI knobs.
        run_id: Id of the run; a new one when omitted.

    Returns:
        The report; ``status`` is ``empty`` when nothing happened in the period, and
        ``nothing_to_report`` for a digest without breached or at-risk cases.
    """
    started = time.perf_counter()
    at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    base = KpiContext(
        period=period, filters=Filters(region=region), options=options or KpiOptions()
    )
    report = Report(
        report=spec.name,
        title=spec.title,
        description=spec.description,
        run_id=run_id or new_run_id(at),
        period_start=period.start,
        period_end=period.end,
        timezone=period.timezone,
        period_label=period.label(),
        region=region,
        generated_at=at,
        status="ok",
    )
    with sql_timer() as timer:
        if spec.digest:
            report.breaches = breach_list(
                conn, KpiContext(period=period, filters=base.filters, at=at)
            )
            if not report.breaches:
                report.status = "nothing_to_report"
                report.message = "No open case is breached or at risk: nothing to report."
        if report.status == "ok":
            report.sections = [_section(conn, s, base, at) for s in spec.sections]
            report.summary = _summary(report.sections)
            if spec.digest:
                n_breached = sum(1 for b in report.breaches if b["sla"] == "breached")
                report.summary["breached"] = n_breached
                report.summary["at_risk"] = len(report.breaches) - n_breached
            elif _is_empty(report.sections):
                report.status = "empty"
                report.message = (
                    "Nothing happened in this period: no case was opened, answered or "
                    "resolved, and no SLA clock or survey was decided."
                )
    report.sql_seconds = timer.seconds
    report.sql_statements = timer.statements
    report.total_seconds = time.perf_counter() - started
    return report
