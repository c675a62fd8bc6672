"""Directory load, people lookups and definition deployments."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from casework.errors import ConfigError, DefinitionError, NotFoundError, RecordsError
from casework.language.policies import Directory, Person, Team
from casework.records.directory import (
    deploy_definitions,
    deployed_plans,
    deployed_versions,
    get_person,
    list_people,
    list_teams,
    load_directory,
    read_directory,
    require_person,
)
from tests.records.plans import make_plan

DIRECTORY_YAML = """\
directory:
  regions: [uk, us]
  roles: [agent, supervisor]
  teams:
    - {id: uk-care, name: UK Care, region: uk, department: service}
    - {id: us-care, name: US Care, region: us}
  people:
    - {id: alice, name: Alice, email: alice@example.com, roles: [agent], team: uk-care,
       region: uk, skills: [billing]}
    - {id: bob, name: Bob, email: bob@example.com, roles: [agent, supervisor], team: us-care,
       region: us, manager: alice}
"""


def directory(*ids: str) -> Directory:
    """A directory with people ``ids`` in team uk-care."""
    return Directory(
        teams=[Team(id="uk-care", name="UK Care", region="uk")],
        people=[
            Person(id=i, name=i.title(), email=f"{i}@x.org", roles=["agent"], team="uk-care")
            for i in ids
        ],
    )


def test_load_from_yaml_file(db_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(DIRECTORY_YAML)
    result = load_directory(db_engine, path)
    assert (result.people, result.teams) == (2, 2)
    alice = require_person(db_engine, "alice")
    assert alice.skills == ["billing"]
    assert alice.to_actor().roles == ["agent"]
    assert [t.id for t in list_teams(db_engine)] == ["uk-care", "us-care"]


def test_missing_people_become_inactive(db_engine: Engine) -> None:
    load_directory(db_engine, directory("ann", "ben"))
    result = load_directory(db_engine, directory("ann"))
    assert result.deactivated_people == ["ben"]
    ben = get_person(db_engine, "ben")
    assert ben is not None
    assert not ben.active
    with pytest.raises(NotFoundError, match="ben"):
        require_person(db_engine, "ben")
    assert [p.id for p in list_people(db_engine)] == ["ann"]
    assert [p.id for p in list_people(db_engine, include_inactive=True)] == ["ann", "ben"]
    load_directory(db_engine, directory("ann", "ben"))
    assert require_person(db_engine, "ben").active


def test_unknown_person(db_engine: Engine) -> None:
    assert get_person(db_engine, "nobody") is None


def test_bad_directory_files(tmp_path: Path) -> None:
    empty = tmp_path / "calendars.yaml"
    empty.write_text("calendars: []\n")
    with pytest.raises(ConfigError, match="no 'directory' section"):
        read_directory(empty)
    broken = tmp_path / "broken.yaml"
    broken.write_text("directory:\n  people:\n    - {id: x}\n")
    with pytest.raises(DefinitionError):
        read_directory(broken)


def test_deploy_is_idempotent_and_versions_never_change_meaning(db_engine: Engine) -> None:
    v1 = make_plan("complaint", 1)
    first = deploy_definitions(db_engine, [v1], by="alice")
    assert [d.new for d in first] == [True]
    again = deploy_definitions(db_engine, [v1], by="bob")
    assert [d.new for d in again] == [False]
    changed = make_plan("complaint", 1, title="Another meaning")
    assert changed.hash != v1.hash
    with pytest.raises(RecordsError, match="can never change meaning"):
        deploy_definitions(db_engine, [make_plan("complaint", 2), changed], by="alice")
    # all or nothing: version 2 was not deployed either
    assert [p.version for p in deployed_plans(db_engine)] == [1]
    deploy_definitions(db_engine, [make_plan("complaint", 2)], by="alice")
    plans = deployed_plans(db_engine, process="complaint")
    assert [p.version for p in plans] == [1, 2]
    assert plans[0] == v1
    assert deployed_versions(db_engine)[0]["deployed_by"] == "alice"
