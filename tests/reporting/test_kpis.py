"""Every KPI against the hand-computed fixture in ``_data`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from casework.reporting import periods
from casework.reporting.kpis import Filters, KpiContext, KpiOptions, breach_list, compute
from tests.reporting._data import WEEK, t


def kpi(engine: Engine, name: str, **kw: object) -> dict[str, dict[str, float | int | None]]:
    with engine.connect() as conn:
        return compute(conn, name, KpiContext(period=WEEK, **kw), compare=False).current  # type: ignore[arg-type]


def test_first_response_time_uses_the_clock_basis(loaded: Engine) -> None:
    # C1 7200 business s (18 h calendar), C2 3600 (pause removed), C6 3600 (calendar clock).
    got = kpi(loaded, "first_response_time")["all"]
    assert got["count"] == 3
    assert got["median"] == pytest.approx(3600, abs=0.01)
    assert got["p90"] == pytest.approx(3600 + 0.8 * 3600, abs=0.01)
    assert got["mean"] == pytest.approx(4800, abs=0.01)


def test_first_response_time_by_region_and_previous_period(loaded: Engine) -> None:
    with loaded.connect() as conn:
        result = compute(conn, "first_response_time", KpiContext(period=WEEK, by="region"))
    assert result.current["north"]["median"] == pytest.approx(7200)
    assert result.current["east"]["count"] == 2
    assert result.previous is not None
    assert result.previous["north"] == {"count": 1, "mean": 18000, "median": 18000, "p90": 18000}


def test_resolution_time(loaded: Engine) -> None:
    got = kpi(loaded, "resolution_time")["all"]
    assert got["count"] == 5
    assert got["median"] == pytest.approx(345900, abs=0.5)
    assert got["p90"] == pytest.approx(687600 + 0.6 * (961200 - 687600), abs=0.5)
    assert got["mean"] == pytest.approx(468060, abs=0.5)
    complaints = kpi(loaded, "resolution_time", filters=Filters(process="complaint"))["all"]
    assert complaints["median"] == pytest.approx(187200, abs=0.5)
    assert complaints["p90"] == pytest.approx(187200 + 0.8 * 500400, abs=0.5)
    assert complaints["mean"] == pytest.approx(344400, abs=0.5)


def test_sla_compliance_per_metric_and_priority(loaded: Engine) -> None:
    got = kpi(loaded, "sla_compliance")["all"]
    assert (got["met"], got["breached"]) == (5, 2)
    assert got["compliance"] == pytest.approx(5 / 7)
    assert got["first_response_compliance"] == pytest.approx(0.75)
    assert got["resolution_compliance"] == pytest.approx(2 / 3)
    by_priority = kpi(loaded, "sla_compliance", by="priority")
    assert {p: m["compliance"] for p, m in by_priority.items()} == pytest.approx(
        {"high": 2 / 3, "normal": 0.5, "low": 1.0}
    )
    assert by_priority["low"]["resolution_compliance"] == 1.0
    assert by_priority["normal"]["resolution_compliance"] is None  # C2's clock still running


def test_sla_compliance_previous_period(loaded: Engine) -> None:
    with loaded.connect() as conn:
        result = compute(conn, "sla_compliance", KpiContext(period=WEEK))
    assert result.previous is not None
    assert result.previous["all"]["compliance"] == 0.0
    assert result.previous["all"]["breached"] == 1


def test_first_contact_resolution(loaded: Engine) -> None:
    # Resolved: C1 (FCR), C3 (two tasks, reopened), C6 (reopened), P1 (two approvals), O1.
    assert kpi(loaded, "first_contact_resolution")["all"] == {
        "resolved": 5, "fcr": 1, "rate": pytest.approx(0.2)
    }  # fmt: skip
    complaints = kpi(loaded, "first_contact_resolution", filters=Filters(process="complaint"))
    assert complaints["all"]["rate"] == pytest.approx(1 / 3)


def test_reopen_rate_window(loaded: Engine) -> None:
    # C3 (follow-up case C4 2 days later) and C6 (case_reopened event); C8 is 9 days after C1.
    got = kpi(loaded, "reopen_rate")["all"]
    assert (got["resolved"], got["reopened"], got["days"]) == (5, 2, 7)
    assert got["rate"] == pytest.approx(0.4)
    wide = kpi(loaded, "reopen_rate", options=KpiOptions(reopen_days=10))["all"]
    assert wide["reopened"] == 3


def test_escalation_rate_and_levels(loaded: Engine) -> None:
    got = kpi(loaded, "escalation")["all"]
    assert got == {
        "opened": 11, "escalated": 2, "rate": pytest.approx(2 / 11), "max_level": 2,
        "level_1": 1, "level_2": 1,
    }  # fmt: skip
    by_process = kpi(loaded, "escalation", by="process")
    assert by_process["complaint"]["rate"] == pytest.approx(2 / 6)
    assert by_process["customer-feedback"]["escalated"] == 0


def test_backlog_at_period_end_with_aging(loaded: Engine) -> None:
    got = kpi(loaded, "backlog")["all"]
    assert got == {
        "total": 6, "age_lt_1d": 1, "age_1_3d": 1, "age_3_7d": 3, "age_gt_7d": 1,
        "breached": 1, "at_risk": 1, "oldest_days": pytest.approx(19.5),
    }  # fmt: skip
    by_region = kpi(loaded, "backlog", by="region")
    assert by_region["north"]["total"] == 1
    assert by_region["east"]["total"] == 5


def test_backlog_at_an_instant(loaded: Engine) -> None:
    # At Tue 24 09:30: C1, C5, C6, O1 open; C3 resolved 09:00, C7 cancelled 09:00, P1 09:05.
    got = kpi(loaded, "backlog", at=t(24, 9, 30))["all"]
    assert got["total"] == 4
    with loaded.connect() as conn:
        result = compute(conn, "backlog", KpiContext(period=WEEK))
    assert result.previous is not None
    assert result.previous["all"]["total"] == 4  # at Mon 23 00:00: C3, C5, P1, O1


def test_csat_by_subject_case(loaded: Engine) -> None:
    got = kpi(loaded, "csat")["all"]
    assert got == {"answered": 2, "satisfied": 1, "csat": 0.5, "mean_score": 3.5}
    assert kpi(loaded, "csat", filters=Filters(region="east"))["all"]["answered"] == 0


def test_survey_response_rate(loaded: Engine) -> None:
    got = kpi(loaded, "survey_response_rate")["all"]
    assert (got["sent"], got["answered"]) == (3, 2)
    assert got["rate"] == pytest.approx(2 / 3)
    by_region = kpi(loaded, "survey_response_rate", by="region")
    assert by_region["north"]["rate"] == 1.0
    assert by_region["east"]["rate"] == 0.0


def test_approvals_cycle_time(loaded: Engine) -> None:
    got = kpi(loaded, "approvals_cycle_time")["all"]
    assert got["count"] == 2
    assert (got["approved"], got["rejected"]) == (1, 1)
    assert got["median"] == pytest.approx(183600, abs=0.5)
    assert got["p90"] == pytest.approx(21600 + 0.9 * 324000, abs=0.5)
    by_region = kpi(loaded, "approvals_cycle_time", by="region")
    assert by_region["north"]["approved"] == 1
    assert by_region["east"]["median"] == pytest.approx(21600, abs=0.5)


def test_onboarding_progress(loaded: Engine) -> None:
    got = kpi(loaded, "onboarding_progress")["all"]
    assert got["modules_done"] == 2
    assert (got["assessments_taken"], got["assessments_passed"]) == (2, 1)
    assert got["in_progress"] == 1
    assert got["signed_off"] == 1
    assert got["signoff_median"] == pytest.approx(961200, abs=0.5)


def test_yesterday_differs_between_london_and_new_york(loaded: Engine) -> None:
    now = t(25, 3)  # 03:00 in London, 22:00 on the 24th in New York
    london = periods.yesterday("Europe/London", now)
    new_york = periods.yesterday("America/New_York", now)
    assert (london.start, london.end) == (t(24, 0), t(25, 0))
    assert (new_york.start, new_york.end) == (t(23, 5), t(24, 5))
    with loaded.connect() as conn:
        ldn = compute(conn, "first_response_time", KpiContext(period=london), compare=False)
        nyc = compute(conn, "first_response_time", KpiContext(period=new_york), compare=False)
    assert ldn.current["all"]["median"] == pytest.approx(7200)  # C1, answered Tue 10:00
    assert nyc.current["all"]["median"] == pytest.approx(3600)  # C6, answered Mon 15:00 UTC


def test_breach_list(loaded: Engine) -> None:
    with loaded.connect() as conn:
        rows = breach_list(conn, KpiContext(period=WEEK))
    assert [(r["case_id"], r["clock"], r["sla"]) for r in rows] == [
        ("C4", "first_response", "breached"),
        ("C2", "resolution", "at_risk"),
    ]


def test_empty_period_gives_zero_counts(loaded: Engine) -> None:
    empty = periods.Period(
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 1, 2, tzinfo=dt.UTC)
    )
    with loaded.connect() as conn:
        for name in ("first_response_time", "sla_compliance", "csat", "escalation"):
            result = compute(conn, name, KpiContext(period=empty))
            assert result.is_empty()
            assert result.value() in (None, 0)
