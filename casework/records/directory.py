"""The directory (people, teams) and deployed definition versions in the records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select, update

from casework.contracts import Actor
from casework.errors import ConfigError, DefinitionError, NotFoundError, RecordsError
from casework.language.plan import Plan
from casework.language.policies import Directory, PolicyFile
from casework.records._upsert import upsert
from casework.records.tables import definition_versions, people, teams


class PersonRecord(BaseModel):
    """A person as the records hold them."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str = ""
    email: str | None = None
    roles: list[str] = Field(default_factory=list)
    team: str | None = None
    region: str | None = None
    skills: list[str] = Field(default_factory=list)
    manager: str | None = None
    active: bool = True

    def to_actor(self) -> Actor:
        """Return the :class:`~casework.contracts.Actor` this person acts as."""
        return Actor(
            id=self.id,
            name=self.name,
            roles=list(self.roles),
            team=self.team,
            region=self.region,
            skills=list(self.skills),
        )


class TeamRecord(BaseModel):
    """A team as the records hold it."""

    id: str
    name: str = ""
    region: str | None = None
    department: str | None = None
    active: bool = True


class DirectoryLoad(BaseModel):
    """What :func:`load_directory` did."""

    people: int
    teams: int
    deactivated_people: list[str] = Field(default_factory=list)
    deactivated_teams: list[str] = Field(default_factory=list)


class Deployment(BaseModel):
    """One plan handed to :func:`deploy_definitions`."""

    process: str
    version: int
    hash: str
    new: bool


def read_directory(path: Path | str | None = None) -> Directory:
    """Read the ``directory`` section of a policy file (default ``policies/directory.yaml``).

    Raises:
        DefinitionError: The file has problems.
        ConfigError: The file has no ``directory`` section.
    """
    from casework.language.loader import load_file
    from casework.settings import get_settings

    file = Path(path) if path is not None else get_settings().policies_dir / "directory.yaml"
    loaded = load_file(file)
    if any(d.severity == "error" for d in loaded.diagnostics):
        raise DefinitionError(loaded.diagnostics)
    if not isinstance(loaded.model, PolicyFile) or loaded.model.directory is None:
        raise ConfigError(
            f"{file}: no 'directory' section",
            hint="add 'directory:' with teams and people, or point to the right file",
        )
    return loaded.model.directory


def load_directory(
    engine: Engine, directory: Directory | Path | str | None = None
) -> DirectoryLoad:
    """Upsert people and teams; those no longer listed are marked inactive.

    Args:
        engine: The records engine.
        directory: A parsed directory, or a policy file path (default ``policies/directory.yaml``).
    """
    if not isinstance(directory, Directory):
        directory = read_directory(directory)
    person_rows = [{**p.model_dump(mode="json"), "active": True} for p in directory.people]
    team_rows = [{**t.model_dump(mode="json"), "active": True} for t in directory.teams]
    person_ids = [p.id for p in directory.people]
    team_ids = [t.id for t in directory.teams]
    with engine.begin() as conn:
        if person_rows:
            upsert(conn, people, person_rows, ["id"])
        if team_rows:
            upsert(conn, teams, team_rows, ["id"])
        gone_people = conn.execute(
            update(people)
            .where(people.c.active.is_(True), people.c.id.not_in(person_ids))
            .values(active=False)
            .returning(people.c.id)
        ).scalars()
        gone_people_list = sorted(gone_people)
        gone_teams = conn.execute(
            update(teams)
            .where(teams.c.active.is_(True), teams.c.id.not_in(team_ids))
            .values(active=False)
            .returning(teams.c.id)
        ).scalars()
        gone_teams_list = sorted(gone_teams)
    return DirectoryLoad(
        people=len(person_rows),
        teams=len(team_rows),
        deactivated_people=gone_people_list,
        deactivated_teams=gone_teams_list,
    )


def get_person(engine: Engine, person_id: str) -> PersonRecord | None:
    """Return the person with ``person_id`` (active or not), or None."""
    with engine.connect() as conn:
        row = conn.execute(select(people).where(people.c.id == person_id)).mappings().first()
    return PersonRecord.model_validate(dict(row)) if row else None


def require_person(engine: Engine, person_id: str) -> PersonRecord:
    """Return the active person with ``person_id``.

    Raises:
        NotFoundError: Nobody active has this id.
    """
    person = get_person(engine, person_id)
    if person is None or not person.active:
        raise NotFoundError(
            "person",
            person_id,
            hint="check the id in policies/directory.yaml and run `casework people`",
        )
    return person


def list_people(
    engine: Engine, *, team: str | None = None, include_inactive: bool = False
) -> list[PersonRecord]:
    """Return people ordered by id, optionally of one team."""
    query = select(people).order_by(people.c.id)
    if team is not None:
        query = query.where(people.c.team == team)
    if not include_inactive:
        query = query.where(people.c.active.is_(True))
    with engine.connect() as conn:
        return [PersonRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def list_teams(engine: Engine, *, include_inactive: bool = False) -> list[TeamRecord]:
    """Return teams ordered by id."""
    query = select(teams).order_by(teams.c.id)
    if not include_inactive:
        query = query.where(teams.c.active.is_(True))
    with engine.connect() as conn:
        return [TeamRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def deploy_definitions(engine: Engine, plans: Iterable[Plan], by: str) -> list[Deployment]:
    """Record compiled plans as deployed definition versions (all or nothing).

    A ``(process, version)`` already deployed with the same hash is left as is.

    Raises:
        RecordsError: A version is already deployed with a different hash.
    """
    plans = list(plans)
    now = dt.datetime.now(dt.UTC)
    result: list[Deployment] = []
    with engine.begin() as conn:
        for plan in plans:
            stored = conn.execute(
                select(definition_versions.c.hash).where(
                    definition_versions.c.process == plan.process,
                    definition_versions.c.version == plan.version,
                )
            ).scalar_one_or_none()
            if stored is not None and stored != plan.hash:
                raise RecordsError(
                    f"process {plan.process!r} version {plan.version} is already deployed "
                    f"with hash {stored[:12]}, this definition compiles to {plan.hash[:12]}: "
                    "a version number can never change meaning",
                    hint=f"raise 'version:' of {plan.process} to {plan.version + 1} or more",
                )
            if stored is None:
                conn.execute(
                    definition_versions.insert().values(
                        process=plan.process,
                        version=plan.version,
                        hash=plan.hash,
                        title=plan.definition.title,
                        plan=plan.model_dump(mode="json"),
                        deployed_at=now,
                        deployed_by=by,
                    )
                )
            result.append(
                Deployment(
                    process=plan.process, version=plan.version, hash=plan.hash, new=stored is None
                )
            )
    return result


def deployed_plans(engine: Engine, *, process: str | None = None) -> list[Plan]:
    """Return every deployed plan ordered by process and version."""
    query = select(definition_versions.c.plan).order_by(
        definition_versions.c.process, definition_versions.c.version
    )
    if process is not None:
        query = query.where(definition_versions.c.process == process)
    with engine.connect() as conn:
        return [Plan.model_validate(p) for p in conn.execute(query).scalars()]


def deployed_versions(engine: Engine) -> Sequence[dict[str, object]]:
    """Return ``process, version, hash, title, deployed_at, deployed_by`` of every deployment."""
    c = definition_versions.c
    query = select(c.process, c.version, c.hash, c.title, c.deployed_at, c.deployed_by).order_by(
        c.process, c.version
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
