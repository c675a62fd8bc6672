"""The compiled plan: what a case runs, immutable and content-hashed.

A plan is built by :func:`casework.language.compiler.compile_plan` from a
validated definition and the policies it references. Every step's ``next`` is
explicit (``None`` only for ``end`` steps and the last step of a parallel
branch), approval steps have their rule merged in, and the policies the
process uses are embedded, so a running case never depends on files that may
change. ``hash`` is the SHA-256 of the canonical JSON of everything else.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from casework.language.model import ProcessDefinition
from casework.language.policies import Calendar, EscalationLadder, RoutingRule, SlaPolicy

#: Hex digits of the plan hash a :class:`PlanRef` carries: 128 bits, stored in
#: every case's start event; the registry refuses two plans sharing them.
REF_HASH_CHARS = 32


class PlanRef(BaseModel):
    """How a case names the plan it runs: the hash can never change meaning."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    process: str
    version: int
    hash: str = Field(
        description=(
            f"The plan hash's first {REF_HASH_CHARS} hex digits (all 64 in cases started"
            " before references were shortened)."
        )
    )

    def __str__(self) -> str:
        return f"{self.process}@{self.version}#{self.hash[:12]}"


class Plan(BaseModel):
    """A compiled, self-contained process plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    process: str
    version: int
    hash: str = Field(description="SHA-256 of the canonical JSON of the plan without this field.")
    definition: ProcessDefinition
    sla: SlaPolicy | None = None
    ladder: EscalationLadder | None = None
    calendars: dict[str, Calendar] = Field(default_factory=dict)
    region_calendars: dict[str, str] = Field(
        default_factory=dict, description="region -> calendar name"
    )
    default_calendar: str | None = None
    routing: dict[str, RoutingRule] = Field(default_factory=dict)

    @property
    def ref(self) -> PlanRef:
        """The reference a case is started with."""
        return PlanRef(process=self.process, version=self.version, hash=self.hash[:REF_HASH_CHARS])

    def calendar_for(self, region: str | None) -> Calendar | None:
        """Return the calendar of ``region``, else the default calendar, else None."""
        name = self.region_calendars.get(region or "") or self.default_calendar
        return self.calendars.get(name) if name else None


def canonical_json(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 (``orjson``; unknown types as ``str``)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


def plan_hash(content: dict[str, Any]) -> str:
    """Return the SHA-256 hex digest of ``content`` as canonical JSON (``hash`` key ignored)."""
    body = {k: v for k, v in content.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def seal(content: dict[str, Any]) -> Plan:
    """Build a :class:`Plan` from its content (``model_dump(mode="json")``-shaped), hashing it."""
    return Plan.model_validate({**content, "hash": plan_hash(content)})
