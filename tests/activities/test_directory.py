"""``directory.eligible`` and ``directory.route``."""

from __future__ import annotations

from sqlalchemy import Engine, select

from activities import directory
from casework.contracts import EligibleQuery, RouteQuery
from casework.records.tables import route_decisions, tasks
from tests.activities.conftest import add_person, count


def _people(engine: Engine) -> None:
    add_person(engine, "ann", "billing", skills=["invoicing", "german"], team="emea-billing")
    add_person(engine, "ben", "billing", skills=["invoicing"], team="emea-billing")
    add_person(engine, "cat", "billing", skills=["invoicing"], region="amer")
    add_person(engine, "dan", "frontline")
    add_person(engine, "eve", "billing", skills=["invoicing"], active=False)


def test_eligible_filters_by_role_team_region_skills(engine: Engine) -> None:
    _people(engine)
    assert directory.eligible(EligibleQuery(role="billing")) == ["ann", "ben", "cat"]
    assert directory.eligible(EligibleQuery(role="billing", region="emea")) == ["ann", "ben"]
    assert directory.eligible(EligibleQuery(role="billing", skills=["german"])) == ["ann"]
    assert directory.eligible(EligibleQuery(team="emea-billing")) == ["ann", "ben"]
    assert directory.eligible(EligibleQuery(role="billing", people=["ben", "dan"])) == ["ben"]
    assert directory.eligible(EligibleQuery(role="nobody")) == []


def test_eligible_falls_back_to_shipped_directory(engine: Engine) -> None:
    found = directory.eligible(EligibleQuery(role="frontline", region="emea"))
    assert "alice" in found
    assert "bob" in found


def _route(key: str, strategy: str = "round_robin", **kw: object) -> str | None:
    query = RouteQuery(key=key, rule="r", strategy=strategy, role="billing", **kw)
    return directory.route(query)


def test_round_robin_rotates_and_is_idempotent_per_key(engine: Engine) -> None:
    _people(engine)
    picks = [_route(f"C-1.t.{i}", region="emea") for i in range(1, 5)]
    assert picks == ["ann", "ben", "ann", "ben"]
    assert _route("C-1.t.1", region="emea") == "ann"
    assert _route("C-1.t.2", region="emea") == "ben"
    assert count(engine, route_decisions) == 4
    # another scope has its own cursor
    assert _route("C-2.t.1", region="amer") == "cat"


def test_least_loaded_picks_fewest_open_tasks(engine: Engine) -> None:
    _people(engine)
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for i, (who, state) in enumerate(
            [("ann", "open"), ("ann", "claimed"), ("ben", "completed")]
        ):
            conn.execute(
                tasks.insert().values(
                    task_id=f"C-9.s.{i}",
                    case_id="C-9",
                    step_id="s",
                    kind="task",
                    name="t",
                    state=state,
                    assignee=who,
                    created_at=now,
                )
            )
    assert _route("C-3.t.1", "least_loaded", region="emea") == "ben"
    assert _route("C-3.t.1", "least_loaded", region="emea") == "ben"
    with engine.connect() as conn:
        assert conn.execute(select(route_decisions.c.person)).scalars().all() == ["ben"]


def test_route_without_candidates_is_none(engine: Engine) -> None:
    _people(engine)
    assert _route("C-4.t.1", region="apac") is None
    assert count(engine, route_decisions) == 0
