"""Who may take a task, as SQL conditions on ``tasks`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, Engine, and_, bindparam, func, or_, text, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from casework.records.directory import PersonRecord
from casework.records.tables import tasks


def eligible_for(engine: Engine, person: PersonRecord) -> list[ColumnElement[bool]]:
    """Return the conditions an open task meets when ``person`` may take it."""
    c = tasks.c
    if engine.dialect.name == "postgresql":
        named = type_coerce(c.eligible, JSONB).contains(bindparam("me_list", [person.id], JSONB))
    else:
        named = text(
            "EXISTS (SELECT 1 FROM json_each(tasks.eligible) AS e WHERE e.value = :me_id)"
        ).bindparams(me_id=person.id)  # type: ignore[assignment]
    # A task without a role is only for the people it names.
    by_name = and_(c.role.is_(None), or_(c.person == person.id, named))
    conditions: list[ColumnElement[bool]] = [
        c.state == "open",
        or_(c.role.in_(list(person.roles)), by_name) if person.roles else by_name,
        or_(c.region.is_(None), c.region == person.region),
        or_(c.team.is_(None), c.team == person.team),
        or_(c.person.is_(None), c.person == person.id),
        or_(c.assignee.is_(None), c.assignee == person.id),
    ]
    if engine.dialect.name == "postgresql":
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
