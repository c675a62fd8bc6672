"""Duration KPIs: first response time, resolution time, approvals cycle time."""

from __future__ import annotations

from sqlalchemy import Connection, Float, and_, case, cast, func, select

from casework.records.tables import case_events, cases, sla_clocks
from casework.reporting._kpi_common import KpiContext, distribution_table, fill, merge
from casework.reporting._sql import (
    KpiTable,
    count_if,
    dimension,
    fetch,
    in_period,
    seconds_between,
)

_DIST = {"count": 0, "mean": None, "median": None, "p90": None}


def first_response_time(conn: Connection, ctx: KpiContext) -> KpiTable:
    """First response time, in the ``first_response`` SLA clock's own basis.

    For every ``first_response`` clock that stopped inside the period (the
    response was given then, whether the clock was met or had breached): the
    seconds the clock counted, i.e. ``stopped_at - started_at`` minus the time it
    was paused, measured in business seconds for a business clock (the records
    keep that as ``sla_clocks.elapsed_seconds``; when it is missing the calendar
    difference minus ``paused_seconds`` is used). Measures: ``count``, ``median``,
    ``p90``, ``mean`` (seconds).
    """
    clk = sla_clocks
    g = dimension(ctx.by)
    value = func.coalesce(
        cast(clk.c.elapsed_seconds, Float),
        seconds_between(clk.c.stopped_at, clk.c.started_at) - clk.c.paused_seconds,
    )
    src = (
        select(g.label("g"), value.label("v"))
        .select_from(clk.join(cases, cases.c.case_id == clk.c.case_id))
        .where(
            clk.c.name == "first_response",
            clk.c.stopped_at.is_not(None),
            in_period(clk.c.stopped_at, ctx.period.start, ctx.period.end),
            *ctx.filters.clauses(),
        )
    )
    return fill(distribution_table(conn, src), _DIST, ensure_all=ctx.by is None)


def resolution_time(conn: Connection, ctx: KpiContext) -> KpiTable:
    """Resolution time, calendar seconds from ``opened_at`` to ``resolved_at``.

    Over the cases resolved inside the period (``resolved_at`` in the period), as
    the customer experiences it (nights and weekends count). Measures: ``count``,
    ``median``, ``p90``, ``mean`` (seconds).
    """
    g = dimension(ctx.by)
    src = select(
        g.label("g"), seconds_between(cases.c.resolved_at, cases.c.opened_at).label("v")
    ).where(
        cases.c.resolved_at.is_not(None),
        in_period(cases.c.resolved_at, ctx.period.start, ctx.period.end),
        *ctx.filters.clauses(),
    )
    return fill(distribution_table(conn, src), _DIST, ensure_all=ctx.by is None)


def approvals_cycle_time(conn: Connection, ctx: KpiContext) -> KpiTable:
    """Policy-change approval cycle time: case opened to its final approval decision.

    Over the cases of the approval process (``KpiOptions.approval_process``) whose
    last ``approval_decided`` event falls inside the period: calendar seconds from
    ``opened_at`` to that event. ``approved`` counts those cases whose every
    ``approval_decided`` event has ``details.decision == "approved"``; ``rejected``
    the rest. Measures: ``count``, ``median``, ``p90``, ``mean``, ``approved``,
    ``rejected``.
    """
    ev = case_events
    decision = ev.c.details["decision"].as_string()
    # A case whose last decision is in the period has a decision in it: find those
    # cases through (kind, at), then read all of their decisions (not every event).
    in_window = select(ev.c.case_id).where(
        ev.c.kind == "approval_decided",
        in_period(ev.c.at, ctx.period.start, ctx.period.end),
    )
    decided = (
        select(
            ev.c.case_id,
            func.max(ev.c.at).label("decided_at"),
            func.sum(case((decision == "approved", 0), else_=1)).label("not_approved"),
        )
        .where(ev.c.kind == "approval_decided", ev.c.case_id.in_(in_window))
        .group_by(ev.c.case_id)
        .subquery("decided")
    )
    g = dimension(ctx.by)
    where = and_(
        cases.c.process == ctx.options.approval_process,
        in_period(decided.c.decided_at, ctx.period.start, ctx.period.end),
        *ctx.filters.clauses(),
    )
    joined = decided.join(cases, cases.c.case_id == decided.c.case_id)
    src = (
        select(g.label("g"), seconds_between(decided.c.decided_at, cases.c.opened_at).label("v"))
        .select_from(joined)
        .where(where)
    )
    counts_stmt = (
        select(
            g.label("g"),
            count_if(decided.c.not_approved == 0).label("approved"),
            count_if(decided.c.not_approved > 0).label("rejected"),
        )
        .select_from(joined)
        .where(where)
        .group_by(g if ctx.by else None)
    )
    counts: KpiTable = {
        str(r.g): {"approved": int(r.approved), "rejected": int(r.rejected)}
        for r in fetch(conn, counts_stmt)
        if ctx.by or int(r.approved) + int(r.rejected) > 0
    }
    defaults = {**_DIST, "approved": 0, "rejected": 0}
    return fill(merge(distribution_table(conn, src), counts), defaults, ensure_all=ctx.by is None)
