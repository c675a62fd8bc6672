"""SLA clocks: start, pause/resume, stop, priority change and views."""

from __future__ import annotations

import datetime as dt

import pytest

from casework import sla
from casework.language.policies import Calendar, SlaPolicy

UTC = dt.UTC
H = 3600


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


CAL = Calendar.model_validate(
    {
        "name": "emea",
        "timezone": "Europe/London",
        "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}],
    }
)
OTHER = CAL.model_copy(update={"name": "amer"})
POLICY = SlaPolicy.model_validate(
    {
        "name": "standard",
        "time": "business",
        "targets": {
            "low": {"first_response": "8bh", "resolution": "5bd"},
            "normal": {"first_response": "4bh", "resolution": "3bd"},
            "high": {"first_response": "2bh", "resolution": "1bd"},
            "urgent": {"first_response": "1bh", "resolution": "4bh"},
        },
        "pause_when_waiting_for": ["customer"],
        "at_risk_percent": 75,
    }
)
CALENDAR_POLICY = POLICY.model_copy(update={"time": "calendar"})
TUE_9 = utc(2026, 12, 1, 9)  # Tuesday, GMT


def resolution(t: dt.datetime = TUE_9, priority: str = "normal") -> sla.SlaClock:
    clock = sla.open_clocks(POLICY, priority, t, CAL).resolution
    assert clock is not None
    return clock


class TestStart:
    def test_business_deadlines(self) -> None:
        clocks = sla.open_clocks(POLICY, "normal", TUE_9, CAL)
        assert clocks.first_response is not None
        assert clocks.resolution is not None
        assert sla.deadline(clocks.first_response) == utc(2026, 12, 1, 13)
        assert sla.deadline(clocks.resolution) == utc(2026, 12, 3, 17)
        assert clocks.resolution.calendar == "emea"
        assert clocks.resolution.business

    def test_target_per_priority(self) -> None:
        assert sla.target_for(POLICY, "urgent", "first_response") == H
        assert sla.target_for(POLICY, "high", "resolution") == 8 * H
        # Unknown or missing priority counts as normal.
        assert sla.target_for(POLICY, None, "first_response") == 4 * H
        assert sla.target_for(POLICY, "weird", "first_response") == 4 * H

    def test_start_out_of_hours(self) -> None:
        # Opened Friday evening: the 4 bh first response is due Monday 13:00.
        clocks = sla.open_clocks(POLICY, "normal", utc(2026, 12, 4, 19), CAL)
        assert clocks.first_response is not None
        assert sla.deadline(clocks.first_response) == utc(2026, 12, 7, 13)

    def test_calendar_time_policy(self) -> None:
        clocks = sla.open_clocks(CALENDAR_POLICY, "normal", TUE_9, CAL)
        assert clocks.first_response is not None
        assert not clocks.first_response.business
        assert clocks.first_response.calendar is None
        # 4bh is read as 4 hours of calendar time.
        assert sla.deadline(clocks.first_response) == utc(2026, 12, 1, 13)
        assert clocks.resolution is not None
        assert sla.deadline(clocks.resolution) == TUE_9 + dt.timedelta(days=1)

    def test_business_without_calendar(self) -> None:
        clocks = sla.open_clocks(POLICY, "normal", utc(2026, 12, 4, 19), None)
        assert clocks.first_response is not None
        assert sla.deadline(clocks.first_response) == utc(2026, 12, 4, 23)

    def test_bad_target(self) -> None:
        with pytest.raises(ValueError, match="target must be positive"):
            sla.start_clock("resolution", 0, TUE_9, CAL)

    def test_wrong_calendar(self) -> None:
        clock = resolution()
        with pytest.raises(ValueError, match="counts in calendar 'emea'"):
            sla.pause(clock, TUE_9, OTHER)
        with pytest.raises(ValueError, match="got no calendar"):
            sla.elapsed(clock, TUE_9, None)


class TestStates:
    def test_running_at_risk_breached(self) -> None:
        clock = resolution()  # 24 bh: at risk at 18 bh = Thu 11:00, breach Thu 17:00
        assert clock.at_risk_at == utc(2026, 12, 3, 11)
        assert sla.state_at(clock, utc(2026, 12, 3, 10, 59)) == ("running", False)
        assert sla.state_at(clock, utc(2026, 12, 3, 11)) == ("running", True)
        assert sla.state_at(clock, utc(2026, 12, 3, 16, 59, 59)) == ("running", True)
        # The breach is at the exact instant elapsed == target.
        assert sla.state_at(clock, utc(2026, 12, 3, 17)) == ("breached", True)

    def test_stop_exactly_at_deadline_is_met(self) -> None:
        clock = resolution()
        met = sla.stop(clock, utc(2026, 12, 3, 17), CAL)
        assert met.result == "met"
        assert met.breached_at is None
        assert sla.state_at(met, utc(2027, 1, 1)) == ("met", True)

    def test_stop_after_deadline_is_breached(self) -> None:
        clock = resolution()
        late = sla.stop(clock, utc(2026, 12, 3, 17, 0, 1), CAL)
        assert late.result == "breached"
        assert late.breached_at == utc(2026, 12, 3, 17)

    def test_stop_out_of_hours_after_deadline_is_breached(self) -> None:
        # No business time passes after Thu 17:00, but the deadline instant is behind.
        late = sla.stop(resolution(), utc(2026, 12, 4, 2), CAL)
        assert late.result == "breached"

    def test_stop_early_not_at_risk(self) -> None:
        done = sla.stop(resolution(), utc(2026, 12, 1, 12), CAL)
        assert done.result == "met"
        assert not done.at_risk
        assert done.elapsed_seconds == 3 * H
        assert sla.stop(done, utc(2026, 12, 9), CAL) is done

    def test_view(self) -> None:
        clock = resolution()
        view = sla.to_view(clock, utc(2026, 12, 3, 18))
        assert view.state == "breached"
        assert view.breached_at == utc(2026, 12, 3, 17)
        assert view.deadline == utc(2026, 12, 3, 17)
        assert view.target_seconds == 24 * H
        assert view.calendar == "emea"
        running = sla.to_view(clock, TUE_9)
        assert running.state == "running"
        assert running.breached_at is None

    def test_case_state(self) -> None:
        clocks = sla.open_clocks(POLICY, "normal", TUE_9, CAL)
        assert sla.case_sla_state(sla.CaseClocks(), TUE_9) == "none"
        assert sla.case_sla_state(clocks, TUE_9) == "on_track"
        assert sla.case_sla_state(clocks, utc(2026, 12, 1, 12)) == "at_risk"  # 3 of 4 bh
        assert sla.case_sla_state(clocks, utc(2026, 12, 1, 13)) == "breached"
        assert clocks.first_response is not None
        fr = sla.stop(clocks.first_response, utc(2026, 12, 1, 10), CAL)
        clocks = clocks.replace(fr)
        assert sla.case_sla_state(clocks, utc(2026, 12, 1, 13)) == "on_track"
        assert clocks.resolution is not None
        clocks = clocks.replace(sla.stop(clocks.resolution, utc(2026, 12, 2), CAL))
        assert sla.case_sla_state(clocks, utc(2026, 12, 9)) == "met"


class TestPause:
    def test_paused_time_does_not_count(self) -> None:
        clock = sla.pause(resolution(), utc(2026, 12, 1, 11), CAL)  # 2 bh counted
        assert sla.deadline(clock) is None
        assert sla.state_at(clock, utc(2026, 12, 10)) == ("paused", False)
        assert sla.elapsed(clock, utc(2026, 12, 10), CAL) == 2 * H
        resumed = sla.resume(clock, utc(2026, 12, 7, 9), CAL)  # Monday
        # 22 bh left: Mon 8 + Tue 8 + Wed 6 -> Wed 15:00.
        assert sla.deadline(resumed) == utc(2026, 12, 9, 15)
        view = sla.to_view(resumed, utc(2026, 12, 7, 10))
        assert view.paused_seconds == int(
            (utc(2026, 12, 7, 9) - utc(2026, 12, 1, 11)).total_seconds()
        )

    def test_ongoing_pause_in_view(self) -> None:
        clock = sla.pause(resolution(), utc(2026, 12, 1, 11), CAL)
        view = sla.to_view(clock, utc(2026, 12, 1, 12))
        assert view.state == "paused"
        assert view.deadline is None
        assert view.paused_seconds == H

    def test_nested_pauses(self) -> None:
        clock = sla.pause(resolution(), utc(2026, 12, 1, 10), CAL)
        clock = sla.pause(clock, utc(2026, 12, 1, 11), CAL)
        clock = sla.resume(clock, utc(2026, 12, 1, 12), CAL)
        assert sla.state_at(clock, utc(2026, 12, 1, 12))[0] == "paused"
        clock = sla.resume(clock, utc(2026, 12, 1, 13), CAL)
        assert sla.state_at(clock, utc(2026, 12, 1, 13))[0] == "running"
        assert sla.elapsed(clock, utc(2026, 12, 1, 14), CAL) == 2 * H

    def test_resume_when_running_is_noop(self) -> None:
        clock = resolution()
        assert sla.resume(clock, utc(2026, 12, 1, 10), CAL) is clock

    def test_breach_before_pause_sticks(self) -> None:
        clock = sla.pause(resolution(), utc(2026, 12, 4, 10), CAL)
        assert clock.breached_at == utc(2026, 12, 3, 17)
        assert sla.state_at(clock, utc(2026, 12, 4, 11)) == ("breached", True)
        stopped = sla.stop(clock, utc(2026, 12, 5), CAL)
        assert stopped.result == "breached"

    def test_stop_while_paused(self) -> None:
        clock = sla.pause(resolution(), utc(2026, 12, 1, 11), CAL)
        stopped = sla.stop(clock, utc(2026, 12, 30), CAL)
        assert stopped.result == "met"
        assert stopped.elapsed_seconds == 2 * H
        assert stopped.pauses == 0

    def test_pauses_for(self) -> None:
        assert sla.pauses_for(POLICY, "customer")
        assert not sla.pauses_for(POLICY, "internal")
        assert not sla.pauses_for(POLICY, None)


class TestPriorityChange:
    def test_elapsed_kept_new_target(self) -> None:
        clocks = sla.open_clocks(POLICY, "normal", TUE_9, CAL)
        # At 11:00 (2 bh elapsed) the case becomes high: resolution 8 bh -> 6 left -> 17:00.
        raised = sla.change_priority(clocks, POLICY, "high", utc(2026, 12, 1, 11), CAL)
        assert raised.resolution is not None
        assert raised.resolution.target_seconds == 8 * H
        assert sla.deadline(raised.resolution) == utc(2026, 12, 1, 17)
        assert raised.first_response is not None
        assert sla.deadline(raised.first_response) == utc(2026, 12, 1, 11)
        assert sla.state_at(raised.first_response, utc(2026, 12, 1, 11))[0] == "breached"

    def test_past_target_breaches_at_change(self) -> None:
        clock = resolution()
        changed = sla.change_target(clock, 4 * H, utc(2026, 12, 2, 10), CAL)
        assert changed.breached_at == utc(2026, 12, 2, 10)
        assert sla.deadline(changed) == utc(2026, 12, 2, 10)

    def test_lowering_after_breach_keeps_breach(self) -> None:
        clock = sla.change_target(resolution(), 4 * H, utc(2026, 12, 2, 10), CAL)
        lowered = sla.change_target(clock, 40 * H, utc(2026, 12, 2, 11), CAL)
        assert lowered.breached_at == utc(2026, 12, 2, 10)
        assert sla.state_at(lowered, utc(2026, 12, 2, 11))[0] == "breached"

    def test_lowering_clears_at_risk(self) -> None:
        clock = resolution()
        at_risk = sla.pause(clock, utc(2026, 12, 3, 12), CAL)
        assert at_risk.at_risk
        lowered = sla.change_target(at_risk, 40 * H, utc(2026, 12, 3, 12), CAL)
        assert not lowered.at_risk
        assert sla.state_at(lowered, utc(2026, 12, 3, 12)) == ("paused", False)

    def test_change_while_paused(self) -> None:
        clock = sla.pause(resolution(), utc(2026, 12, 1, 11), CAL)
        changed = sla.change_target(clock, 4 * H, utc(2026, 12, 2, 11), CAL)
        assert sla.deadline(changed) is None
        resumed = sla.resume(changed, utc(2026, 12, 3, 9), CAL)
        assert sla.deadline(resumed) == utc(2026, 12, 3, 11)

    def test_stopped_is_unchanged(self) -> None:
        stopped = sla.stop(resolution(), utc(2026, 12, 1, 10), CAL)
        assert sla.change_target(stopped, H, utc(2026, 12, 1, 11), CAL) is stopped


def test_state_survives_serialisation() -> None:
    clocks = sla.open_clocks(POLICY, "high", TUE_9, CAL)
    clocks = clocks.replace(sla.pause(clocks.resolution, utc(2026, 12, 1, 10), CAL))  # type: ignore[arg-type]
    again = sla.CaseClocks.model_validate_json(clocks.model_dump_json())
    assert again == clocks
    assert sla.CaseClocks.model_validate(clocks.model_dump(mode="json")) == clocks
