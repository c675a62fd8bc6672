"""Training-onboarding progress KPI."""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, or_, select

from casework.records.tables import cases, tasks
from casework.reporting._kpi_common import KpiContext, distribution_table, fill, merge
from casework.reporting._kpi_sla import ended_at
from casework.reporting._sql import (
    KpiTable,
    count_if,
    dimension,
    fetch,
    in_period,
    seconds_between,
)


def onboarding_progress(conn: Connection, ctx: KpiContext) -> KpiTable:
    """Training-onboarding progress over the period.

    Over cases of ``KpiOptions.onboarding_process``:

    - ``in_progress``: onboarding cases open at the end of the period;
    - ``modules_done``: tasks whose ``step_id`` starts with ``module_prefix``
      completed inside the period;
    - ``assessments_taken`` / ``assessments_passed``: tasks whose ``step_id``
      starts with ``assessment_prefix`` completed inside the period / of them
      those with an outcome in ``passed_outcomes`` or a submitted form
      ``score`` of at least ``pass_mark`` (80);
    - ``signed_off`` and ``signoff_median`` / ``signoff_mean`` / ``signoff_p90``:
      onboarding cases that ended inside the period (resolved, else closed) with
      an outcome in ``signoff_outcomes`` (``completed``), and the calendar
      seconds from ``opened_at`` to that end: the time to sign-off.
    """
    opts = ctx.options
    start, end = ctx.period.start, ctx.period.end
    g = dimension(ctx.by)
    base = [cases.c.process == opts.onboarding_process, *ctx.filters.clauses()]

    module = tasks.c.step_id.startswith(opts.module_prefix, autoescape=True)
    assess = tasks.c.step_id.startswith(opts.assessment_prefix, autoescape=True)
    score = tasks.c.form["score"].as_float()
    passed = and_(
        assess,
        or_(tasks.c.outcome.in_(opts.passed_outcomes), func.coalesce(score, 0) >= opts.pass_mark),
    )
    task_stmt = (
        select(
            g.label("g"),
            count_if(module).label("modules_done"),
            count_if(assess).label("assessments_taken"),
            count_if(passed).label("assessments_passed"),
        )
        .select_from(tasks.join(cases, cases.c.case_id == tasks.c.case_id))
        .where(
            *base,
            tasks.c.state == "completed",
            in_period(tasks.c.completed_at, start, end),
            or_(module, assess),
        )
        .group_by(g if ctx.by else None)
    )
    table: KpiTable = {}
    for row in fetch(conn, task_stmt):
        if ctx.by or row.modules_done or row.assessments_taken:
            table[str(row.g)] = {
                "modules_done": int(row.modules_done),
                "assessments_taken": int(row.assessments_taken),
                "assessments_passed": int(row.assessments_passed),
            }

    finished = ended_at()
    open_stmt = (
        select(g.label("g"), func.count().label("n"))
        .where(*base, cases.c.opened_at < end, or_(finished.is_(None), finished > end))
        .group_by(g if ctx.by else None)
    )
    for row in fetch(conn, open_stmt):
        if ctx.by or row.n:
            table.setdefault(str(row.g), {})["in_progress"] = int(row.n)

    done_at = func.coalesce(cases.c.resolved_at, cases.c.closed_at)
    signoff_src = select(
        g.label("g"), seconds_between(done_at, cases.c.opened_at).label("v")
    ).where(*base, cases.c.outcome.in_(opts.signoff_outcomes), in_period(done_at, start, end))
    signoff = {
        key: {
            "signed_off": m["signoff_count"],
            "signoff_median": m["signoff_median"],
            "signoff_p90": m["signoff_p90"],
            "signoff_mean": m["signoff_mean"],
        }
        for key, m in distribution_table(conn, signoff_src, prefix="signoff_").items()
    }
    defaults = {
        "in_progress": 0,
        "modules_done": 0,
        "assessments_taken": 0,
        "assessments_passed": 0,
        "signed_off": 0,
        "signoff_median": None,
        "signoff_p90": None,
        "signoff_mean": None,
    }
    return fill(merge(table, signoff), defaults, ensure_all=ctx.by is None)
