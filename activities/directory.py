"""Directory activities: who is eligible for a task, and routing one assignee.

People come from the records' ``people`` table; while it is empty (a fresh
database) the shipped ``directory`` section of ``policies/*.yaml`` is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity

from activities import _db
from casework.contracts import EligibleQuery, RouteQuery
from casework.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person of the directory, as the activities and the client see them."""

    id: str
    name: str = ""
    email: str | None = None
    roles: tuple[str, ...] = ()
    team: str | None = None
    region: str | None = None
    skills: tuple[str, ...] = ()
    manager: str | None = None
    active: bool = True
    extra: dict[str, str] = field(default_factory=dict)


def people_from_policies(policies_dir: Path) -> list[PersonRecord]:
    """Read the people of every ``directory`` section under ``policies_dir``."""
    from casework.language.policies import Directory

    found: dict[str, PersonRecord] = {}
    for path in sorted(policies_dir.glob("*.y*ml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # the linter reports broken policy files with their location
        if not isinstance(raw, dict) or not isinstance(raw.get("directory"), dict):
            continue
        try:
            directory = Directory.model_validate(raw["directory"])
        except ValueError:
            continue
        for p in directory.people:
            found[p.id] = PersonRecord(
                id=p.id,
                name=p.name,
                email=p.email,
                roles=tuple(p.roles),
                team=p.team,
                region=p.region,
                skills=tuple(p.skills),
                manager=p.manager,
            )
    return [found[k] for k in sorted(found)]


def people_from_table(conn: Connection) -> list[PersonRecord]:
    """Read every person of the records' ``people`` table, sorted by id."""
    from casework.records.tables import people

    rows = conn.execute(select(people).order_by(people.c.id)).mappings()
    return [
        PersonRecord(
            id=r["id"],
            name=r["name"] or "",
            email=r["email"],
            roles=tuple(r["roles"] or ()),
            team=r["team"],
            region=r["region"],
            skills=tuple(r["skills"] or ()),
            manager=r["manager"],
            active=bool(r["active"]),
        )
        for r in rows
    ]


def load_people(
    conn: Connection | None = None, settings: Settings | None = None
) -> list[PersonRecord]:
    """Return the directory: the people table, or the shipped YAML when the table is empty."""
    settings = settings or get_settings()
    if conn is not None:
        rows = people_from_table(conn)
    else:
        try:
            with _db.engine().connect() as c:
                rows = people_from_table(c)
        except (SQLAlchemyError, ImportError):
            rows = []  # no records database yet: the shipped directory still answers
    return rows or people_from_policies(settings.policies_dir)


def find_person(person_id: str, settings: Settings | None = None) -> PersonRecord | None:
    """Return the active person with ``person_id``, or None."""
    for person in load_people(settings=settings):
        if person.id == person_id:
            return person if person.active else None
    return None


def matching(people: Iterable[PersonRecord], query: EligibleQuery) -> list[str]:
    """Ids of the active people matching every criterion of ``query``, sorted."""
    wanted = set(query.skills)
    restrict = set(query.people) if query.people is not None else None
    out = [
        p.id
        for p in people
        if p.active
        and (query.role is None or query.role in p.roles)
        and (query.team is None or p.team == query.team)
        and (query.region is None or p.region == query.region)
        and wanted.issubset(p.skills)
        and (restrict is None or p.id in restrict)
    ]
    return sorted(out)


@activity.defn(name="directory.eligible")
def eligible(query: EligibleQuery) -> list[str]:
    """Return the ids of active people matching role, team, region, skills (and people)."""
    with _db.engine().connect() as conn:
        return matching(load_people(conn), query)


def _round_robin(conn: Connection, rule: str, scope: str, candidates: Sequence[str]) -> str:
    from casework.records.tables import routing_state

    cursor_q = select(routing_state.c.last_person).where(
        routing_state.c.rule == rule, routing_state.c.scope == scope
    )
    if conn.dialect.name == "postgresql":
        cursor_q = cursor_q.with_for_update()
    last = conn.execute(cursor_q).scalar_one_or_none()
    later = [c for c in candidates if last is None or c > last]
    chosen = later[0] if later else candidates[0]
    if last is None and _db.insert_ignore(
        conn, routing_state, {"rule": rule, "scope": scope, "last_person": chosen}
    ):
        return chosen
    conn.execute(
        routing_state.update()
        .where(routing_state.c.rule == rule, routing_state.c.scope == scope)
        .values(last_person=chosen)
    )
    return chosen


def _least_loaded(conn: Connection, candidates: Sequence[str]) -> str:
    from casework.records.tables import tasks

    rows = conn.execute(
        select(tasks.c.assignee, func.count())
        .where(tasks.c.state.in_(("open", "claimed")), tasks.c.assignee.in_(list(candidates)))
        .group_by(tasks.c.assignee)
    ).all()
    load = {str(a): int(n) for a, n in rows}
    return min(candidates, key=lambda c: (load.get(c, 0), c))


@activity.defn(name="directory.route")
def route(query: RouteQuery) -> str | None:
    """Pick one assignee for a task by round robin or least loaded; None when nobody fits.

    The choice is recorded in ``route_decisions`` under ``query.key``, so a retried
    call (same key) always returns the same person.
    """
    from casework.records.tables import route_decisions

    eng = _db.engine()
    with eng.begin() as conn:
        known = conn.execute(
            select(route_decisions.c.person).where(route_decisions.c.key == query.key)
        ).scalar_one_or_none()
        if known is not None:
            return str(known)
        candidates = matching(
            load_people(conn),
            EligibleQuery(
                role=query.role, team=query.team, region=query.region, skills=query.skills
            ),
        )
        if not candidates:
            return None
        if query.strategy == "round_robin":
            scope = f"team={query.team or '*'};region={query.region or '*'}"
            chosen = _round_robin(conn, query.rule, scope, candidates)
        else:
            chosen = _least_loaded(conn, candidates)
        _db.insert_ignore(
            conn, route_decisions, {"key": query.key, "person": chosen, "created_at": _db.now()}
        )
        stored = conn.execute(
            select(route_decisions.c.person).where(route_decisions.c.key == query.key)
        ).scalar_one()
        return str(stored)
