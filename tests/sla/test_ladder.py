"""Escalation ladder thresholds and the workflow's next wake-up."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from casework import businesstime as bt
from casework import sla
from casework.language.policies import Calendar, EscalationLadder, SlaPolicy

UTC = dt.UTC
H = 3600


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


CAL = Calendar.model_validate(
    {
        "name": "emea",
        "timezone": "Europe/London",
        "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
)
CALS = {"emea": CAL}
POLICY = SlaPolicy.model_validate(
    {
        "name": "standard",
        "targets": {"normal": {"first_response": "4bh", "resolution": "3bd"}},
    }
)
LADDER = EscalationLadder.model_validate(
    {
        "name": "ladder",
        "levels": [
            {"level": 1, "at_percent": 50, "actions": [{"notify": "team-lead"}]},
            {"level": 2, "at_percent": 75, "actions": [{"raise_priority": True}]},
            {"level": 3, "at_percent": 100, "actions": [{"start_process": "escalation"}]},
            {
                "level": 4,
                "after_breach": "2bh",
                "actions": [{"reassign": {"role": "coordinator"}}],
            },
            {
                "level": 5,
                "clock": "first_response",
                "at_percent": 100,
                "actions": [{"notify": "team-lead"}],
            },
        ],
    }
)
TUE_9 = utc(2026, 12, 1, 9)


def clocks() -> sla.CaseClocks:
    return sla.open_clocks(POLICY, "normal", TUE_9, CAL)


def test_percent_levels() -> None:
    c = clocks()  # resolution 24 bh from Tue 09:00
    levels = {lv.level: lv for lv in LADDER.levels}
    assert sla.level_due_at(levels[1], c, CAL) == utc(2026, 12, 2, 13)  # 12 bh
    assert sla.level_due_at(levels[2], c, CAL) == utc(2026, 12, 3, 11)  # 18 bh
    assert sla.level_due_at(levels[3], c, CAL) == utc(2026, 12, 3, 17)  # the deadline
    assert sla.level_due_at(levels[5], c, CAL) == utc(2026, 12, 1, 13)


def test_after_breach_level() -> None:
    c = clocks()
    level = LADDER.levels[3]
    # Expected breach Thu 17:00 + 2 bh -> Fri 11:00.
    assert sla.level_due_at(level, c, CAL) == utc(2026, 12, 4, 11)
    assert c.resolution is not None
    paused = sla.pause(c.resolution, utc(2026, 12, 4, 10), CAL)  # paused after the breach
    assert sla.level_due_at(level, [paused], CAL) == utc(2026, 12, 4, 11)
    early = sla.pause(c.resolution, utc(2026, 12, 2, 10), CAL)  # paused before the breach
    assert sla.level_due_at(level, {"resolution": early}, CAL) is None


def test_paused_or_stopped_not_due() -> None:
    c = clocks()
    assert c.resolution is not None
    paused = c.replace(sla.pause(c.resolution, utc(2026, 12, 1, 10), CAL))
    assert sla.level_due_at(LADDER.levels[0], paused, CAL) is None
    stopped = c.replace(sla.stop(c.resolution, utc(2026, 12, 1, 10), CAL))
    assert sla.level_due_at(LADDER.levels[0], stopped, CAL) is None
    assert sla.level_due_at(LADDER.levels[0], sla.CaseClocks(), CAL) is None


def test_pause_moves_threshold() -> None:
    c = clocks()
    assert c.resolution is not None
    r = sla.pause(c.resolution, utc(2026, 12, 1, 11), CAL)  # 2 bh in
    r = sla.resume(r, utc(2026, 12, 2, 9), CAL)  # next morning
    # 50% = 12 bh: 10 more from Wed 09:00 -> Thu 11:00.
    assert sla.level_due_at(LADDER.levels[0], [r], CAL) == utc(2026, 12, 3, 11)


def test_due_levels_and_wakeup() -> None:
    c = clocks()
    assert sla.due_levels(LADDER, [], c, TUE_9, CALS) == []
    assert sla.next_wakeup(c, TUE_9, CALS, LADDER) == utc(2026, 12, 1, 12)  # fr at risk (3 bh)
    at = utc(2026, 12, 2, 13)
    due = sla.due_levels(LADDER, [], c, at, CALS)
    assert [lv.level for lv in due] == [1, 5]
    assert [lv.level for lv in sla.due_levels(LADDER, [1, 5], c, at, CALS)] == []
    assert sla.next_wakeup(c, at, CALS, LADDER, fired=[1, 5]) == utc(2026, 12, 3, 11)
    late = utc(2026, 12, 4, 12)
    assert [lv.level for lv in sla.due_levels(LADDER, [1, 5], c, late, CALS)] == [2, 3, 4]
    assert sla.next_wakeup(c, late, CALS, LADDER, fired=[1, 2, 3, 4, 5]) is None


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(
        min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 6, 1), timezones=st.just(UTC)
    ),
    pause_after=st.integers(min_value=0, max_value=30 * H),
    gap=st.integers(min_value=0, max_value=7 * 24 * H),
)
def test_pause_resume_keeps_total(start: dt.datetime, pause_after: int, gap: int) -> None:
    """However a clock is paused, it breaches after exactly its target of counted time."""
    clock = sla.start_clock("resolution", 24 * H, start, CAL)
    paused_at = start + dt.timedelta(seconds=pause_after)
    resumed_at = paused_at + dt.timedelta(seconds=gap)
    clock = sla.resume(sla.pause(clock, paused_at, CAL), resumed_at, CAL)
    due = sla.deadline(clock)
    assert due is not None
    counted = bt.business_between(CAL, start, paused_at) + bt.business_between(CAL, resumed_at, due)
    if clock.breached_at is None:
        # Whole-second rounding at the pause may add up to one second.
        assert 24 * H <= counted <= 24 * H + 1
    else:
        assert bt.business_between(CAL, start, due) == 24 * H
