"""Minimal sealed plans for the records tests."""

from __future__ import annotations

from casework.language.model import ProcessDefinition
from casework.language.plan import Plan, seal


def make_plan(process: str, version: int, *, title: str = "A process") -> Plan:
    """A sealed plan of a one-step process."""
    definition = ProcessDefinition.model_validate(
        {
            "process": process,
            "version": version,
            "title": title,
            "owner": "ops",
            "case": {"fields": {}},
            "steps": [{"id": "done", "kind": "end"}],
        }
    )
    return seal(
        {"process": process, "version": version, "definition": definition.model_dump(mode="json")}
    )
