"""Read-side queries of the records: case lists, case detail, timelines, inboxes, workload.

Every function is keyword-only after the engine, returns pydantic shapes from
:mod:`casework.records.shapes`, and pages with opaque keyset cursors (stable
under inserts, cheap at any depth).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select

from casework.errors import CaseworkError, NotFoundError
from casework.records import _cursor, _workload
from casework.records._eligibility import eligible_for
from casework.records.directory import PersonRecord, require_person
from casework.records.shapes import (
    CaseDetail,
    CasePublic,
    ClockPublic,
    EventPublic,
    InboxTask,
    Page,
    SurveyPublic,
    SurveySummary,
    TaskPublic,
    WorkloadRow,
)
from casework.records.tables import case_events, cases, people, sla_clocks, survey_responses, tasks

__all__ = [
    "SLA_FILTERS",
    "case_timeline",
    "get_case",
    "inbox",
    "list_cases",
    "surveys",
    "workload",
]

MAX_LIMIT = 500
SLA_FILTERS = ("on_track", "at_risk", "breached")
_LIST_COLUMNS = [cases.c[name] for name in CasePublic.model_fields]


def _limit(limit: int) -> int:
    if limit < 1 or limit > MAX_LIMIT:
        raise CaseworkError(
            f"limit {limit} is out of range", hint=f"use a limit between 1 and {MAX_LIMIT}"
        )
    return limit


def _instant(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _one_or_many(column: Any, value: str | Sequence[str] | None) -> ColumnElement[bool] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return column == value  # type: ignore[no-any-return]
    return column.in_(list(value))  # type: ignore[no-any-return]


def normalise_sla(sla: str) -> str:
    """Return the stored form of an SLA filter (``on-track`` -> ``on_track``).

    Raises:
        CaseworkError: Not one of on_track, at_risk, breached.
    """
    value = sla.replace("-", "_").lower()
    if value not in SLA_FILTERS:
        raise CaseworkError(
            f"unknown SLA state {sla!r}", hint="use one of on-track, at-risk, breached"
        )
    return value


def list_cases(
    engine: Engine,
    *,
    status: str | Sequence[str] | None = None,
    process: str | None = None,
    region: str | None = None,
    team: str | None = None,
    priority: str | Sequence[str] | None = None,
    assignee: str | None = None,
    sla: str | None = None,
    opened_since: dt.datetime | dt.date | None = None,
    opened_until: dt.datetime | dt.date | None = None,
    customer: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[CasePublic]:
    """Return cases matching every given filter, newest first.

    Args:
        engine: The records engine.
        status: One status or several.
        process: Process name.
        region: Region id.
        team: Team id.
        priority: One priority or several.
        assignee: Person id the case is assigned to.
        sla: ``on_track``, ``at_risk`` or ``breached`` (dashes accepted).
        opened_since: Opened at or after (a date means midnight UTC).
        opened_until: Opened before (a date means midnight UTC).
        customer: Exact customer name or id.
        limit: Page size, 1 to 500.
        cursor: ``next_cursor`` of the previous page.
    """
    size = _limit(limit)
    conditions = [
        _one_or_many(cases.c.status, status),
        _one_or_many(cases.c.priority, priority),
        None if process is None else cases.c.process == process,
        None if region is None else cases.c.region == region,
        None if team is None else cases.c.team == team,
        None if assignee is None else cases.c.assignee == assignee,
        None if customer is None else cases.c.customer == customer,
        None if sla is None else cases.c.sla_state == normalise_sla(sla),
        None if opened_since is None else cases.c.opened_at >= _instant(opened_since),
        None if opened_until is None else cases.c.opened_at < _instant(opened_until),
    ]
    if cursor is not None:
        conditions.append(
            _cursor.keyset(cases.c.opened_at, cases.c.case_id, cursor, descending=True)
        )
    query = (
        select(*_LIST_COLUMNS)
        .where(*(c for c in conditions if c is not None))
        .order_by(cases.c.opened_at.desc(), cases.c.case_id.desc())
        .limit(size + 1)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    items = [CasePublic.model_validate(dict(r)) for r in rows[:size]]
    more = len(rows) > size
    next_cursor = _cursor.encode(items[-1].opened_at, items[-1].case_id) if more else None
    return Page[CasePublic](items=items, next_cursor=next_cursor)


def get_case(engine: Engine, case_id: str) -> CaseDetail:
    """Return a case with its tasks (oldest first) and SLA clocks.

    Raises:
        NotFoundError: The records have no such case.
    """
    with engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.case_id == case_id)).mappings().first()
        if row is None:
            raise NotFoundError(
                "case", case_id, hint="check the id (C-YYMMDD-XXXXXX); see `casework cases`"
            )
        task_rows = conn.execute(
            select(tasks)
            .where(tasks.c.case_id == case_id)
            .order_by(tasks.c.created_at, tasks.c.task_id)
        ).mappings()
        clock_rows = conn.execute(
            select(sla_clocks).where(sla_clocks.c.case_id == case_id).order_by(sla_clocks.c.name)
        ).mappings()
        return CaseDetail.model_validate(
            {
                **row,
                "tasks": [TaskPublic.model_validate(dict(t)) for t in task_rows],
                "clocks": [ClockPublic.model_validate(dict(c)) for c in clock_rows],
            }
        )


def case_timeline(
    engine: Engine, case_id: str, *, after_seq: int = 0, limit: int = 200
) -> Page[EventPublic]:
    """Return a case's events in ``seq`` order after ``after_seq``.

    ``next_cursor`` is the last ``seq`` of the page as text (pass it as ``after_seq``).

    Raises:
        NotFoundError: The records have neither the case nor any of its events.
    """
    size = _limit(limit)
    query = (
        select(case_events)
        .where(case_events.c.case_id == case_id, case_events.c.seq > after_seq)
        .order_by(case_events.c.seq)
        .limit(size + 1)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
        if not rows and after_seq == 0:
            known = conn.execute(select(cases.c.case_id).where(cases.c.case_id == case_id)).first()
            if known is None:
                raise NotFoundError("case", case_id, hint="see `casework cases`")
    items = [EventPublic.model_validate(dict(r)) for r in rows[:size]]
    more = len(rows) > size
    return Page[EventPublic](items=items, next_cursor=str(items[-1].seq) if more else None)


def inbox(
    engine: Engine,
    *,
    person: str | PersonRecord,
    mine: bool = False,
    role: str | None = None,
    region: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[InboxTask]:
    """Return the tasks ``person`` may take (or, with ``mine``, holds), oldest first.

    Without ``mine``: open tasks whose role is one of theirs, whose region, team
    and named person are unset or theirs, whose skills they all have, and (for
    approvals with resolved approvers) that name them. With ``mine``: open and
    claimed tasks assigned to them.

    Raises:
        NotFoundError: ``person`` is not an active person of the directory.
    """
    size = _limit(limit)
    who = require_person(engine, person) if isinstance(person, str) else person
    if mine:
        conditions: list[ColumnElement[bool]] = [
            tasks.c.assignee == who.id,
            tasks.c.state.in_(["open", "claimed"]),
        ]
    else:
        conditions = eligible_for(engine, who)
    if role is not None:
        conditions.append(tasks.c.role == role)
    if region is not None:
        conditions.append(tasks.c.region == region)
    if cursor is not None:
        conditions.append(
            _cursor.keyset(tasks.c.created_at, tasks.c.task_id, cursor, descending=False)
        )
    query = (
        select(
            tasks,
            cases.c.title.label("case_title"),
            cases.c.process.label("case_process"),
            cases.c.priority.label("case_priority"),
            cases.c.sla_state.label("case_sla_state"),
        )
        .select_from(tasks.outerjoin(cases, cases.c.case_id == tasks.c.case_id))
        .where(*conditions)
        .order_by(tasks.c.created_at, tasks.c.task_id)
        .limit(size + 1)
    )
    with engine.connect() as conn:
        if not mine and engine.dialect.name == "postgresql":
            # PostgreSQL underestimates the many eligibility filters (JSONB containment has
            # no statistics), then sorts every open task. Walking (state, created_at) in
            # order and stopping at the page size is the plan that stays fast at any size.
            conn.exec_driver_sql("SET LOCAL enable_sort = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        rows = conn.execute(query).mappings().all()
        conn.rollback()
    items = [
        InboxTask.model_validate({k: v for k, v in r.items() if v is not None or k[:5] != "case_"})
        for r in rows[:size]
    ]
    more = len(rows) > size
    next_cursor = _cursor.encode(items[-1].created_at, items[-1].task_id) if more else None
    return Page[InboxTask](items=items, next_cursor=next_cursor)


def workload(engine: Engine, *, team: str | None = None) -> list[WorkloadRow]:
    """Return open and claimed tasks per assignee, the person with the oldest task first.

    With ``team``, every active member of the team is listed, with zero counts
    when they hold nothing.
    """
    with engine.connect() as conn:
        held = _workload.counts(conn, team)
        who_query = select(people.c.id, people.c.name, people.c.team)
        if team is not None:
            who_query = who_query.where(
                or_(
                    and_(people.c.team == team, people.c.active.is_(True)),
                    people.c.id.in_(list(held)),
                )
            )
        else:
            who_query = who_query.where(people.c.id.in_(list(held)))
        known = {r.id: r for r in conn.execute(who_query)}
    rows: list[WorkloadRow] = []
    for pid in set(held) | set(known):
        c = held.get(pid, _workload.Counts())
        p = known.get(pid)
        rows.append(
            WorkloadRow(
                person=pid,
                name=p.name if p else "",
                team=p.team if p else None,
                open=c.open,
                claimed=c.claimed,
                total=c.open + c.claimed,
                oldest_at=c.oldest_at,
                oldest_task_id=c.oldest_task_id,
            )
        )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r.oldest_at or far, r.person))
    return rows


def _as_utc(value: Any) -> dt.datetime | None:
    # Aggregates (min) lose the column type on SQLite, so parse the stored text.
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def surveys(
    engine: Engine,
    *,
    since: dt.datetime | dt.date | None = None,
    until: dt.datetime | dt.date | None = None,
    subject_case_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> SurveySummary:
    """Return survey answers (newest first) and the count and average over all matching ones."""
    size = _limit(limit)
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(survey_responses.c.responded_at >= _instant(since))
    if until is not None:
        conditions.append(survey_responses.c.responded_at < _instant(until))
    if subject_case_id is not None:
        conditions.append(survey_responses.c.subject_case_id == subject_case_id)
    paged = list(conditions)
    if cursor is not None:
        paged.append(
            _cursor.keyset(
                survey_responses.c.responded_at, survey_responses.c.case_id, cursor, descending=True
            )
        )
    query = (
        select(survey_responses)
        .where(*paged)
        .order_by(survey_responses.c.responded_at.desc(), survey_responses.c.case_id.desc())
        .limit(size + 1)
    )
    stats = select(func.count(), func.avg(survey_responses.c.score)).where(*conditions)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
        count, average = conn.execute(stats).one()
    items = [SurveyPublic.model_validate(dict(r)) for r in rows[:size]]
    more = len(rows) > size
    next_cursor = _cursor.encode(items[-1].responded_at, items[-1].case_id) if more else None
    return SurveySummary(
        page=Page[SurveyPublic](items=items, next_cursor=next_cursor),
        count=int(count),
        average=round(float(average), 2) if average is not None else None,
    )
