"""The ``Case*`` search attributes: names, types, and how values become Temporal's.

Shared by the client (values a case starts with), the workflow (upserts of
what changed) and ``casework up`` (registration). Pure: safe inside workflows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

if TYPE_CHECKING:
    from casework.language.plan import Plan

#: Search attributes ``casework up`` and the test fixtures register, with their types.
SEARCH_ATTRIBUTES: dict[str, str] = {
    "CaseProcess": "Keyword",
    "CaseVersion": "Int",
    "CaseStatus": "Keyword",
    "CasePriority": "Keyword",
    "CaseRegion": "Keyword",
    "CaseTeam": "Keyword",
    "CaseAssignee": "Keyword",
    "CaseSlaState": "Keyword",
}

#: A value of one search attribute; ``None`` means unset.
Value = str | int | None


def _key(name: str) -> SearchAttributeKey[Any]:
    if SEARCH_ATTRIBUTES[name] == "Int":
        return SearchAttributeKey.for_int(name)
    return SearchAttributeKey.for_keyword(name)


def case_values(
    *,
    process: str,
    version: int,
    status: str,
    data: Mapping[str, Any],
    assignee: str | None = None,
    sla_state: str | None = None,
) -> dict[str, Value]:
    """Return every ``Case*`` value of a case (``None`` where unset).

    A case without SLA clocks (``sla_state`` ``"none"``) leaves ``CaseSlaState``
    unset: ``CaseSlaState IS NULL`` finds those cases, and the value stays out
    of every history.
    """

    def text(field: str) -> str | None:
        value = data.get(field)
        return value if isinstance(value, str) and value else None

    return {
        "CaseProcess": process,
        "CaseVersion": version,
        "CaseStatus": status,
        "CasePriority": text("priority"),
        "CaseRegion": text("region"),
        "CaseTeam": text("team"),
        "CaseAssignee": assignee,
        "CaseSlaState": _sla(sla_state),
    }


def _sla(state: Value) -> Value:
    # "none" was stored by cases started before it was left unset: the same as unset
    return None if state == "none" else state


def typed(values: Mapping[str, Value]) -> TypedSearchAttributes:
    """The set values as Temporal's typed search attributes (for starting a workflow)."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(_key(name), value)
        for name, value in values.items()
        if value is not None
    ]
    return TypedSearchAttributes(pairs)


def initial_search_attributes(plan: Plan, data: Mapping[str, Any]) -> TypedSearchAttributes:
    """The values a new case of ``plan`` starts with (the workflow upserts what changes)."""
    return typed(
        case_values(
            process=plan.process,
            version=plan.version,
            status="open",
            data=data,
        )
    )


def known(attributes: TypedSearchAttributes) -> dict[str, Value]:
    """Every ``Case*`` value in ``attributes`` (``None`` for those not set)."""
    values: dict[str, Value] = {name: attributes.get(_key(name)) for name in SEARCH_ATTRIBUTES}
    values["CaseSlaState"] = _sla(values["CaseSlaState"])
    return values


def updates(old: dict[str, Value], new: Mapping[str, Value]) -> list[SearchAttributeUpdate[Any]]:
    """Return the upserts that turn ``old`` into ``new``, recording them in ``old``."""
    changes: list[SearchAttributeUpdate[Any]] = []
    for name, value in new.items():
        if name in old and old[name] == value:
            continue
        old[name] = value
        key = _key(name)
        changes.append(key.value_unset() if value is None else key.value_set(value))
    return changes
