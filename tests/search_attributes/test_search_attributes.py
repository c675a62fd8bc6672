"""The ``Case*`` search attributes a case starts with and upserts."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from casework import search_attributes
from tests.workflows.helpers import definition, make_plan

DATA = {"region": "emea", "priority": "high"}


def _values(sla_state: str) -> dict[str, search_attributes.Value]:
    """What the workflow wants the attributes to be."""
    return search_attributes.case_values(
        process="test-process", version=1, status="open", data=DATA, sla_state=sla_state
    )


def _upserted(known: dict[str, search_attributes.Value], sla_state: str) -> set[str]:
    return {u.key.name for u in search_attributes.updates(known, _values(sla_state))}


def test_a_case_without_sla_clocks_leaves_the_sla_state_unset() -> None:
    plan = make_plan(definition([{"id": "done", "kind": "end"}]))
    started = search_attributes.known(search_attributes.initial_search_attributes(plan, DATA))
    assert started["CaseProcess"] == "test-process"
    assert started["CaseRegion"] == "emea"
    assert started["CaseSlaState"] is None
    # the workflow's "none" is no change: nothing is upserted
    assert _upserted(started, "none") == set()


def test_a_case_started_with_none_upserts_nothing_for_it() -> None:
    # cases started before "none" was left unset carry it; their replays must not upsert
    key = SearchAttributeKey.for_keyword("CaseSlaState")
    known = search_attributes.known(TypedSearchAttributes([SearchAttributePair(key, "none")]))
    assert known["CaseSlaState"] is None
    assert "CaseSlaState" not in _upserted(known, "none")


def test_a_real_sla_state_is_set_and_its_changes_upserted() -> None:
    known = search_attributes.known(TypedSearchAttributes([]))
    assert "CaseSlaState" in _upserted(known, "on_track")
    assert known["CaseSlaState"] == "on_track"
    assert _upserted(known, "on_track") == set()
    assert _upserted(known, "breached") == {"CaseSlaState"}
