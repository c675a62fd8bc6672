"""Business-time arithmetic: weekends, holidays, split days, zones and DST."""

from __future__ import annotations

import datetime as dt

import pytest

from casework import businesstime as bt
from casework.language.durations import parse_duration
from casework.language.policies import Calendar

UTC = dt.UTC
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
H = 3600


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def make(
    zone: str,
    ranges: list[str],
    days: tuple[str, ...] = WEEKDAYS,
    holidays: tuple[str, ...] = (),
    name: str = "cal",
) -> Calendar:
    return Calendar.model_validate(
        {
            "name": name,
            "timezone": zone,
            "hours": {d: ranges for d in days},
            "holidays": [{"date": h, "name": "holiday"} for h in holidays],
        }
    )


LONDON = make("Europe/London", ["09:00-17:00"], holidays=("2026-12-25", "2026-12-28"))
SPLIT = make("Europe/London", ["09:00-12:30", "13:30-17:30"])
NEW_YORK = make("America/New_York", ["09:00-17:00"])
SINGAPORE = make("Asia/Singapore", ["09:00-18:00"])
ALWAYS = make(
    "Europe/London", ["00:00-24:00"], days=("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


class TestIsOpen:
    def test_inside_and_edges(self) -> None:
        # 2026-12-01 is a Tuesday; London is on GMT in December.
        assert bt.is_open(LONDON, utc(2026, 12, 1, 9))
        assert bt.is_open(LONDON, utc(2026, 12, 1, 16, 59, 59))
        assert not bt.is_open(LONDON, utc(2026, 12, 1, 17))
        assert not bt.is_open(LONDON, utc(2026, 12, 1, 8, 59, 59))

    def test_weekend_and_holiday(self) -> None:
        assert not bt.is_open(LONDON, utc(2026, 12, 5, 12))  # Saturday
        assert not bt.is_open(LONDON, utc(2026, 12, 25, 12))  # holiday
        assert bt.is_open(LONDON, utc(2026, 12, 24, 12))

    def test_lunch_break(self) -> None:
        assert bt.is_open(SPLIT, utc(2026, 12, 1, 12, 29))
        assert not bt.is_open(SPLIT, utc(2026, 12, 1, 13))
        assert bt.is_open(SPLIT, utc(2026, 12, 1, 13, 30))

    def test_local_zone(self) -> None:
        # 09:00 in New York (EST, UTC-5) is 14:00 UTC.
        assert not bt.is_open(NEW_YORK, utc(2026, 12, 1, 13, 59))
        assert bt.is_open(NEW_YORK, utc(2026, 12, 1, 14))
        # 09:00 in Singapore (UTC+8) is 01:00 UTC.
        assert bt.is_open(SINGAPORE, utc(2026, 12, 1, 1))
        assert not bt.is_open(SINGAPORE, utc(2026, 12, 1, 10))

    def test_summer_time(self) -> None:
        # 2026-07-01: London is on BST (UTC+1): 09:00 local is 08:00 UTC.
        assert bt.is_open(LONDON, utc(2026, 7, 1, 8))
        assert not bt.is_open(LONDON, utc(2026, 7, 1, 16))

    def test_non_utc_input(self) -> None:
        tokyo = dt.timezone(dt.timedelta(hours=9))
        assert bt.is_open(LONDON, dt.datetime(2026, 12, 1, 18, tzinfo=tokyo))  # 09:00 UTC

    def test_naive_rejected(self) -> None:
        with pytest.raises(ValueError, match="naive datetime"):
            bt.is_open(LONDON, dt.datetime(2026, 12, 1, 9))

    def test_always_open(self) -> None:
        assert bt.is_open(ALWAYS, utc(2026, 12, 5, 0))
        assert bt.is_open(ALWAYS, utc(2026, 12, 5, 23, 59, 59))


class TestNextOpen:
    def test_open_returns_same(self) -> None:
        t = utc(2026, 12, 1, 10, 15, 3)
        assert bt.next_open(LONDON, t) == t

    def test_evening_to_next_morning(self) -> None:
        assert bt.next_open(LONDON, utc(2026, 12, 1, 17)) == utc(2026, 12, 2, 9)

    def test_friday_evening_to_monday(self) -> None:
        assert bt.next_open(LONDON, utc(2026, 12, 4, 18)) == utc(2026, 12, 7, 9)

    def test_skips_holidays(self) -> None:
        # Thu 24 Dec evening -> Fri 25 (holiday), weekend, Mon 28 (holiday) -> Tue 29.
        assert bt.next_open(LONDON, utc(2026, 12, 24, 17, 30)) == utc(2026, 12, 29, 9)

    def test_lunch(self) -> None:
        assert bt.next_open(SPLIT, utc(2026, 12, 1, 12, 45)) == utc(2026, 12, 1, 13, 30)

    def test_result_is_utc(self) -> None:
        result = bt.next_open(NEW_YORK, utc(2026, 12, 1, 3))
        assert result.tzinfo is UTC
        assert result == utc(2026, 12, 1, 14)


class TestAddBusiness:
    def test_within_day(self) -> None:
        assert bt.add_business(LONDON, utc(2026, 12, 1, 9), 2 * H) == utc(2026, 12, 1, 11)

    def test_ends_at_closing_not_next_opening(self) -> None:
        assert bt.add_business(LONDON, utc(2026, 12, 4, 16), H) == utc(2026, 12, 4, 17)

    def test_over_weekend(self) -> None:
        assert bt.add_business(LONDON, utc(2026, 12, 4, 16), 2 * H) == utc(2026, 12, 7, 10)

    def test_start_outside_hours(self) -> None:
        assert bt.add_business(LONDON, utc(2026, 12, 1, 20), H) == utc(2026, 12, 2, 10)
        assert bt.add_business(LONDON, utc(2026, 12, 5, 12), H) == utc(2026, 12, 7, 10)

    def test_over_holidays(self) -> None:
        start = utc(2026, 12, 24, 16)
        assert bt.add_business(LONDON, start, 2 * H) == utc(2026, 12, 29, 10)

    def test_split_day(self) -> None:
        # 3.5 h before lunch, then 4 h after: 7.5 h a day.
        start = utc(2026, 12, 1, 9)
        assert bt.add_business(SPLIT, start, 4 * H) == utc(2026, 12, 1, 14)
        assert bt.add_business(SPLIT, start, int(7.5 * H)) == utc(2026, 12, 1, 17, 30)
        assert bt.add_business(SPLIT, start, 8 * H) == utc(2026, 12, 2, 9, 30)

    def test_zero_returns_start(self) -> None:
        t = utc(2026, 12, 5, 12)
        assert bt.add_business(LONDON, t, 0) == t

    def test_negative_rejected(self) -> None:
        with pytest.raises(ValueError, match="must not be negative"):
            bt.add_business(LONDON, utc(2026, 12, 1), -1)

    def test_long_span(self) -> None:
        # 2027 (no holidays in this calendar): 261 weekdays of 8 h.
        cal = make("Europe/London", ["09:00-17:00"])
        start = utc(2027, 1, 1)
        end = bt.add_business(cal, start, 261 * 8 * H)
        assert end == utc(2027, 12, 31, 17)
        assert bt.business_between(cal, start, utc(2028, 1, 1)) == 261 * 8 * H

    def test_new_york_across_days(self) -> None:
        # Mon 16:00 EST (21:00 UTC) + 3 h -> Tue 11:00 EST (16:00 UTC).
        assert bt.add_business(NEW_YORK, utc(2026, 11, 30, 21), 3 * H) == utc(2026, 12, 1, 16)

    def test_singapore(self) -> None:
        # Fri 17:00 SGT (09:00 UTC) + 2 h -> Mon 10:00 SGT (02:00 UTC).
        assert bt.add_business(SINGAPORE, utc(2026, 12, 4, 9), 2 * H) == utc(2026, 12, 7, 2)


class TestDst:
    def test_london_spring_forward_day_is_eight_hours(self) -> None:
        cal = make("Europe/London", ["09:00-17:00"], days=("sun", "mon"))
        # Sunday 2026-03-29 clocks go forward at 01:00 GMT.
        day_start, day_end = utc(2026, 3, 29, 0), utc(2026, 3, 30, 0)
        assert bt.business_between(cal, day_start, day_end) == 8 * H
        assert bt.next_open(cal, day_start) == utc(2026, 3, 29, 8)  # 09:00 BST

    def test_london_fall_back_day_is_eight_hours(self) -> None:
        cal = make("Europe/London", ["09:00-17:00"], days=("sun",))
        # Sunday 2026-10-25 clocks go back at 02:00 BST.
        assert bt.business_between(cal, utc(2026, 10, 25), utc(2026, 10, 26)) == 8 * H
        assert bt.next_open(cal, utc(2026, 10, 25)) == utc(2026, 10, 25, 9)  # GMT

    def test_across_spring_change(self) -> None:
        # Fri 16:00 GMT + 2 bh -> Mon 10:00 BST = 09:00 UTC.
        assert bt.add_business(LONDON, utc(2026, 3, 27, 16), 2 * H) == utc(2026, 3, 30, 9)

    def test_across_fall_change(self) -> None:
        # Fri 16:00 BST (15:00 UTC) + 2 bh -> Mon 10:00 GMT = 10:00 UTC.
        assert bt.add_business(LONDON, utc(2026, 10, 23, 15), 2 * H) == utc(2026, 10, 26, 10)

    def test_new_york_changes(self) -> None:
        # 2026-03-08 (spring) and 2026-11-01 (fall) are Sundays; add around them.
        assert bt.add_business(NEW_YORK, utc(2026, 3, 6, 21), 2 * H) == utc(2026, 3, 9, 14)
        assert bt.add_business(NEW_YORK, utc(2026, 10, 30, 20), 2 * H) == utc(2026, 11, 2, 15)
        week = bt.business_between(NEW_YORK, utc(2026, 3, 2), utc(2026, 3, 14))
        assert week == 10 * 8 * H

    def test_full_day_ranges_follow_real_length(self) -> None:
        # A 24 h range on the change days lasts 23 h and 25 h of real time.
        sunday = make("Europe/London", ["00:00-24:00"], days=("sun",))
        assert bt.business_between(sunday, utc(2026, 3, 28), utc(2026, 3, 31)) == 23 * H
        assert bt.business_between(sunday, utc(2026, 10, 24), utc(2026, 10, 27)) == 25 * H
        # Always-open calendars count real time, whatever the offset does.
        assert bt.business_between(ALWAYS, utc(2026, 3, 29), utc(2026, 3, 30)) == 24 * H

    def test_range_in_the_gap(self) -> None:
        # 01:00-03:00 local on the spring day: 01:00 GMT to 03:00 BST is 1 real hour.
        cal = make("Europe/London", ["01:00-03:00"], days=("sun",))
        assert bt.business_between(cal, utc(2026, 3, 29), utc(2026, 3, 30)) == H
        assert bt.business_between(cal, utc(2026, 10, 25), utc(2026, 10, 26)) == 3 * H


class TestMidnightRanges:
    def test_range_to_midnight_joins_next_day(self) -> None:
        cal = make("Europe/London", ["18:00-24:00", "00:00-06:00"], days=WEEKDAYS)
        # Tue 23:00 + 2 bh crosses midnight without a gap.
        assert bt.add_business(cal, utc(2026, 12, 1, 23), 2 * H) == utc(2026, 12, 2, 1)
        assert bt.is_open(cal, utc(2026, 12, 2, 0))
        assert not bt.is_open(cal, utc(2026, 12, 2, 6))
        spans = bt.open_intervals(cal, utc(2026, 12, 1, 12), utc(2026, 12, 2, 12))
        assert spans == [(utc(2026, 12, 1, 18), utc(2026, 12, 2, 6))]

    def test_overlapping_ranges_merge(self) -> None:
        cal = make("Europe/London", ["09:00-13:00", "12:00-17:00"])
        assert bt.business_between(cal, utc(2026, 12, 1), utc(2026, 12, 2)) == 8 * H


class TestBusinessBetween:
    def test_reverse_is_zero(self) -> None:
        assert bt.business_between(LONDON, utc(2026, 12, 2), utc(2026, 12, 1)) == 0

    def test_partial_days(self) -> None:
        assert bt.business_between(LONDON, utc(2026, 12, 1, 16), utc(2026, 12, 2, 10)) == 2 * H

    def test_week_with_holidays(self) -> None:
        # Mon 21 - Sun 27 Dec: four working days (Fri 25 is a holiday).
        assert bt.business_between(LONDON, utc(2026, 12, 21), utc(2026, 12, 28)) == 4 * 8 * H

    def test_rounds_down(self) -> None:
        a = utc(2026, 12, 1, 9)
        assert bt.business_between(LONDON, a, a + dt.timedelta(microseconds=999_999)) == 0


class TestAdd:
    def test_calendar_duration(self) -> None:
        start = utc(2026, 12, 4, 16)
        assert bt.add(LONDON, start, parse_duration("3d")) == utc(2026, 12, 7, 16)

    def test_business_duration(self) -> None:
        start = utc(2026, 12, 4, 16)
        assert bt.add(LONDON, start, parse_duration("1bd")) == utc(2026, 12, 7, 16)
        assert bt.add(LONDON, start, parse_duration("2bh")) == utc(2026, 12, 7, 10)

    def test_business_without_calendar_is_calendar_time(self) -> None:
        start = utc(2026, 12, 4, 16)
        assert bt.add(None, start, parse_duration("2bh")) == utc(2026, 12, 4, 18)

    def test_equal_calendars_share_cache(self) -> None:
        twin = Calendar.model_validate(LONDON.model_dump())
        start = utc(2026, 12, 24, 16)
        assert bt.add_business(twin, start, 2 * H) == bt.add_business(LONDON, start, 2 * H)


def _reference_minutes(cal: Calendar, a: dt.datetime, b: dt.datetime) -> int:
    """Count open minutes by checking every minute's local wall time (slow, obvious)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(cal.timezone)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    holidays = {h.date for h in cal.holidays}
    count = 0
    t = a
    while t < b:
        local = t.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if local.date() not in holidays:
            for text in cal.hours.get(days[local.weekday()], []):  # type: ignore[call-overload]
                start = int(text[:2]) * 60 + int(text[3:5])
                end = int(text[6:8]) * 60 + int(text[9:11])
                if start <= minute < end:
                    count += 1
                    break
        t += dt.timedelta(minutes=1)
    return count


@pytest.mark.parametrize(
    ("cal", "start"),
    [
        (SPLIT, utc(2026, 3, 23)),
        (SPLIT, utc(2026, 10, 19)),
        (NEW_YORK, utc(2026, 3, 2)),
        (NEW_YORK, utc(2026, 10, 26)),
        (SINGAPORE, utc(2026, 12, 20)),
        (LONDON, utc(2026, 12, 20)),
    ],
)
def test_matches_minute_by_minute_reference(cal: Calendar, start: dt.datetime) -> None:
    end = start + dt.timedelta(days=14)
    assert bt.business_between(cal, start, end) == _reference_minutes(cal, start, end) * 60
