"""Escalation-ladder thresholds over a case's SLA clocks (see :mod:`casework.sla`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from casework import businesstime
from casework.language.durations import parse_duration
from casework.language.policies import Calendar, EscalationLadder, LadderLevel
from casework.sla._clocks import CaseClocks, SlaClock, _advance, _check_cal


def threshold_at(clock: SlaClock, seconds: int, cal: Calendar | None) -> dt.datetime | None:
    """Return when the clock's elapsed time reaches ``seconds`` (None unless running).

    When the threshold is already behind, the start of the current running
    stretch is returned (an instant at or before now).
    """
    if clock.since is None or clock.stopped_at is not None:
        return None
    if seconds == clock.target_seconds and clock.deadline is not None:
        return clock.breached_at or clock.deadline
    return _advance(_check_cal(clock, cal), clock.since, seconds - clock.elapsed_seconds)


def _as_mapping(
    clocks: CaseClocks | Mapping[str, SlaClock] | Iterable[SlaClock],
) -> dict[str, SlaClock]:
    if isinstance(clocks, CaseClocks):
        return {c.name: c for c in clocks.clocks()}
    if isinstance(clocks, Mapping):
        return dict(clocks)
    return {c.name: c for c in clocks}


def level_due_at(
    level: LadderLevel,
    clocks: CaseClocks | Mapping[str, SlaClock] | Iterable[SlaClock],
    cal: Calendar | None,
) -> dt.datetime | None:
    """Return when an escalation level is due, or None when it cannot be due now.

    ``at_percent`` levels are due when the level's clock has counted that share
    of its target (rounded up to the second), in the clock's basis; None while
    the clock is paused, stopped or absent. ``after_breach`` levels are due
    that duration after the breach instant (business durations count in
    ``cal``); before a breach the running clock's deadline is used as the
    expected breach; None when the clock is stopped or paused before breaching.

    Args:
        level: The ladder level.
        clocks: The case's clocks.
        cal: The calendar of the level's clock.

    Returns:
        A UTC instant (possibly in the past), or None.
    """
    clock = _as_mapping(clocks).get(level.clock)
    if clock is None or clock.stopped_at is not None:
        return None
    if level.at_percent is not None:
        seconds = -(-level.at_percent * clock.target_seconds // 100)
        return threshold_at(clock, seconds, cal)
    assert level.after_breach is not None
    breach = clock.breached_at or (clock.deadline if clock.since is not None else None)
    if breach is None:
        return None
    return businesstime.add(_check_cal(clock, cal), breach, parse_duration(level.after_breach))


def due_levels(
    ladder: EscalationLadder,
    fired: Iterable[int],
    clocks: CaseClocks,
    t: dt.datetime,
    calendars: Mapping[str, Calendar],
) -> list[LadderLevel]:
    """Return the levels not yet fired that are due at ``t``, in ladder order.

    Args:
        ladder: The escalation ladder.
        fired: Level numbers already fired.
        clocks: The case's clocks.
        t: The current instant.
        calendars: Calendars by name (``plan.calendars``).
    """
    done = set(fired)
    out: list[LadderLevel] = []
    for level in ladder.levels:
        if level.level in done:
            continue
        due = level_due_at(level, clocks, _cal_of(clocks, level.clock, calendars))
        if due is not None and due <= t:
            out.append(level)
    return out


def _cal_of(clocks: CaseClocks, name: str, calendars: Mapping[str, Calendar]) -> Calendar | None:
    clock = clocks.get(name)
    if clock is None or clock.calendar is None:
        return None
    return calendars.get(clock.calendar)


def next_wakeup(
    clocks: CaseClocks,
    t: dt.datetime,
    calendars: Mapping[str, Calendar],
    ladder: EscalationLadder | None = None,
    fired: Iterable[int] = (),
) -> dt.datetime | None:
    """Return the next instant after ``t`` when something SLA-related happens, or None.

    Considers each running clock's at-risk instant and deadline (not yet
    reached) and the due instants of unfired ladder levels. The workflow
    sleeps until then (or until a transition), then calls :func:`due_levels`
    and :func:`state_at`.
    """
    times: list[dt.datetime] = []
    for clock in clocks.clocks():
        if clock.since is None or clock.stopped_at is not None:
            continue
        if not clock.at_risk and clock.at_risk_at is not None:
            times.append(clock.at_risk_at)
        if clock.breached_at is None and clock.deadline is not None:
            times.append(clock.deadline)
    if ladder is not None:
        done = set(fired)
        for level in ladder.levels:
            if level.level not in done:
                due = level_due_at(level, clocks, _cal_of(clocks, level.clock, calendars))
                if due is not None:
                    times.append(due)
    future = [x for x in times if x > t]
    return min(future) if future else None
