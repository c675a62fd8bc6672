"""SLA clocks of a case and escalation-ladder thresholds: pure maths for workflow code.

A case has up to two clocks, ``first_response`` and ``resolution``. A clock
counts *elapsed* time in its basis: business seconds in its calendar
(``SlaPolicy.time == "business"``) or plain seconds (``"calendar"``; also
business clocks without a calendar). Paused time does not count.

Conventions:

* The clock **breaches at the exact instant elapsed == target**: that is the
  ``deadline`` (the earliest such instant, e.g. Friday 17:30 rather than the
  following Monday opening). ``state_at(clock, deadline)`` of a running clock
  is ``breached``.
* A clock **stopped exactly at its deadline is met**: the stop is taken as
  happening in time. Stopping later is ``breached``.
* A breach is a fact: lowering the priority afterwards keeps it breached.
* Changing the target (priority change) keeps the elapsed time; when the
  elapsed time is already past the new target the clock breaches at the
  change instant (never in the past).
* Pauses nest: each :func:`pause` needs a :func:`resume`; the clock runs
  again when the last one is resumed. Resuming a clock that is not paused
  does nothing.
* Elapsed time is kept in whole seconds; ``at_risk`` is
  ``elapsed * 100 >= at_risk_percent * target``.

Every function takes the clock's :class:`Calendar` (or None). Pass
``plan.calendars.get(clock.calendar)``: the clock keeps the calendar it
started with even if the case's region changes. State objects are frozen
pydantic models; functions return updated copies, so the workflow can carry
them across continue-as-new (``model_dump(mode="json")``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from casework import businesstime
from casework.contracts import ClockState, ClockView, SlaState
from casework.language.durations import parse_duration
from casework.language.policies import (
    Calendar,
    EscalationLadder,
    LadderLevel,
    SlaPolicy,
    SlaTarget,
)

__all__ = [
    "CLOCK_NAMES",
    "CaseClocks",
    "ClockName",
    "SlaClock",
    "case_sla_state",
    "change_priority",
    "change_target",
    "deadline",
    "due_levels",
    "elapsed",
    "level_due_at",
    "next_wakeup",
    "open_clocks",
    "pause",
    "pauses_for",
    "resume",
    "start_clock",
    "state_at",
    "stop",
    "target_for",
    "threshold_at",
    "to_view",
]

ClockName = Literal["first_response", "resolution"]
CLOCK_NAMES: tuple[ClockName, ...] = ("first_response", "resolution")


class SlaClock(BaseModel):
    """The state of one SLA clock (serialisable, immutable).

    Attributes:
        name: ``first_response`` or ``resolution``.
        target_seconds: Target length in the clock's basis.
        business: True when the policy counts business time.
        calendar: Name of the calendar counted in (None: calendar time).
        at_risk_percent: The clock is at risk past this share of the target.
        started_at: When the clock was started.
        elapsed_seconds: Time counted before ``since`` (the current running stretch).
        since: Start of the current running stretch; None while paused or stopped.
        deadline: Instant elapsed reaches the target; None while paused.
        at_risk_at: Instant elapsed reaches the at-risk share; None while paused.
        pauses: Open pause count (nested pauses).
        paused_at: When the current pause began.
        paused_seconds: Wall-clock seconds spent paused in finished pauses.
        stopped_at: When the clock was stopped (met or breached).
        breached_at: The breach instant, once known.
        at_risk: True once the at-risk share was reached (settled at transitions).
        result: ``met`` or ``breached`` once stopped.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClockName
    target_seconds: int
    business: bool
    calendar: str | None = None
    at_risk_percent: int = 75
    started_at: dt.datetime
    elapsed_seconds: int = 0
    since: dt.datetime | None = None
    deadline: dt.datetime | None = None
    at_risk_at: dt.datetime | None = None
    pauses: int = 0
    paused_at: dt.datetime | None = None
    paused_seconds: int = 0
    stopped_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    at_risk: bool = False
    result: Literal["met", "breached"] | None = None


class CaseClocks(BaseModel):
    """The SLA clocks of one case (either may be absent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_response: SlaClock | None = None
    resolution: SlaClock | None = None

    def clocks(self) -> list[SlaClock]:
        """Return the clocks that exist, first response first."""
        return [c for c in (self.first_response, self.resolution) if c is not None]

    def get(self, name: str) -> SlaClock | None:
        """Return the clock called ``name``, or None."""
        if name == "first_response":
            return self.first_response
        if name == "resolution":
            return self.resolution
        return None

    def replace(self, clock: SlaClock) -> CaseClocks:
        """Return a copy with ``clock`` stored under its name."""
        return self.model_copy(update={clock.name: clock})


# ---------------------------------------------------------------- basis helpers


def _check_cal(clock: SlaClock, cal: Calendar | None) -> Calendar | None:
    if not clock.business or clock.calendar is None:
        return None
    if cal is None or cal.name != clock.calendar:
        got = "no calendar" if cal is None else f"calendar {cal.name!r}"
        raise ValueError(
            f"SLA clock {clock.name!r} counts in calendar {clock.calendar!r} but got {got}: "
            "pass plan.calendars[clock.calendar]"
        )
    return cal


def _measure(cal: Calendar | None, a: dt.datetime, b: dt.datetime) -> int:
    if cal is not None:
        return businesstime.business_between(cal, a, b)
    return max(0, int((b - a).total_seconds()))


def _advance(cal: Calendar | None, t: dt.datetime, seconds: int) -> dt.datetime:
    if seconds <= 0:
        return t
    if cal is not None:
        return businesstime.add_business(cal, t, seconds)
    return t + dt.timedelta(seconds=seconds)


def _risk_seconds(clock: SlaClock) -> int:
    return -(-clock.at_risk_percent * clock.target_seconds // 100)


def _settle(clock: SlaClock, t: dt.datetime) -> SlaClock:
    """Record a breach or at-risk crossing that has happened by ``t`` on a running clock."""
    updates: dict[str, object] = {}
    if clock.since is not None and clock.stopped_at is None:
        if clock.breached_at is None and clock.deadline is not None and t >= clock.deadline:
            updates["breached_at"] = clock.deadline
        if not clock.at_risk and clock.at_risk_at is not None and t >= clock.at_risk_at:
            updates["at_risk"] = True
    return clock.model_copy(update=updates) if updates else clock


def _run_from(clock: SlaClock, t: dt.datetime, cal: Calendar | None) -> SlaClock:
    """Start a running stretch at ``t``: compute deadline and at-risk instants."""
    remaining = clock.target_seconds - clock.elapsed_seconds
    if clock.breached_at is not None:
        due = clock.breached_at
    elif remaining <= 0:
        due = t
    else:
        due = _advance(cal, t, remaining)
    risk = _risk_seconds(clock) - clock.elapsed_seconds
    risk_at = t if risk <= 0 else _advance(cal, t, risk)
    moved = clock.model_copy(update={"since": t, "deadline": due, "at_risk_at": risk_at})
    return _settle(moved, t)


# ---------------------------------------------------------------- policy helpers


def target_for(policy: SlaPolicy, priority: str | None, name: ClockName) -> int | None:
    """Return the target seconds of clock ``name`` for ``priority`` (None when no target).

    An unknown or missing priority uses ``normal``.
    """
    by_name: dict[str, SlaTarget] = dict(policy.targets.items())
    target = by_name.get(priority or "normal") or by_name.get("normal")
    if target is None:
        return None
    text = target.first_response if name == "first_response" else target.resolution
    return parse_duration(text).seconds


def pauses_for(policy: SlaPolicy, waiting_for: str | None) -> bool:
    """Return True when waiting on ``waiting_for`` pauses the clocks under ``policy``."""
    return waiting_for is not None and waiting_for in policy.pause_when_waiting_for


# ---------------------------------------------------------------- transitions


def start_clock(
    name: ClockName,
    target_seconds: int,
    t: dt.datetime,
    cal: Calendar | None,
    *,
    business: bool = True,
    at_risk_percent: int = 75,
) -> SlaClock:
    """Start a clock at ``t``.

    Args:
        name: Clock name.
        target_seconds: Target in the clock's basis (business or plain seconds).
        t: Start instant.
        cal: Calendar to count business time in (None: calendar time).
        business: Whether the policy counts business time.
        at_risk_percent: At-risk share of the target.

    Returns:
        A running clock.
    """
    if target_seconds <= 0:
        raise ValueError(f"SLA clock {name!r}: target must be positive, got {target_seconds}")
    clock = SlaClock(
        name=name,
        target_seconds=target_seconds,
        business=business,
        calendar=cal.name if business and cal is not None else None,
        at_risk_percent=at_risk_percent,
        started_at=t,
    )
    return _run_from(clock, t, _check_cal(clock, cal))


def open_clocks(
    policy: SlaPolicy, priority: str | None, t: dt.datetime, cal: Calendar | None
) -> CaseClocks:
    """Start both clocks of a case opened at ``t`` with ``priority`` under ``policy``."""
    business = policy.time == "business"
    made: dict[str, SlaClock] = {}
    for name in CLOCK_NAMES:
        target = target_for(policy, priority, name)
        if target is not None:
            made[name] = start_clock(
                name, target, t, cal, business=business, at_risk_percent=policy.at_risk_percent
            )
    return CaseClocks.model_validate(made)


def elapsed(clock: SlaClock, t: dt.datetime, cal: Calendar | None) -> int:
    """Return the seconds counted by ``t`` (in the clock's basis)."""
    cal = _check_cal(clock, cal)
    if clock.since is None:
        return clock.elapsed_seconds
    return clock.elapsed_seconds + _measure(cal, clock.since, max(t, clock.since))


def pause(clock: SlaClock, t: dt.datetime, cal: Calendar | None) -> SlaClock:
    """Pause at ``t`` (nested: counts pauses). Stopped clocks are returned unchanged."""
    if clock.stopped_at is not None:
        return clock
    if clock.pauses > 0:
        return clock.model_copy(update={"pauses": clock.pauses + 1})
    clock = _settle(clock, t)
    return clock.model_copy(
        update={
            "elapsed_seconds": elapsed(clock, t, cal),
            "since": None,
            "deadline": None,
            "at_risk_at": None,
            "pauses": 1,
            "paused_at": t,
        }
    )


def resume(clock: SlaClock, t: dt.datetime, cal: Calendar | None) -> SlaClock:
    """End one pause at ``t``; the clock runs again when no pause is left."""
    if clock.stopped_at is not None or clock.pauses == 0:
        return clock
    if clock.pauses > 1:
        return clock.model_copy(update={"pauses": clock.pauses - 1})
    assert clock.paused_at is not None
    spent = max(0, int((t - clock.paused_at).total_seconds()))
    clock = clock.model_copy(
        update={"pauses": 0, "paused_at": None, "paused_seconds": clock.paused_seconds + spent}
    )
    return _run_from(clock, t, _check_cal(clock, cal))


def stop(clock: SlaClock, t: dt.datetime, cal: Calendar | None) -> SlaClock:
    """Stop at ``t``: met when ``t`` is at or before the deadline, else breached.

    A paused clock stops as met unless it had breached before the pause.
    Stopping a stopped clock changes nothing.
    """
    if clock.stopped_at is not None:
        return clock
    if clock.pauses > 0:
        clock = resume(clock.model_copy(update={"pauses": 1}), t, cal)
    late = clock.breached_at is not None and t > clock.breached_at
    late = late or (clock.deadline is not None and t > clock.deadline)
    count = elapsed(clock, t, cal)
    risk = clock.at_risk or count * 100 >= clock.at_risk_percent * clock.target_seconds
    updates: dict[str, object] = {
        "elapsed_seconds": count,
        "since": None,
        "at_risk_at": None,
        "stopped_at": t,
        "at_risk": risk,
        "result": "breached" if late else "met",
    }
    if late and clock.breached_at is None:
        updates["breached_at"] = clock.deadline
    if not late:
        updates["breached_at"] = None
    return clock.model_copy(update=updates)


def change_target(
    clock: SlaClock, target_seconds: int, t: dt.datetime, cal: Calendar | None
) -> SlaClock:
    """Apply a new target at ``t``, keeping the elapsed time (stopped clocks are unchanged)."""
    if clock.stopped_at is not None or target_seconds == clock.target_seconds:
        return clock
    if target_seconds <= 0:
        raise ValueError(f"SLA clock {clock.name!r}: target must be positive, got {target_seconds}")
    cal = _check_cal(clock, cal)
    clock = _settle(clock, t)
    count = elapsed(clock, t, cal)
    breached = clock.breached_at
    if clock.since is None and breached is None and count >= target_seconds:
        breached = t
    # At risk is re-judged against the new target; only a breach is permanent.
    risk = breached is not None or count * 100 >= clock.at_risk_percent * target_seconds
    retargeted = clock.model_copy(
        update={
            "target_seconds": target_seconds,
            "elapsed_seconds": count,
            "breached_at": breached,
            "at_risk": risk,
        }
    )
    if clock.since is None:
        return retargeted
    return _run_from(retargeted, t, cal)


def change_priority(
    clocks: CaseClocks,
    policy: SlaPolicy,
    priority: str | None,
    t: dt.datetime,
    cal: Calendar | None,
) -> CaseClocks:
    """Apply the targets of ``priority`` to every clock of the case at ``t``."""
    out = clocks
    for clock in clocks.clocks():
        target = target_for(policy, priority, clock.name)
        if target is not None:
            out = out.replace(change_target(clock, target, t, cal))
    return out


# ---------------------------------------------------------------- reading


def deadline(clock: SlaClock, cal: Calendar | None = None) -> dt.datetime | None:
    """Return the breach instant of the clock (None while paused; kept once stopped).

    ``cal`` is accepted for symmetry; the deadline is computed at each transition.
    """
    del cal
    if clock.pauses > 0:
        return None
    return clock.breached_at or clock.deadline


def state_at(clock: SlaClock, t: dt.datetime) -> tuple[ClockState, bool]:
    """Return ``(state, at_risk)`` of the clock at ``t``.

    The state is ``met`` or ``breached`` once stopped; otherwise ``breached``
    when the breach instant is at or before ``t``, else ``paused`` or ``running``.
    """
    if clock.result is not None:
        return clock.result, clock.at_risk
    settled = _settle(clock, t)
    if settled.breached_at is not None and settled.breached_at <= t:
        return "breached", True
    return ("paused" if settled.pauses else "running"), settled.at_risk


def to_view(clock: SlaClock, t: dt.datetime) -> ClockView:
    """Return the :class:`~casework.contracts.ClockView` of the clock at ``t``."""
    state, at_risk = state_at(clock, t)
    paused = clock.paused_seconds
    if clock.paused_at is not None and clock.stopped_at is None:
        paused += max(0, int((t - clock.paused_at).total_seconds()))
    settled = _settle(clock, t)
    return ClockView(
        name=clock.name,
        target_seconds=clock.target_seconds,
        business=clock.business,
        calendar=clock.calendar,
        started_at=clock.started_at,
        deadline=deadline(clock),
        state=state,
        paused_seconds=paused,
        stopped_at=clock.stopped_at,
        breached_at=settled.breached_at if state == "breached" else None,
        at_risk=at_risk,
        # What the clock counted once stopped, in its basis: the reports' response time.
        elapsed_seconds=clock.elapsed_seconds
        if clock.stopped_at is not None and clock.since is None
        else None,
    )


def case_sla_state(clocks: CaseClocks, t: dt.datetime) -> SlaState:
    """Return the case-level SLA state (``CaseView.sla_state``) at ``t``.

    ``none`` without clocks; ``breached`` if any clock breached; ``met`` when
    every clock is met; ``at_risk`` when a running or paused clock is at risk;
    else ``on_track``.
    """
    states = [state_at(c, t) for c in clocks.clocks()]
    if not states:
        return "none"
    if any(s == "breached" for s, _ in states):
        return "breached"
    if all(s == "met" for s, _ in states):
        return "met"
    if any(risk and s in ("running", "paused") for s, risk in states):
        return "at_risk"
    return "on_track"


# ---------------------------------------------------------------- ladder


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
