"""Property tests: add_business and business_between agree, and both are monotonic."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from casework import businesstime as bt
from casework.language.policies import Calendar

UTC = dt.UTC

CALENDARS = [
    Calendar.model_validate(
        {
            "name": "emea",
            "timezone": "Europe/London",
            "hours": {
                d: ["09:00-12:30", "13:30-17:30"] for d in ("mon", "tue", "wed", "thu", "fri")
            },
            "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
        }
    ),
    Calendar.model_validate(
        {
            "name": "amer",
            "timezone": "America/New_York",
            "hours": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
            | {"sat": ["10:00-14:00"]},
            "holidays": [{"date": "2026-11-26", "name": "Thanksgiving"}],
        }
    ),
    Calendar.model_validate(
        {
            "name": "apac",
            "timezone": "Asia/Singapore",
            "hours": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        }
    ),
    Calendar.model_validate(
        {
            "name": "night",
            "timezone": "Europe/London",
            "hours": {d: ["00:00-02:30", "22:00-24:00"] for d in ("sat", "sun")},
        }
    ),
]

instants = st.datetimes(
    min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from(CALENDARS)
amounts = st.integers(min_value=0, max_value=400 * 3600)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, seconds=amounts)
def test_round_trip(cal: Calendar, start: dt.datetime, seconds: int) -> None:
    end = bt.add_business(cal, start, seconds)
    assert end >= start
    assert bt.business_between(cal, start, end) == seconds


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=instants, seconds=st.integers(min_value=1, max_value=400 * 3600))
def test_result_is_earliest(cal: Calendar, start: dt.datetime, seconds: int) -> None:
    end = bt.add_business(cal, start, seconds)
    # One second earlier, less than the amount has passed; the end is open or a closing time.
    assert bt.business_between(cal, start, end - dt.timedelta(seconds=1)) < seconds
    assert bt.is_open(cal, end - dt.timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(cal=calendars, a=instants, b=instants, c=instants)
def test_monotonic_and_additive(
    cal: Calendar, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    a, b, c = sorted((a, b, c))
    ab = bt.business_between(cal, a, b)
    bc = bt.business_between(cal, b, c)
    ac = bt.business_between(cal, a, c)
    assert ab <= ac
    assert bc <= ac
    # Whole-second rounding can lose at most one second per piece.
    assert ab + bc <= ac <= ab + bc + 1


@settings(max_examples=200, deadline=None)
@given(cal=calendars, start=instants, s1=amounts, s2=amounts)
def test_add_is_monotonic_and_composes(cal: Calendar, start: dt.datetime, s1: int, s2: int) -> None:
    lo, hi = sorted((s1, s2))
    assert bt.add_business(cal, start, lo) <= bt.add_business(cal, start, hi)
    step = bt.add_business(cal, bt.add_business(cal, start, lo), hi - lo)
    assert step == bt.add_business(cal, start, hi) or hi == lo


@settings(max_examples=200, deadline=None)
@given(cal=calendars, t=instants)
def test_next_open_is_open(cal: Calendar, t: dt.datetime) -> None:
    nxt = bt.next_open(cal, t)
    assert nxt >= t
    assert bt.is_open(cal, nxt)
    assert bt.business_between(cal, t, nxt) == 0
    assert bt.is_open(cal, t) == (nxt == t)
