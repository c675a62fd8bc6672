"""The plan registry: references by hash prefix, the full hashes of older cases."""

from __future__ import annotations

import pytest

from casework.errors import NotFoundError
from casework.language.plan import REF_HASH_CHARS, Plan, PlanRef
from casework.registry import PlanRegistry
from tests.workflows.helpers import definition, make_plan


def _plan(**extra: str) -> Plan:
    """A one-step plan (registered in the global registry too, as ``make_plan`` does)."""
    return make_plan({**definition([{"id": "done", "kind": "end"}]), **extra})


def test_a_reference_carries_a_prefix_of_the_hash() -> None:
    registry = PlanRegistry()
    plan = _plan()
    registry.put(plan)
    assert len(plan.ref.hash) == REF_HASH_CHARS
    assert plan.hash.startswith(plan.ref.hash)
    assert registry.get(plan.ref) is plan


def test_older_cases_resolve_by_the_full_hash() -> None:
    registry = PlanRegistry()
    plan = _plan()
    registry.put(plan)
    legacy = PlanRef(process=plan.process, version=plan.version, hash=plan.hash)
    assert registry.get(legacy) is plan


def test_a_wrong_hash_under_a_known_prefix_is_not_found() -> None:
    registry = PlanRegistry()
    plan = _plan()
    registry.put(plan)
    forged = plan.ref.hash + "0" * (64 - REF_HASH_CHARS)
    with pytest.raises(NotFoundError):
        registry.get(PlanRef(process=plan.process, version=plan.version, hash=forged))


def test_two_plans_under_one_prefix_are_refused() -> None:
    registry = PlanRegistry()
    plan = _plan()
    registry.put(plan)
    other = _plan(title="Other")
    clash = other.model_copy(update={"hash": plan.hash[:REF_HASH_CHARS] + "f" * 32})
    with pytest.raises(ValueError, match="already names a different plan"):
        registry.put(clash)
