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

Clock transitions and readings live in ``_clocks``; the ladder thresholds
over them in ``_ladder``.
"""

from __future__ import annotations

from casework.sla._clocks import (
    CLOCK_NAMES,
    CaseClocks,
    ClockName,
    SlaClock,
    case_sla_state,
    change_priority,
    change_target,
    deadline,
    elapsed,
    open_clocks,
    pause,
    pauses_for,
    resume,
    start_clock,
    state_at,
    stop,
    target_for,
    to_view,
)
from casework.sla._ladder import (
    due_levels,
    level_due_at,
    next_wakeup,
    threshold_at,
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
