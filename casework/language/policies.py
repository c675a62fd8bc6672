"""Typed model of policies, as written in ``policies/*.yaml``.

A policy file holds one or more top-level sections: ``calendars``,
``sla_policies``, ``escalation_ladders``, ``routing_rules``,
``approval_rules`` and ``directory``. Each item is referenced by its ``name``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from casework.language.durations import parse_duration
from casework.language.model import ApprovalRuleKind, Expr, Ident, Strict

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WaitingFor = Literal["customer", "third_party", "internal"]
Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _pause_default() -> list[WaitingFor]:
    return ["customer"]


class Holiday(Strict):
    """A day the calendar is closed."""

    date: dt.date
    name: str


class Calendar(Strict):
    """A business calendar: time zone, weekly open hours and holidays.

    ``hours`` maps a weekday to a list of ``HH:MM-HH:MM`` ranges in local time;
    a weekday missing from it is closed.
    """

    name: Ident
    region: Ident | None = Field(default=None, description="Region this calendar serves.")
    timezone: str
    hours: dict[Weekday, list[str]]
    holidays: list[Holiday] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name like Europe/London"
            ) from exc
        return value

    @field_validator("hours")
    @classmethod
    def _ranges(cls, value: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        for day, ranges in value.items():
            for text in ranges:
                m = _RANGE.match(text)
                if not m or (int(m[1]), int(m[2])) >= (int(m[3]), int(m[4])):
                    raise ValueError(
                        f"{day}: invalid range {text!r}: write HH:MM-HH:MM, start before end"
                    )
        if not any(value.values()):
            raise ValueError("a calendar needs at least one open range in the week")
        return value


class SlaTarget(Strict):
    """Targets for one priority."""

    first_response: str
    resolution: str

    _check = field_validator("first_response", "resolution")(lambda v: (parse_duration(v), v)[1])


class SlaPolicy(Strict):
    """First-response and resolution targets per priority."""

    name: Ident
    description: str = ""
    time: Literal["business", "calendar"] = "business"
    calendar: Ident | None = Field(
        default=None, description="Default calendar when the region has none."
    )
    targets: dict[Priority, SlaTarget]
    pause_when_waiting_for: list[WaitingFor] = Field(default_factory=_pause_default)
    at_risk_percent: int = Field(
        default=75, ge=1, le=99, description="A clock past this % is at risk."
    )


class Reassign(Strict):
    """Reassign the open tasks of the case to someone with this role."""

    role: Ident
    team: Ident | None = None


class LadderAction(Strict):
    """One thing an escalation level does. Exactly one key is set."""

    notify: Ident | None = Field(default=None, description="Notify everyone with this role.")
    reassign: Reassign | None = None
    raise_priority: bool = False
    start_process: Ident | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LadderAction:
        given = (self.notify, self.reassign, self.raise_priority or None, self.start_process)
        count = sum(x is not None for x in given)
        if count != 1:
            raise ValueError(
                "an escalation action has exactly one of notify, reassign, raise_priority, "
                "start_process"
            )
        return self


class LadderLevel(Strict):
    """A level fires once: at a % of an SLA clock, or a business duration after breach."""

    level: int = Field(ge=1)
    name: str | None = None
    clock: Literal["first_response", "resolution"] = "resolution"
    at_percent: int | None = Field(default=None, ge=1, le=1000)
    after_breach: str | None = None
    actions: list[LadderAction] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_threshold(self) -> LadderLevel:
        if (self.at_percent is None) == (self.after_breach is None):
            raise ValueError("a level needs exactly one of 'at_percent' or 'after_breach'")
        if self.after_breach is not None:
            parse_duration(self.after_breach)
        return self


class EscalationLadder(Strict):
    """Ordered levels of escalation."""

    name: Ident
    description: str = ""
    levels: list[LadderLevel] = Field(min_length=1)


class RoutingRule(Strict):
    """How a task's assignee is picked among the eligible people."""

    name: Ident
    strategy: Literal["round_robin", "least_loaded"]
    role: Ident
    within: list[Literal["team", "region"]] = Field(default_factory=list)
    skills: list[Ident] = Field(default_factory=list)


class ApprovalRule(Strict):
    """A reusable approval rule for approval steps."""

    name: Ident
    role: Ident | None = None
    team: Ident | None = None
    region: Expr | None = None
    decide: ApprovalRuleKind = "all"
    quorum: int | None = Field(default=None, ge=1)
    veto: list[Ident] = Field(default_factory=list)
    four_eyes: bool = True

    @model_validator(mode="after")
    def _quorum(self) -> ApprovalRule:
        if self.decide == "quorum" and self.quorum is None:
            raise ValueError("decide: quorum needs 'quorum': how many approvals are needed")
        return self


class Person(Strict):
    """Somebody in the directory."""

    id: Ident
    name: str
    email: str
    roles: list[Ident]
    team: Ident | None = None
    region: Ident | None = None
    skills: list[Ident] = Field(default_factory=list)
    manager: Ident | None = None


class Team(Strict):
    """A team in a region."""

    id: Ident
    name: str
    region: Ident | None = None
    department: str | None = None


class Directory(Strict):
    """People, teams, roles and regions."""

    regions: list[Ident] = Field(default_factory=list)
    roles: list[Ident] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)


class PolicyFile(Strict):
    """One policy YAML file: any of the sections below."""

    calendars: list[Calendar] = Field(default_factory=list)
    sla_policies: list[SlaPolicy] = Field(default_factory=list)
    escalation_ladders: list[EscalationLadder] = Field(default_factory=list)
    routing_rules: list[RoutingRule] = Field(default_factory=list)
    approval_rules: list[ApprovalRule] = Field(default_factory=list)
    directory: Directory | None = None
