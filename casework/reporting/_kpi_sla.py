"""SLA KPIs: compliance, escalation, backlog, and the breach digest's case list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from casework.contracts import TERMINAL_STATUSES
from casework.records.tables import cases, sla_clocks
from casework.reporting._kpi_common import KpiContext, fill, rows_to_table
from casework.reporting._sql import (
    KpiTable,
    count_if,
    dimension,
    fetch,
    in_period,
    is_true,
    ratio,
    seconds_between,
    unindexed,
)

#: Backlog aging buckets: (measure, lower bound days inclusive, upper bound days exclusive).
AGING_BUCKETS: tuple[tuple[str, float, float | None], ...] = (
    ("age_lt_1d", 0, 1),
    ("age_1_3d", 1, 3),
    ("age_3_7d", 3, 7),
    ("age_gt_7d", 7, None),
)
CLOCK_NAMES = ("first_response", "resolution")


def sla_compliance(conn: Connection, ctx: KpiContext) -> KpiTable:
    """SLA compliance: ``met / (met + breached)`` per clock (metric), sliced as asked.

    A clock counts in the period when it was decided in it: a ``met`` clock by
    its ``stopped_at``, a ``breached`` clock by its ``breached_at``. Running and
    paused clocks are excluded. Measures: ``met``, ``breached``, ``compliance``
    (all clocks), and ``<clock>_met``, ``<clock>_breached``, ``<clock>_compliance``
    for ``first_response`` and ``resolution``. Slice by ``priority`` for the
    per-priority view.
    """
    clk = sla_clocks
    start, end = ctx.period.start, ctx.period.end
    # Nearly every clock is met or breached: find the period's clocks by their
    # instants, never by state (SQLite without statistics would walk the state index).
    state = unindexed(clk.c.state)
    met = and_(state == "met", in_period(clk.c.stopped_at, start, end))
    breached = and_(state == "breached", in_period(clk.c.breached_at, start, end))
    g = dimension(ctx.by)
    cols: list[ColumnElement[Any]] = [
        count_if(met).label("met"),
        count_if(breached).label("breached"),
        ratio(count_if(met), count_if(met) + count_if(breached)).label("compliance"),
    ]
    measures = ["met", "breached", "compliance"]
    for name in CLOCK_NAMES:
        m = and_(met, clk.c.name == name)
        b = and_(breached, clk.c.name == name)
        cols += [
            count_if(m).label(f"{name}_met"),
            count_if(b).label(f"{name}_breached"),
            ratio(count_if(m), count_if(m) + count_if(b)).label(f"{name}_compliance"),
        ]
        measures += [f"{name}_met", f"{name}_breached", f"{name}_compliance"]
    stmt = (
        select(g.label("g"), *cols)
        .select_from(clk.join(cases, cases.c.case_id == clk.c.case_id))
        .where(
            # Implied by met/breached, but lets an index on either instant be used.
            or_(
                in_period(clk.c.stopped_at, start, end),
                in_period(clk.c.breached_at, start, end),
            ),
            or_(met, breached),
            *ctx.filters.clauses(),
        )
        .group_by(g if ctx.by else None)
    )
    rows = [r for r in fetch(conn, stmt) if ctx.by or (r.met or 0) + (r.breached or 0) > 0]
    defaults: dict[str, Any] = {m: 0 for m in measures}
    defaults.update({m: None for m in measures if m.endswith("compliance")})
    return fill(rows_to_table(rows, measures), defaults, ensure_all=ctx.by is None)


def escalation(conn: Connection, ctx: KpiContext) -> KpiTable:
    """Escalation rate and levels reached, over the cases opened in the period.

    ``escalated`` counts cases whose ``escalation_level`` (the highest ladder level
    the case reached) is above 0; ``rate = escalated / opened``; ``level_N`` counts
    the cases whose highest level is ``N``; ``max_level`` is the highest reached.
    """
    g = dimension(ctx.by)
    where = [
        in_period(cases.c.opened_at, ctx.period.start, ctx.period.end),
        *ctx.filters.clauses(),
    ]
    level = func.coalesce(cases.c.escalation_level, 0)
    totals = (
        select(
            g.label("g"),
            func.count().label("opened"),
            count_if(level > 0).label("escalated"),
            ratio(count_if(level > 0), func.count()).label("rate"),
            func.coalesce(func.max(level), 0).label("max_level"),
        )
        .where(*where)
        .group_by(g if ctx.by else None)
    )
    rows = [r for r in fetch(conn, totals) if ctx.by or r.opened]
    table = rows_to_table(rows, ["opened", "escalated", "rate", "max_level"])
    levels = (
        select(g.label("g"), level.label("level"), func.count().label("n"))
        .where(*where, level > 0)
        .group_by(*([g] if ctx.by else []), level)
    )
    for row in fetch(conn, levels):
        table.setdefault(str(row.g), {})[f"level_{int(row.level)}"] = int(row.n)
    return fill(
        table, {"opened": 0, "escalated": 0, "rate": None, "max_level": 0}, ensure_all=not ctx.by
    )


def ended_at() -> ColumnElement[Any]:
    """When a case stopped being open: resolved, else closed, else last update if terminal."""
    return func.coalesce(
        cases.c.resolved_at,
        cases.c.closed_at,
        case((cases.c.status.in_(sorted(TERMINAL_STATUSES)), cases.c.updated_at)),
    )


def backlog(conn: Connection, ctx: KpiContext) -> KpiTable:
    """Backlog at an instant (``ctx.instant``: the period end, or "now"), with aging.

    A case is in the backlog at ``T`` when it was opened before ``T`` and had not
    ended by ``T`` (ended = resolved, else closed, else its last update if its
    status is terminal). Age is ``T - opened_at`` in calendar time, bucketed
    ``age_lt_1d`` (< 1 day), ``age_1_3d`` (1-3), ``age_3_7d`` (3-7), ``age_gt_7d``
    (>= 7 days). ``breached`` and ``at_risk`` count backlog cases by their current
    ``sla_state``; ``oldest_days`` is the oldest case's age in days.
    """
    at = ctx.instant
    g = dimension(ctx.by)
    end = ended_at()
    age_days = seconds_between(_at_literal(at), cases.c.opened_at) / 86400.0
    cols: list[ColumnElement[Any]] = [func.count().label("total")]
    for name, low, high in AGING_BUCKETS:
        cond = age_days >= low if high is None else and_(age_days >= low, age_days < high)
        cols.append(count_if(cond).label(name))
    cols += [
        count_if(cases.c.sla_state == "breached").label("breached"),
        count_if(cases.c.sla_state == "at_risk").label("at_risk"),
        func.max(age_days).label("oldest_days"),
    ]
    measures = ["total", *(b[0] for b in AGING_BUCKETS), "breached", "at_risk", "oldest_days"]
    stmt = (
        select(g.label("g"), *cols)
        .where(
            # Nearly every case was opened before the instant: that condition must not
            # lead (SQLite would walk the whole opened_at index).
            unindexed(cases.c.opened_at) < at,
            # Implied by the next line (ended = resolved_at when set), but indexable:
            # the unresolved cases plus the few resolved after the instant.
            or_(cases.c.resolved_at.is_(None), cases.c.resolved_at > at),
            or_(end.is_(None), end > at),
            *ctx.filters.clauses(),
        )
        .group_by(g if ctx.by else None)
    )
    rows = [r for r in fetch(conn, stmt) if ctx.by or r.total]
    defaults: dict[str, Any] = {m: 0 for m in measures}
    defaults["oldest_days"] = None
    return fill(rows_to_table(rows, measures), defaults, ensure_all=ctx.by is None)


def _at_literal(at: Any) -> ColumnElement[Any]:
    from sqlalchemy import literal

    return literal(at, type_=cases.c.opened_at.type)


def breach_list(conn: Connection, ctx: KpiContext, limit: int = 200) -> list[dict[str, Any]]:
    """Open cases whose SLA is breached or at risk now, most urgent first.

    One row per open SLA clock in state ``breached`` (breached at any time and
    not yet stopped) or running/paused with ``at_risk`` set, of cases not ended
    at ``ctx.instant``; ordered breached first, then by deadline.
    """
    clk = sla_clocks
    end = ended_at()
    at = ctx.instant
    is_breached = clk.c.state == "breached"
    stmt = (
        select(
            cases.c.case_id,
            cases.c.process,
            cases.c.title,
            cases.c.priority,
            cases.c.region,
            cases.c.team,
            cases.c.assignee,
            clk.c.name.label("clock"),
            case((is_breached, "breached"), else_="at_risk").label("sla"),
            clk.c.deadline,
            clk.c.breached_at,
        )
        .select_from(clk.join(cases, cases.c.case_id == clk.c.case_id))
        .where(
            clk.c.stopped_at.is_(None),
            or_(is_breached, and_(clk.c.state.in_(["running", "paused"]), is_true(clk.c.at_risk))),
            cases.c.opened_at < at,
            or_(end.is_(None), end > at),
            *ctx.filters.clauses(),
        )
        .order_by(case((is_breached, 0), else_=1), clk.c.deadline, cases.c.case_id)
        .limit(limit)
    )
    out: list[dict[str, Any]] = []
    for row in fetch(conn, stmt):
        item = dict(row._mapping)
        for key in ("deadline", "breached_at"):
            item[key] = item[key].isoformat() if item[key] is not None else None
        out.append(item)
    return out
