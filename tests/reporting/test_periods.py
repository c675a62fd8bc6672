"""Reporting periods cut in local time zones, and the formatting of measures."""

from __future__ import annotations

import datetime as dt

import pytest

from casework.errors import ConfigError
from casework.reporting import periods
from casework.reporting._format import change, duration, fmt_measure

UTC = dt.UTC


def test_last_week_is_monday_to_monday_local() -> None:
    now = dt.datetime(2026, 12, 2, 12, tzinfo=UTC)  # Wednesday
    london = periods.last_week("Europe/London", now)
    assert (london.start, london.end) == (
        dt.datetime(2026, 11, 23, tzinfo=UTC),
        dt.datetime(2026, 11, 30, tzinfo=UTC),
    )
    ny = periods.last_week("America/New_York", now)
    assert ny.start == dt.datetime(2026, 11, 23, 5, tzinfo=UTC)
    assert ny.previous().end == ny.start
    assert ny.label() == "2026-11-23 to 2026-11-29 (America/New_York)"


def test_a_week_across_the_clock_change_is_167_hours() -> None:
    week = periods.last_week("Europe/London", dt.datetime(2026, 3, 31, tzinfo=UTC))
    assert week.length == dt.timedelta(hours=167)  # BST starts Sunday 29 March


def test_last_month_and_hours() -> None:
    now = dt.datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    month = periods.last_month("Europe/London", now)
    assert (month.start, month.end) == (
        dt.datetime(2025, 12, 1, tzinfo=UTC),
        dt.datetime(2026, 1, 1, tzinfo=UTC),
    )
    hour = periods.last_hours(1, now=now)
    assert (hour.start, hour.end) == (
        dt.datetime(2025, 12, 31, 23, tzinfo=UTC),
        now.replace(minute=0),
    )


def test_parse_instant() -> None:
    assert periods.parse_instant("2026-07-01", "Europe/London", option="--since") == dt.datetime(
        2026, 6, 30, 23, tzinfo=UTC
    )
    assert periods.parse_instant("2026-07-01T09:00Z", "Europe/London", option="--since") == (
        dt.datetime(2026, 7, 1, 9, tzinfo=UTC)
    )
    with pytest.raises(ConfigError, match="--until: '31/12' is not a date"):
        periods.parse_instant("31/12", "UTC", option="--until")


def test_formatting() -> None:
    assert [duration(s) for s in (42, 600, 12000, 200000)] == ["42s", "10m", "3h 20m", "2d 7h"]
    assert fmt_measure("compliance", 0.71428) == "71.4%"
    assert fmt_measure("count", 1234) == "1,234"
    assert fmt_measure("median", None) == "-"
    assert change(0.8, 0.7, "ratio", "higher") == ("▲ 10.0 pts", "good")
    assert change(7200, 3600, "seconds", "lower") == ("▲ 1h 00m", "bad")
    assert change(1, None, "count", "lower") == ("no comparison", "flat")
