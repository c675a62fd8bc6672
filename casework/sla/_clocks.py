"""SLA clocks: start, pause, resume, stop, retarget, and read them (see :mod:`casework.sla`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from casework import businesstime
from casework.contracts import ClockState, ClockView, SlaState
from casework.language.durations import parse_duration
from casework.language.policies import Calendar, SlaPolicy, SlaTarget

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
