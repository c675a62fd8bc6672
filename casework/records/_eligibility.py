"""Who may take a task, as SQL conditions on ``tasks`` (SQLite and PostgreSQL).

The conditions are written per dialect so each planner walks the
``(state, created_at)`` index in inbox order and stops at the page size:
SQLite gets ``coalesce(...)`` forms (which no index can serve, so it does not
wander off to the assignee index), PostgreSQL gets plain ``IS NULL OR =`` forms
(whose selectivity its statistics estimate well).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, bindparam, func, or_, text, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from casework.records.directory import PersonRecord
from casework.records.tables import tasks


def eligible_for(engine: Engine, person: PersonRecord) -> list[ColumnElement[bool]]:
    """Return the conditions an open task meets when ``person`` may take it."""
    c = tasks.c
    pg = engine.dialect.name == "postgresql"
    if pg:
        named: Any = type_coerce(c.eligible, JSONB).contains(
            bindparam("me_list", [person.id], JSONB)
        )
    else:
        named = text(
            "EXISTS (SELECT 1 FROM json_each(tasks.eligible) AS e WHERE e.value = :me_id)"
        ).bindparams(me_id=person.id)
    # A task without a role is only for the people it names.
    by_name = and_(c.role.is_(None), or_(c.person == person.id, named))
    role = c.role if pg else func.coalesce(c.role, "")
    conditions: list[ColumnElement[bool]] = [
        c.state == "open",
        or_(role.in_(list(person.roles)), by_name) if person.roles else by_name,
        _unset_or(pg, c.region, person.region),
        _unset_or(pg, c.team, person.team),
        _unset_or(pg, c.person, person.id),
        _unset_or(pg, c.assignee, person.id),
    ]
    if pg:
        skills = type_coerce(c.skills, JSONB)
        eligible = type_coerce(c.eligible, JSONB)
        conditions.append(skills.contained_by(bindparam("me_skills", list(person.skills), JSONB)))
        conditions.append(or_(func.jsonb_array_length(eligible) == 0, named))
    else:
        conditions.append(
            text(
                "NOT EXISTS (SELECT 1 FROM json_each(tasks.skills) AS s "
                "WHERE s.value NOT IN (SELECT value FROM json_each(:me_skills)))"
            ).bindparams(me_skills=json.dumps(list(person.skills)))  # type: ignore[arg-type]
        )
        conditions.append(or_(func.json_array_length(c.eligible) == 0, named))
    return conditions


def _unset_or(pg: bool, column: Any, value: str | None) -> ColumnElement[bool]:
    """``column IS NULL OR column = value`` (just ``IS NULL`` when ``value`` is None)."""
    if value is None:
        return column.is_(None) if pg else func.coalesce(column, "") == ""
    if pg:
        return or_(column.is_(None), column == value)
    return func.coalesce(column, value) == value
