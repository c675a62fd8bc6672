"""A merged view of every policy file: the policies a definition may reference by name."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from casework.language.policies import (
    ApprovalRule,
    Calendar,
    Directory,
    EscalationLadder,
    Person,
    PolicyFile,
    RoutingRule,
    SlaPolicy,
    Team,
)


class PolicySet(BaseModel):
    """All policies by name, plus the merged directory.

    Attributes:
        calendars: Business calendars by name.
        sla_policies: SLA policies by name.
        ladders: Escalation ladders by name.
        routing_rules: Routing rules by name.
        approval_rules: Approval rules by name.
        directory: Regions, roles, teams and people of every file, concatenated.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    calendars: dict[str, Calendar] = Field(default_factory=dict)
    sla_policies: dict[str, SlaPolicy] = Field(default_factory=dict)
    ladders: dict[str, EscalationLadder] = Field(default_factory=dict)
    routing_rules: dict[str, RoutingRule] = Field(default_factory=dict)
    approval_rules: dict[str, ApprovalRule] = Field(default_factory=dict)
    directory: Directory = Field(default_factory=Directory)

    @classmethod
    def merge(cls, files: Iterable[PolicyFile]) -> PolicySet:
        """Merge policy files in order; a later item with the same name replaces an earlier one.

        Duplicate names are reported by the loader (with their location), not here.
        """
        calendars: dict[str, Calendar] = {}
        sla: dict[str, SlaPolicy] = {}
        ladders: dict[str, EscalationLadder] = {}
        routing: dict[str, RoutingRule] = {}
        approval: dict[str, ApprovalRule] = {}
        regions: list[str] = []
        roles: list[str] = []
        teams: dict[str, Team] = {}
        people: dict[str, Person] = {}
        for f in files:
            calendars.update((c.name, c) for c in f.calendars)
            sla.update((p.name, p) for p in f.sla_policies)
            ladders.update((x.name, x) for x in f.escalation_ladders)
            routing.update((r.name, r) for r in f.routing_rules)
            approval.update((r.name, r) for r in f.approval_rules)
            if f.directory is not None:
                d = f.directory
                regions.extend(r for r in d.regions if r not in regions)
                roles.extend(r for r in d.roles if r not in roles)
                teams.update((t.id, t) for t in d.teams)
                people.update((p.id, p) for p in d.people)
        directory = Directory(
            regions=regions, roles=roles, teams=list(teams.values()), people=list(people.values())
        )
        return cls(
            calendars=calendars,
            sla_policies=sla,
            ladders=ladders,
            routing_rules=routing,
            approval_rules=approval,
            directory=directory,
        )

    def known_roles(self) -> set[str]:
        """Every role the directory knows: declared roles and the roles people hold."""
        roles = set(self.directory.roles)
        for person in self.directory.people:
            roles.update(person.roles)
        return roles

    def region_calendars(self) -> dict[str, str]:
        """Map each region to the name of the calendar serving it (first by name wins)."""
        out: dict[str, str] = {}
        for name in sorted(self.calendars):
            region = self.calendars[name].region
            if region is not None and region not in out:
                out[region] = name
        return out
