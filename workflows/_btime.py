"""Business-time arithmetic for the interpreter.

Delegates to :mod:`casework.businesstime` when it is installed; the fallback here
(day by day over the weekly hours and holidays) has the same semantics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from casework.language.durations import Duration
from casework.language.policies import WEEKDAYS, Calendar

_MAX_DAYS = 3 * 366


def _ranges(cal: Calendar, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    if any(h.date == day for h in cal.holidays):
        return []
    zone = ZoneInfo(cal.timezone)
    out = []
    for text in cal.hours.get(WEEKDAYS[day.weekday()], []):
        a, b = text.split("-")
        start = dt.datetime.combine(day, dt.time.fromisoformat(a), zone)
        if b == "24:00":
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
        else:
            end = dt.datetime.combine(day, dt.time.fromisoformat(b), zone)
        out.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    return out


def _fallback_add_business(cal: Calendar, start: dt.datetime, seconds: int) -> dt.datetime:
    rest = dt.timedelta(seconds=seconds)
    day = start.astimezone(ZoneInfo(cal.timezone)).date()
    for _ in range(_MAX_DAYS):
        for a, b in _ranges(cal, day):
            a = max(a, start)
            if b <= a:
                continue
            if a + rest <= b:
                return a + rest
            rest -= b - a
        day += dt.timedelta(days=1)
    raise ValueError(f"calendar {cal.name}: no business time within {_MAX_DAYS} days")


def _fallback_between(cal: Calendar, a: dt.datetime, b: dt.datetime) -> int:
    if b <= a:
        return 0
    total = dt.timedelta()
    zone = ZoneInfo(cal.timezone)
    day = a.astimezone(zone).date()
    last = b.astimezone(zone).date()
    while day <= last:
        for x, y in _ranges(cal, day):
            lo, hi = max(x, a), min(y, b)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return int(total.total_seconds())


def _load() -> tuple[
    Callable[[Calendar, dt.datetime, int], dt.datetime],
    Callable[[Calendar, dt.datetime, dt.datetime], int],
]:
    try:
        from casework import businesstime
    except ImportError:
        return _fallback_add_business, _fallback_between
    return businesstime.add_business, businesstime.business_between


add_business, business_between = _load()


def add(cal: Calendar | None, start: dt.datetime, seconds: float, business: bool) -> dt.datetime:
    """Return ``start`` plus ``seconds`` of business time (with a calendar) or calendar time."""
    if business and cal is not None:
        return add_business(cal, start, round(seconds))
    return start + dt.timedelta(seconds=seconds)


def add_duration(cal: Calendar | None, start: dt.datetime, duration: Duration) -> dt.datetime:
    """Return ``start`` plus a parsed duration (business durations need ``cal``)."""
    return add(cal, start, duration.seconds, duration.business)


def elapsed(cal: Calendar | None, a: dt.datetime, b: dt.datetime, business: bool) -> float:
    """Seconds from ``a`` to ``b`` counted in business time (with a calendar) or calendar time."""
    if business and cal is not None:
        return float(business_between(cal, a, b))
    return max(0.0, (b - a).total_seconds())
