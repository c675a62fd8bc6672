"""Quality KPIs: first-contact resolution, reopen rate, CSAT, survey response rate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    func,
    or_,
    select,
)

from casework.records.tables import case_events, cases, survey_responses, tasks
from casework.reporting._kpi_common import KpiContext, fill, rows_to_table
from casework.reporting._sql import (
    KpiTable,
    count_if,
    dimension,
    fetch,
    in_period,
    plus_days,
    ratio,
    seconds_between,
    with_ratio,
)

HUMAN_TASK_KINDS = ("task", "approval")


def reopened(ctx: KpiContext) -> ColumnElement[bool]:
    """Whether a resolved case (row of ``cases``) was reopened.

    Reopened means either the case has a ``case_reopened`` event after it was
    opened, or a *different* case for the same ``customer`` and ``process`` was
    opened after ``resolved_at`` and within ``KpiOptions.reopen_days`` days of it
    (the customer came back about the same thing).
    """
    days = ctx.options.reopen_days
    window = days * 86400.0
    follow = cases.alias("follow_up")
    # One pass over the (few) reopen events through (kind, at), not a probe of every
    # resolved case's events: SQLite builds the set once, PostgreSQL hashes it.
    by_event = cases.c.case_id.in_(
        select(case_events.c.case_id).where(case_events.c.kind == "case_reopened")
    )
    by_new_case = exists(
        select(follow.c.case_id).where(
            follow.c.customer == cases.c.customer,
            # coalesce() keeps planners without statistics on the (customer, opened_at)
            # index instead of the far less selective (process, opened_at) one.
            func.coalesce(follow.c.process, "") == cases.c.process,
            follow.c.case_id != cases.c.case_id,
            follow.c.opened_at > cases.c.resolved_at,
            follow.c.opened_at <= plus_days(cases.c.resolved_at, days),
            seconds_between(follow.c.opened_at, cases.c.resolved_at) <= window,
        )
    )
    return or_(by_event, and_(cases.c.customer.is_not(None), by_new_case))


def _resolved_where(ctx: KpiContext) -> list[ColumnElement[bool]]:
    return [
        cases.c.resolved_at.is_not(None),
        in_period(cases.c.resolved_at, ctx.period.start, ctx.period.end),
        *ctx.filters.clauses(),
    ]


def reopen_rate(conn: Connection, ctx: KpiContext) -> KpiTable:
    """Reopen rate within ``reopen_days``: reopened / resolved.

    Over the cases resolved inside the period; "reopened" is defined by
    :func:`reopened` (a ``case_reopened`` event, or a new case of the same customer
    and process within N days of resolution). Measures: ``resolved``,
    ``reopened``, ``rate``, ``days``.
    """
    g = dimension(ctx.by)
    flag = reopened(ctx)
    counts = (
        select(g.label("g"), func.count().label("resolved"), count_if(flag).label("reopened"))
        .where(*_resolved_where(ctx))
        .group_by(g if ctx.by else None)
    )
    stmt = with_ratio(counts, "rate", "reopened", "resolved")
    rows = [r for r in fetch(conn, stmt) if ctx.by or r.resolved]
    table = rows_to_table(rows, ["resolved", "reopened", "rate"])
    defaults: dict[str, Any] = {"resolved": 0, "reopened": 0, "rate": None}
    out = fill(table, defaults, ensure_all=ctx.by is None)
    for measures in out.values():
        measures["days"] = ctx.options.reopen_days
    return out


def first_contact_resolution(conn: Connection, ctx: KpiContext) -> KpiTable:
    """First-contact resolution rate: FCR cases / resolved cases.

    Over the cases resolved inside the period. A case is resolved at first
    contact when exactly one human task (``tasks.kind`` ``task`` or ``approval``)
    of it was completed, it never escalated (``escalation_level == 0``) and it was
    not reopened (:func:`reopened`). Measures: ``resolved``, ``fcr``, ``rate``.
    """
    done = (
        select(func.count())
        .where(
            tasks.c.case_id == cases.c.case_id,
            tasks.c.kind.in_(HUMAN_TASK_KINDS),
            tasks.c.state == "completed",
        )
        .scalar_subquery()
    )
    fcr = and_(
        done == 1,
        func.coalesce(cases.c.escalation_level, 0) == 0,
        ~reopened(ctx),
    )
    g = dimension(ctx.by)
    counts = (
        select(g.label("g"), func.count().label("resolved"), count_if(fcr).label("fcr"))
        .where(*_resolved_where(ctx))
        .group_by(g if ctx.by else None)
    )
    stmt = with_ratio(counts, "rate", "fcr", "resolved")
    rows = [r for r in fetch(conn, stmt) if ctx.by or r.resolved]
    return fill(
        rows_to_table(rows, ["resolved", "fcr", "rate"]),
        {"resolved": 0, "fcr": 0, "rate": None},
        ensure_all=ctx.by is None,
    )


def csat(conn: Connection, ctx: KpiContext) -> KpiTable:
    """Customer satisfaction: answers with ``score >= 4`` / answers.

    Over the survey responses received inside the period (``responded_at``),
    sliced and filtered by the case the survey is about (``subject_case_id``;
    responses without a known subject fall in ``(none)``). Measures: ``answered``,
    ``satisfied``, ``csat``, ``mean_score``.
    """
    sr = survey_responses
    subject = cases.alias("subject")
    g = dimension(ctx.by, subject)
    good = sr.c.score >= ctx.options.satisfied_score
    stmt = (
        select(
            g.label("g"),
            func.count().label("answered"),
            count_if(good).label("satisfied"),
            ratio(count_if(good), func.count()).label("csat"),
            func.avg(sr.c.score).label("mean_score"),
        )
        .select_from(sr.outerjoin(subject, subject.c.case_id == sr.c.subject_case_id))
        .where(
            in_period(sr.c.responded_at, ctx.period.start, ctx.period.end),
            *ctx.filters.clauses(subject),
        )
        .group_by(g if ctx.by else None)
    )
    rows = [r for r in fetch(conn, stmt) if ctx.by or r.answered]
    return fill(
        rows_to_table(rows, ["answered", "satisfied", "csat", "mean_score"]),
        {"answered": 0, "satisfied": 0, "csat": None, "mean_score": None},
        ensure_all=ctx.by is None,
    )


def survey_response_rate(conn: Connection, ctx: KpiContext) -> KpiTable:
    """Survey response rate: surveys answered / surveys sent.

    Surveys sent are the cases of the survey process (``KpiOptions.survey_process``,
    ``customer-feedback``) opened inside the period; answered are those of them
    with a row in ``survey_responses`` (at any time up to now). Sliced and
    filtered by the subject case (the survey case's ``parent_case_id``, else its
    ``subject_case_id`` field). Measures: ``sent``, ``answered``, ``rate``.
    """
    survey = cases.alias("survey")
    subject = cases.alias("subject")
    g = dimension(ctx.by, subject)
    answered = exists(
        select(survey_responses.c.case_id).where(survey_responses.c.case_id == survey.c.case_id)
    )
    stmt = (
        select(
            g.label("g"),
            func.count().label("sent"),
            count_if(answered).label("answered"),
            ratio(count_if(answered), func.count()).label("rate"),
        )
        .select_from(
            survey.outerjoin(
                subject,
                subject.c.case_id
                == func.coalesce(
                    survey.c.parent_case_id, survey.c.data["subject_case_id"].as_string()
                ),
            )
        )
        .where(
            survey.c.process == ctx.options.survey_process,
            in_period(survey.c.opened_at, ctx.period.start, ctx.period.end),
            *ctx.filters.clauses(subject),
        )
        .group_by(g if ctx.by else None)
    )
    rows = [r for r in fetch(conn, stmt) if ctx.by or r.sent]
    return fill(
        rows_to_table(rows, ["sent", "answered", "rate"]),
        {"sent": 0, "answered": 0, "rate": None},
        ensure_all=ctx.by is None,
    )
