"""Business-time arithmetic on a :class:`~casework.language.policies.Calendar`.

Everything here is pure and deterministic (no I/O, no clock reads) so it can
run inside Temporal workflow code. Instants are timezone-aware ``datetime``
values; results are always in UTC.

Business time is the measure of the calendar's *open set*: the union of its
weekly ranges, read as local wall-clock times in the calendar's time zone,
minus holidays (whole local days). Ranges are half-open ``[start, end)``, so
an instant at the end of a range is closed, and ``24:00`` means the next
local midnight. Business seconds are real elapsed seconds inside the open
set: a ``09:00-17:00`` range is 8 h on both DST change days, and a
``00:00-24:00`` range lasts 23 h or 25 h on those days. Local times that
do not exist (spring gap) or happen twice (autumn overlap) are read with
``fold=0`` (PEP 495).

Per-calendar structures (weekly ranges, holiday set, each local day's open
intervals as UTC microseconds) are compiled once and cached, and whole days
are skipped at a time, so a call costs a handful of dictionary look-ups per
day spanned.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from casework.language.durations import Duration
from casework.language.policies import WEEKDAYS, Calendar

__all__ = ["add", "add_business", "business_between", "is_open", "next_open", "open_intervals"]

_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_US = dt.timedelta(microseconds=1)
_SECOND_US = 1_000_000
#: Searching further than this many days for open time means the calendar is closed for good.
_MAX_DAYS = 366 * 100
_CACHE_LIMIT = 256
_DAY_CACHE_LIMIT = 50_000

_Interval = tuple[int, int]
#: ``date.fromordinal(n)`` is a Monday when ``n % 7 == 1``.
_MONDAY = 1


@dataclass(slots=True)
class _Compiled:
    zone: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[int]
    days: dict[int, tuple[_Interval, ...]] = field(default_factory=dict)
    weeks: dict[int, int] = field(default_factory=dict)


# id(cal) -> (weak reference to cal, compiled); the weak reference proves the id was not reused.
_BY_ID: dict[int, tuple[weakref.ref[Calendar], _Compiled]] = {}
# canonical JSON -> compiled, for equal calendars that are different objects.
_BY_JSON: dict[str, _Compiled] = {}


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _merge(ranges: list[str]) -> tuple[tuple[int, int], ...]:
    spans = sorted((_minutes(r[:5]), _minutes(r[6:])) for r in ranges)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _build(cal: Calendar) -> _Compiled:
    weekly = tuple(_merge(cal.hours.get(day, [])) for day in WEEKDAYS)
    holidays = frozenset(h.date.toordinal() for h in cal.holidays)
    return _Compiled(ZoneInfo(cal.timezone), weekly, holidays)


def _compiled(cal: Calendar) -> _Compiled:
    hit = _BY_ID.get(id(cal))
    if hit is not None and hit[0]() is cal:
        return hit[1]
    key = cal.model_dump_json()
    comp = _BY_JSON.get(key)
    if comp is None:
        if len(_BY_JSON) >= _CACHE_LIMIT:
            _BY_JSON.clear()
        comp = _BY_JSON[key] = _build(cal)
    if len(_BY_ID) >= _CACHE_LIMIT:
        _BY_ID.clear()
    _BY_ID[id(cal)] = (weakref.ref(cal), comp)
    return comp


def _to_us(t: dt.datetime) -> int:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()}: pass a timezone-aware instant (UTC)")
    return (t - _EPOCH) // _US


def _from_us(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def _local_us(zone: ZoneInfo, day: dt.date, minutes: int) -> int:
    if minutes >= 24 * 60:
        day = day + dt.timedelta(days=1)
        minutes -= 24 * 60
    local = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=zone)
    return (local - _EPOCH) // _US


def _day(comp: _Compiled, ordinal: int) -> tuple[_Interval, ...]:
    hit = comp.days.get(ordinal)
    if hit is not None:
        return hit
    day = dt.date.fromordinal(ordinal)
    ranges = () if ordinal in comp.holidays else comp.weekly[day.weekday()]
    out: list[_Interval] = []
    for start, end in ranges:
        a = _local_us(comp.zone, day, start)
        b = _local_us(comp.zone, day, end)
        if b > a:
            out.append((a, b))
    result = tuple(out)
    if len(comp.days) >= _DAY_CACHE_LIMIT:
        comp.days.clear()
    comp.days[ordinal] = result
    return result


def _week(comp: _Compiled, monday: int) -> int:
    """Open microseconds of the local week starting on ordinal ``monday``."""
    hit = comp.weeks.get(monday)
    if hit is None:
        hit = sum(b - a for o in range(monday, monday + 7) for a, b in _day(comp, o))
        if len(comp.weeks) >= _DAY_CACHE_LIMIT:
            comp.weeks.clear()
        comp.weeks[monday] = hit
    return hit


def _local_ordinal(comp: _Compiled, us: int) -> int:
    return _from_us(us).astimezone(comp.zone).date().toordinal()


def _intervals_from(comp: _Compiled, us: int) -> Iterator[_Interval]:
    """Yield the open intervals ending after ``us``, clipped to start at ``us`` or later."""
    # Start a day early: in zones that change offset at midnight, a local day's
    # intervals may begin before the previous local day's last instant.
    ordinal = _local_ordinal(comp, us) - 1
    for _ in range(_MAX_DAYS):
        for a, b in _day(comp, ordinal):
            if b > us:
                yield (max(a, us), b)
        ordinal += 1
    raise ValueError(
        "calendar has no open time in the next 100 years: check its hours and holidays"
    )


def is_open(cal: Calendar, t: dt.datetime) -> bool:
    """Return True when the calendar is open at instant ``t``.

    Args:
        cal: The business calendar.
        t: A timezone-aware instant.

    Returns:
        True inside an open range (start included, end excluded) on a non-holiday.
    """
    comp = _compiled(cal)
    us = _to_us(t)
    ordinal = _local_ordinal(comp, us)
    return any(a <= us < b for o in (ordinal - 1, ordinal) for a, b in _day(comp, o))


def next_open(cal: Calendar, t: dt.datetime) -> dt.datetime:
    """Return the first open instant at or after ``t`` (``t`` itself when open).

    Args:
        cal: The business calendar.
        t: A timezone-aware instant.

    Returns:
        A UTC instant.

    Raises:
        ValueError: When ``t`` is naive or the calendar never opens again.
    """
    us = _to_us(t)
    for a, _b in _intervals_from(_compiled(cal), us):
        return _from_us(a)
    raise AssertionError("unreachable")  # pragma: no cover


def add_business(cal: Calendar, start: dt.datetime, seconds: int | float) -> dt.datetime:
    """Return the earliest instant when ``seconds`` business seconds have passed since ``start``.

    A duration that runs out exactly at the end of a range ends there (e.g.
    Friday 17:00), not at the next opening. Zero seconds returns ``start``.

    Args:
        cal: The business calendar.
        start: A timezone-aware instant.
        seconds: Business seconds to add (not negative).

    Returns:
        A UTC instant.

    Raises:
        ValueError: When ``seconds`` is negative or ``start`` is naive.
    """
    if seconds < 0:
        raise ValueError(f"cannot add {seconds} business seconds: the amount must not be negative")
    us = _to_us(start)
    remaining = round(seconds * _SECOND_US)
    if remaining == 0:
        return start.astimezone(_UTC)
    comp = _compiled(cal)
    first = _local_ordinal(comp, us)
    ordinal = first - 1
    for _ in range(_MAX_DAYS):
        # Days after the start's local day lie wholly after it: skip whole weeks.
        if ordinal > first and ordinal % 7 == _MONDAY:
            week = _week(comp, ordinal)
            if week < remaining:
                remaining -= week
                ordinal += 7
                continue
        intervals = _day(comp, ordinal)
        ordinal += 1
        if not intervals or intervals[-1][1] <= us:
            continue
        if intervals[0][0] >= us:
            total = sum(b - a for a, b in intervals)
            if total < remaining:
                remaining -= total
                continue
        for a, b in intervals:
            if b <= us:
                continue
            a = max(a, us)
            if b - a >= remaining:
                return _from_us(a + remaining)
            remaining -= b - a
    raise ValueError(
        "calendar has no open time in the next 100 years: check its hours and holidays"
    )


def business_between(cal: Calendar, a: dt.datetime, b: dt.datetime) -> int:
    """Return the whole business seconds elapsed from ``a`` to ``b`` (0 when ``b <= a``).

    Args:
        cal: The business calendar.
        a: Start instant, timezone-aware.
        b: End instant, timezone-aware.

    Returns:
        Business seconds, rounded down.
    """
    lo, hi = _to_us(a), _to_us(b)
    if hi <= lo:
        return 0
    comp = _compiled(cal)
    first, last = _local_ordinal(comp, lo), _local_ordinal(comp, hi)
    total = 0
    ordinal = first - 1
    while ordinal <= last:
        # Local days strictly between the ends' local days lie wholly inside [a, b).
        if ordinal > first and ordinal % 7 == _MONDAY and ordinal + 7 <= last:
            total += _week(comp, ordinal)
            ordinal += 7
            continue
        intervals = _day(comp, ordinal)
        ordinal += 1
        if not intervals:
            continue
        if intervals[0][0] >= lo and intervals[-1][1] <= hi:
            total += sum(y - x for x, y in intervals)
            continue
        for x, y in intervals:
            x, y = max(x, lo), min(y, hi)
            if y > x:
                total += y - x
    return total // _SECOND_US


def open_intervals(
    cal: Calendar, a: dt.datetime, b: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Return the open intervals of ``cal`` overlapping ``[a, b)``, clipped to it, in UTC.

    Args:
        cal: The business calendar.
        a: Start instant, timezone-aware.
        b: End instant, timezone-aware.

    Returns:
        Ordered ``(start, end)`` pairs; contiguous ranges (e.g. ``24:00`` then
        ``00:00``) are merged.
    """
    lo, hi = _to_us(a), _to_us(b)
    out: list[list[int]] = []
    if hi <= lo:
        return []
    for x, y in _intervals_from(_compiled(cal), lo):
        if x >= hi:
            break
        y = min(y, hi)
        if out and out[-1][1] >= x:
            out[-1][1] = max(out[-1][1], y)
        else:
            out.append([x, y])
    return [(_from_us(x), _from_us(y)) for x, y in out]


def add(cal: Calendar | None, start: dt.datetime, duration: Duration) -> dt.datetime:
    """Add a parsed duration to ``start``.

    Calendar durations (``4h``, ``3d``) add plain elapsed time. Business
    durations (``2bh``, ``3bd``) add business seconds in ``cal``; with no
    calendar they are counted as calendar time.

    Args:
        cal: The calendar for business durations, or None.
        start: A timezone-aware instant.
        duration: The duration to add.

    Returns:
        A UTC instant.
    """
    _to_us(start)
    if duration.business and cal is not None:
        return add_business(cal, start, duration.seconds)
    return (start + dt.timedelta(seconds=duration.seconds)).astimezone(_UTC)
