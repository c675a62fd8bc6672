"""The Prefect flows, on a temporary Prefect server (``prefect_test_harness``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casework.reporting.runs import get_run
from casework.reporting.specs import REPORTS

# The harness starts a Prefect server once (~15 s, more on a busy machine). The KPI SQL
# is tested on both dialects elsewhere; the flows run on SQLite only, to keep this fast.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """An engine on the (emptied) SQLite records database."""
    from casework.records.db import make_engine

    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded_sqlite(sqlite_engine: Engine) -> Engine:
    """The hand-computed fixture in SQLite."""
    from tests.reporting import _data

    _data.load(sqlite_engine)
    return sqlite_engine


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect server (and API database) for the whole session."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _artifacts(key: str) -> list[dict[str, object]]:
    # Plain HTTP: Prefect 3.8's client sends nulls this server version rejects.
    import httpx
    from prefect.settings import PREFECT_API_URL

    body = {"artifacts": {"key": {"any_": [key]}}, "limit": 10, "offset": 0}
    with httpx.Client(base_url=str(PREFECT_API_URL.value()), timeout=30) as client:
        response = client.post("/artifacts/filter", json=body)
    response.raise_for_status()
    found: list[dict[str, object]] = response.json()
    return found


def test_weekly_regional_flow(
    prefect_server: None, loaded_sqlite: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    from workflows.reports import weekly_regional

    result = weekly_regional(
        since="2026-11-23", until="2026-11-30", out=str(tmp_path), database_url=sqlite_url
    )
    assert result["status"] == "ok"
    assert sorted(Path(f).name for f in result["files"]) == [
        "report.csv", "report.html", "report.json"
    ]  # fmt: skip
    assert all(Path(f).is_file() for f in result["files"])
    run = get_run(loaded_sqlite, result["run_id"])
    assert run is not None
    assert run.status == "ok"
    assert run.report == "weekly-regional"
    summary = _artifacts("weekly-regional-summary")
    assert "Weekly regional review" in str(summary[0]["data"])
    assert _artifacts("weekly-regional-table")[0]["type"] == "table"


def test_digest_flow_records_nothing_to_report(
    prefect_server: None, sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    from workflows.reports import sla_breach_digest

    result = sla_breach_digest(out=str(tmp_path), database_url=sqlite_url)
    assert result["status"] == "nothing_to_report"
    assert result["files"] == []
    run = get_run(sqlite_engine, result["run_id"])
    assert run is not None
    assert run.status == "nothing_to_report"


def test_empty_period_flow(prefect_server: None, sqlite_url: str, tmp_path: Path) -> None:
    from workflows.reports import daily_operations, monthly_management

    for fl in (daily_operations, monthly_management):
        result = fl(
            since="2025-01-01", until="2025-02-01", out=str(tmp_path), database_url=sqlite_url
        )
        assert result["status"] == "empty"
        html = Path(result["files"][0]).read_text()
        assert "Nothing happened in this period" in html


def test_deployments_have_cron_schedules_in_a_time_zone() -> None:
    from workflows.reports import FLOWS, deployments

    deps = {d.name: d for d in deployments()}
    assert set(deps) == {f"{n}-scheduled" for n in REPORTS}
    assert set(FLOWS) == set(REPORTS)
    crons = {}
    for name, dep in deps.items():
        assert dep.schedules is not None
        (schedule,) = dep.schedules
        crons[name] = (schedule.schedule.cron, schedule.schedule.timezone)  # type: ignore[union-attr]
    assert crons == {
        "daily-operations-scheduled": ("0 7 * * *", "Europe/London"),
        "weekly-regional-scheduled": ("0 8 * * 1", "Europe/London"),
        "sla-breach-digest-scheduled": ("0 * * * *", "Europe/London"),
        "monthly-management-scheduled": ("0 8 1 * *", "Europe/London"),
    }
    ny_schedules = deployments("America/New_York")[0].schedules
    assert ny_schedules is not None
    ny = ny_schedules[0].schedule
    assert ny.timezone == "America/New_York"  # type: ignore[union-attr]


def test_importing_the_flows_module_has_no_side_effects() -> None:
    import subprocess
    import sys

    code = (
        "import os, workflows.reports as r; "
        "assert r.FLOWS and 'PREFECT_API_URL' not in os.environ; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_cli_run_with_prefect(
    prefect_server: None,
    loaded_sqlite: Engine,
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from casework.cli.main import main
    from casework.settings import get_settings

    monkeypatch.setenv("CASEWORK_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()

    args = ["report", "run", "daily-operations", "--prefect", "--since", "2026-11-23",
            "--until", "2026-11-24", "--out", str(tmp_path), "--json"]  # fmt: skip
    assert main(args) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["status"] == "ok"
    assert outcome["summary"]["first_response_time.count"] == 1  # C6, Mon 23 15:00
    run = get_run(loaded_sqlite, outcome["run_id"])
    assert run is not None
    assert run.status == "ok"
    monkeypatch.delenv("CASEWORK_DATABASE_URL")
    get_settings.cache_clear()
