"""Running reports without Prefect: files, report_runs rows, empty periods, the digest."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casework.errors import ConfigError, NotFoundError
from casework.reporting.runner import run_report
from casework.reporting.runs import get_run, list_runs
from tests.reporting._data import t


def test_weekly_regional_writes_files_and_records_the_run(loaded: Engine, tmp_path: Path) -> None:
    outcome = run_report(
        "weekly-regional", engine=loaded, since="2026-11-23", until="2026-11-30", out=tmp_path,
        now=t(30, 8),
    )  # fmt: skip
    assert outcome.status == "ok"
    assert outcome.directory == tmp_path / "weekly-regional" / outcome.run_id
    names = sorted(p.name for p in outcome.files)
    assert names == ["report.csv", "report.html", "report.json"]
    data = json.loads((outcome.directory / "report.json").read_text())
    assert data["summary"]["first_response_time"] == pytest.approx(3600)
    regions = next(s for s in data["sections"] if s["title"] == "KPIs by region")
    frt = next(k for k in regions["kpis"] if k["name"] == "first_response_time")
    assert set(frt["current"]) == {"north", "east"}
    rows = list(csv.DictReader((outcome.directory / "report.csv").read_text().splitlines()))
    assert {"section", "kpi", "group", "measure", "current", "previous"} <= set(rows[0])
    assert any(
        r["kpi"] == "csat" and r["measure"] == "csat" and r["current"] == "0.5" for r in rows
    )
    run = get_run(loaded, outcome.run_id)
    assert run is not None
    assert run.status == "ok"
    assert run.period_start == t(23, 0)
    assert run.files == [str(p) for p in outcome.files]
    assert run.summary["sla_compliance"] == pytest.approx(5 / 7)
    assert [r.id for r in list_runs(loaded, report="weekly-regional")] == [outcome.run_id]


def test_html_is_self_contained(loaded: Engine, tmp_path: Path) -> None:
    outcome = run_report("monthly-management", engine=loaded, since="2026-11-01",
                         until="2026-12-01", out=tmp_path, now=t(30, 8))  # fmt: skip
    html = (outcome.files[0]).read_text()
    assert html.startswith("<!doctype html>")
    assert "<svg" in html
    assert "<polyline" in html
    assert "<script" not in html
    assert not re.search(r"(src|href)=\"https?://", html)
    assert "Policy-change approval cycle time" in html
    assert "Definitions" in html


def test_region_filter(loaded: Engine, tmp_path: Path) -> None:
    outcome = run_report("daily-operations", engine=loaded, since="2026-11-23",
                         until="2026-11-30", region="east", out=tmp_path, now=t(30, 8))  # fmt: skip
    assert outcome.summary["first_response_time.count"] == 2
    assert outcome.summary["resolution_time"] == pytest.approx(187200, abs=1)


def test_empty_period_says_so(loaded: Engine, tmp_path: Path) -> None:
    outcome = run_report("daily-operations", engine=loaded, since="2025-01-01",
                         until="2025-01-02", out=tmp_path)  # fmt: skip
    assert outcome.status == "empty"
    html = outcome.files[0].read_text()
    assert "Nothing happened in this period" in html
    run = get_run(loaded, outcome.run_id)
    assert run is not None
    assert run.status == "empty"


def test_empty_database(db_engine: Engine, tmp_path: Path) -> None:
    outcome = run_report("weekly-regional", engine=db_engine, out=tmp_path)
    assert outcome.status == "empty"
    assert len(outcome.files) == 3


def test_breach_digest_lists_breaches(loaded: Engine, tmp_path: Path) -> None:
    outcome = run_report("sla-breach-digest", engine=loaded, out=tmp_path, now=t(30, 0, 30))
    assert outcome.status == "ok"
    assert (outcome.summary["breached"], outcome.summary["at_risk"]) == (1, 1)
    assert outcome.directory is not None
    rows = list(csv.DictReader((outcome.directory / "breaches.csv").read_text().splitlines()))
    assert [r["case_id"] for r in rows] == ["C4", "C2"]


def test_breach_digest_with_nothing_to_report(db_engine: Engine, tmp_path: Path) -> None:
    outcome = run_report("sla-breach-digest", engine=db_engine, out=tmp_path)
    assert outcome.status == "nothing_to_report"
    assert outcome.files == []
    assert not (tmp_path / "sla-breach-digest").exists()
    run = get_run(db_engine, outcome.run_id)
    assert run is not None
    assert run.status == "nothing_to_report"
    assert run.finished_at is not None


def test_bad_input_is_a_clear_error(db_engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="report 'weekly' not found"):
        run_report("weekly", engine=db_engine)
    with pytest.raises(ConfigError, match="--since: 'yesterday' is not a date"):
        run_report("daily-operations", engine=db_engine, since="yesterday")
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Base'"):
        run_report("daily-operations", engine=db_engine, timezone="Mars/Base")
    with pytest.raises(ConfigError, match="before it starts"):
        run_report("daily-operations", engine=db_engine, since="2026-11-02", until="2026-11-01")


def test_default_periods_follow_the_clock(db_engine: Engine, tmp_path: Path) -> None:
    now = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)  # a Tuesday
    daily = run_report("daily-operations", engine=db_engine, out=tmp_path, now=now)
    assert (daily.period.start, daily.period.end) == (t(30, 0), t(1, 0, month=12))
    weekly = run_report("weekly-regional", engine=db_engine, out=tmp_path, now=now)
    assert (weekly.period.start, weekly.period.end) == (t(23, 0), t(30, 0))
    monthly = run_report("monthly-management", engine=db_engine, out=tmp_path, now=now)
    assert (monthly.period.start, monthly.period.end) == (t(1, 0), t(1, 0, month=12))
