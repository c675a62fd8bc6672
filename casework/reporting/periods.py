"""Reporting periods: half-open UTC intervals ``[start, end)`` cut in a local time zone.

A coordinator's "yesterday" or "last week" is a local notion: the period is cut at
local midnight in the report's time zone (``Europe/London`` by default) and then
converted to UTC instants, so a London report and a New York report over
"yesterday" cover different UTC hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from casework.errors import ConfigError

DEFAULT_TIMEZONE = "Europe/London"


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``.

    Raises:
        ConfigError: the name is not a known time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {name!r}",
            hint="use an IANA name such as Europe/London or America/New_York",
        ) from exc


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open reporting interval ``[start, end)`` of aware UTC instants.

    Attributes:
        start: First instant included.
        end: First instant after the period.
        timezone: IANA zone the period was cut in (used for labels).
    """

    start: dt.datetime
    end: dt.datetime
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ConfigError("a reporting period needs timezone-aware instants")
        if self.end <= self.start:
            raise ConfigError(
                f"reporting period ends ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})",
                hint="give --until later than --since",
            )

    @property
    def length(self) -> dt.timedelta:
        """Return the length of the period."""
        return self.end - self.start

    def previous(self) -> Period:
        """Return the period of the same length just before this one."""
        return Period(self.start - self.length, self.start, self.timezone)

    def label(self) -> str:
        """Return a human label in the period's time zone, e.g. ``2026-11-30 → 2026-12-01``."""
        tz = zone(self.timezone)
        start, end = self.start.astimezone(tz), self.end.astimezone(tz)
        midnight = dt.time(0, 0)
        if start.time() == midnight and end.time() == midnight:
            last = end.date() - dt.timedelta(days=1)
            if last == start.date():
                return f"{start.date().isoformat()} ({self.timezone})"
            return f"{start.date().isoformat()} to {last.isoformat()} ({self.timezone})"
        fmt = "%Y-%m-%d %H:%M"
        return f"{start.strftime(fmt)} to {end.strftime(fmt)} ({self.timezone})"


def _utc(local: dt.datetime) -> dt.datetime:
    return local.astimezone(dt.UTC)


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


def yesterday(timezone: str = DEFAULT_TIMEZONE, now: dt.datetime | None = None) -> Period:
    """Return the previous local calendar day in ``timezone``."""
    tz = zone(timezone)
    today = _now(now).astimezone(tz).date()
    start = _local_midnight(today - dt.timedelta(days=1), tz)
    return Period(_utc(start), _utc(_local_midnight(today, tz)), timezone)


def last_week(timezone: str = DEFAULT_TIMEZONE, now: dt.datetime | None = None) -> Period:
    """Return the previous local ISO week (Monday 00:00 to Monday 00:00) in ``timezone``."""
    tz = zone(timezone)
    today = _now(now).astimezone(tz).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    start = _local_midnight(this_monday - dt.timedelta(days=7), tz)
    return Period(_utc(start), _utc(_local_midnight(this_monday, tz)), timezone)


def last_month(timezone: str = DEFAULT_TIMEZONE, now: dt.datetime | None = None) -> Period:
    """Return the previous local calendar month in ``timezone``."""
    tz = zone(timezone)
    today = _now(now).astimezone(tz).date()
    first = today.replace(day=1)
    prev_first = (first - dt.timedelta(days=1)).replace(day=1)
    return Period(_utc(_local_midnight(prev_first, tz)), _utc(_local_midnight(first, tz)), timezone)


def last_hours(
    hours: int, timezone: str = DEFAULT_TIMEZONE, now: dt.datetime | None = None
) -> Period:
    """Return the ``hours`` whole hours before the current hour (UTC hour boundaries)."""
    top = _now(now).replace(minute=0, second=0, microsecond=0)
    return Period(top - dt.timedelta(hours=hours), top, timezone)


def parse_instant(text: str, timezone: str, *, option: str) -> dt.datetime:
    """Parse ``--since``/``--until`` text: a date (local midnight) or an ISO instant.

    A date or an ISO time without offset is read in ``timezone``.

    Raises:
        ConfigError: the text is neither a date nor an ISO 8601 instant.
    """
    tz = zone(timezone)
    try:
        if len(text) == 10:
            return _utc(_local_midnight(dt.date.fromisoformat(text), tz))
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            f"{option}: {text!r} is not a date or ISO 8601 instant",
            hint="use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]",
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return _utc(value)
