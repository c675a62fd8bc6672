"""Structural checks of the shipped policies: calendars, SLAs, ladders, routing, directory."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from casework import businesstime as bt
from casework import sla
from casework.language.loader import Workspace, load_file
from casework.language.policies import PRIORITIES, PolicyFile
from tests.definitions.conftest import POLICIES

UTC = dt.UTC
REGIONS = ("emea", "amer", "apac")
REGIONAL_ROLES = (
    "frontline",
    "billing",
    "tech-support",
    "sales",
    "team-lead",
    "coordinator",
    "regional-manager",
    "trainer",
    "mentor",
    "new-hire",
    "process-owner",
)


@pytest.mark.parametrize(
    "name", ["calendars", "sla", "escalation", "routing", "approval", "directory"]
)
def test_policy_file_validates(name: str) -> None:
    loaded = load_file(Path(POLICIES, f"{name}.yaml"))
    assert loaded.diagnostics == []
    assert isinstance(loaded.model, PolicyFile)


def test_calendars(shipped: Workspace) -> None:
    cals = shipped.policies.calendars
    zones = {name: c.timezone for name, c in cals.items()}
    assert zones == {
        "emea": "Europe/London",
        "amer": "America/New_York",
        "apac": "Asia/Singapore",
        "always": "UTC",
    }
    assert shipped.policies.region_calendars() == {r: r for r in REGIONS}
    for region in REGIONS:
        years = Counter(h.date.year for h in cals[region].holidays)
        assert set(years) == {2026, 2027}, region
        dates = [h.date for h in cals[region].holidays]
        assert dates == sorted(dates), region
        assert len(dates) == len(set(dates)), region
    start = dt.datetime(2026, 6, 1, tzinfo=UTC)
    week = dt.timedelta(days=7)
    assert bt.business_between(cals["always"], start, start + week) == 7 * 86400


@pytest.mark.parametrize(
    ("region", "day"),
    [
        ("emea", dt.date(2026, 12, 28)),  # Boxing Day substitute
        ("emea", dt.date(2027, 3, 29)),  # Easter Monday
        ("amer", dt.date(2026, 11, 26)),  # Thanksgiving
        ("amer", dt.date(2027, 7, 5)),  # Independence Day observed
        ("apac", dt.date(2026, 2, 17)),  # Chinese New Year
        ("apac", dt.date(2026, 8, 10)),  # National Day in lieu
    ],
)
def test_known_holidays_are_closed(shipped: Workspace, region: str, day: dt.date) -> None:
    cal = shipped.policies.calendars[region]
    zone = ZoneInfo(cal.timezone)
    assert not bt.is_open(cal, dt.datetime.combine(day, dt.time(12), tzinfo=zone))
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    assert bt.business_between(cal, day_start, day_start + dt.timedelta(days=1)) == 0
    # The working day before or after is open at noon.
    other = day + dt.timedelta(days=1 if day.weekday() < 4 else -1)
    while other.weekday() >= 5 or any(h.date == other for h in cal.holidays):
        other += dt.timedelta(days=1)
    assert bt.is_open(cal, dt.datetime.combine(other, dt.time(12), tzinfo=zone))


def test_sla_policies(shipped: Workspace) -> None:
    policies = shipped.policies.sla_policies
    assert set(policies) >= {
        "complaint-standard",
        "escalation-tiers",
        "policy-change",
        "onboarding",
        "feedback",
    }
    complaint = policies["complaint-standard"]
    assert complaint.time == "business"
    assert complaint.pause_when_waiting_for == ["customer"]
    assert policies["onboarding"].time == "calendar"
    for policy in policies.values():
        assert set(policy.targets) == set(PRIORITIES), policy.name
        # Targets shrink as priority rises.
        for clock in sla.CLOCK_NAMES:
            seconds = [sla.target_for(policy, p, clock) or 0 for p in PRIORITIES]
            assert seconds == sorted(seconds, reverse=True), (policy.name, clock)
        assert policy.calendar is None or policy.calendar in shipped.policies.calendars


def test_sla_deadlines_per_region(shipped: Workspace) -> None:
    p = shipped.policies
    policy = p.sla_policies["complaint-standard"]
    opened = dt.datetime(2026, 12, 1, 10, tzinfo=UTC)  # a Tuesday
    for region in REGIONS:
        cal = p.calendars[region]
        clocks = sla.open_clocks(policy, "normal", opened, cal)
        assert clocks.resolution is not None
        assert clocks.first_response is not None
        due = sla.deadline(clocks.resolution)
        assert due is not None
        assert bt.business_between(cal, opened, due) == 3 * 8 * 3600
        assert clocks.first_response.calendar == region


def test_complaint_ladder(shipped: Workspace) -> None:
    ladder = shipped.policies.ladders["complaint-ladder"]
    levels = {lv.level: lv for lv in ladder.levels}
    assert levels[1].at_percent == 50
    assert levels[1].actions[0].notify == "team-lead"
    assert levels[2].at_percent == 75
    assert {a.notify for a in levels[2].actions} >= {"coordinator"}
    assert any(a.raise_priority for a in levels[2].actions)
    assert levels[3].at_percent == 100
    assert levels[3].actions[0].start_process == "escalation"
    assert levels[4].after_breach == "2bh"
    assert levels[4].actions[0].reassign is not None
    assert levels[4].actions[0].reassign.role == "coordinator"


def test_ladder_and_rule_roles_known(shipped: Workspace) -> None:
    p = shipped.policies
    roles = set(p.directory.roles)
    for ladder in p.ladders.values():
        for level in ladder.levels:
            for action in level.actions:
                assert action.notify is None or action.notify in roles
                assert action.reassign is None or action.reassign.role in roles
    for rule in p.routing_rules.values():
        assert rule.role in roles
    for ar in p.approval_rules.values():
        assert ar.role is None or ar.role in roles
        assert set(ar.veto) <= roles


def test_routing(shipped: Workspace) -> None:
    rules = shipped.policies.routing_rules
    assert rules["frontline-round-robin"].strategy == "round_robin"
    assert rules["frontline-round-robin"].within == ["region"]
    people = shipped.policies.directory.people
    for name in ("billing", "tech-support", "sales"):
        rule = rules[f"{name}-least-loaded"]
        assert (rule.strategy, rule.within) == ("least_loaded", ["region"])
        assert rule.skills
        for region in REGIONS:
            able = [
                x
                for x in people
                if rule.role in x.roles and x.region == region and set(rule.skills) <= set(x.skills)
            ]
            assert able, (name, region)


def test_directory(shipped: Workspace) -> None:
    d = shipped.policies.directory
    assert d.regions == list(REGIONS)
    assert set(d.roles) == {*REGIONAL_ROLES, "senior-management"}
    ids = [x.id for x in d.people]
    assert len(ids) == len(set(ids))
    assert 30 <= len(ids) <= 45
    teams = {t.id for t in d.teams}
    for person in d.people:
        assert person.email == f"{person.id}@example.com"
        assert set(person.roles) <= set(d.roles), person.id
        assert person.team in teams, person.id
        assert person.manager is None or person.manager in ids, person.id
    for region in REGIONS:
        for role in REGIONAL_ROLES:
            assert any(role in x.roles and x.region == region for x in d.people), (region, role)
        coordinators = [x for x in d.people if "coordinator" in x.roles and x.region == region]
        # 2-of-N peer review with four eyes needs a third coordinator (the proposer).
        assert len(coordinators) >= 3, region
        for department in ("frontline", "billing", "tech-support", "sales"):
            assert f"{region}-{department}" in teams
    assert sum("senior-management" in x.roles for x in d.people) >= 2
