"""``casework report serve``: its own Prefect server, every schedule registered, a run served."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from casework.records.db import make_engine, upgrade
from casework.reporting.runs import list_runs
from casework.reporting.specs import REPORTS
from casework.settings import PROJECT_ROOT
from casework.stack import free_port
from tests.processes import alive, children

# A cold Prefect server takes about 15 s to start here, more on a busy machine.
pytestmark = pytest.mark.timeout(300)


def _until(what: str, check: Callable[[], Any], timeout: float, out: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout:.0f}s:\n{out.read_text(errors='replace')}")


def _call(api: httpx.Client, method: str, path: str, body: Any = None) -> Any:
    """One Prefect API call, retried while the server says it is busy, as Prefect's own
    client does (its SQLite database is locked now and then by the scheduler)."""
    for _ in range(20):
        response = api.request(method, path, json=body)
        if response.status_code not in (429, 502, 503):
            break
        time.sleep(0.5)
    assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def test_serve_registers_the_schedules_and_runs_a_report(tmp_path: Path) -> None:
    from tests.reporting import _data

    url = f"sqlite:///{tmp_path / 'records.db'}"
    upgrade(url)
    engine = make_engine(url)
    _data.load(engine)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")} | {
        "PYTHONPATH": str(PROJECT_ROOT),
        "CASEWORK_DATA_DIR": str(tmp_path / "data"),
        "CASEWORK_DATABASE_URL": url,
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # pick the run up at once
    }
    out_path = tmp_path / "serve.out"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "casework.cli.main", "report", "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
            env=env,
        )
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=10)
    try:
        _until(
            "the Prefect server did not come up",
            lambda: "Prefect UI and API at" in out_path.read_text(errors="replace"),
            180,
            out_path,
        )

        def deployments() -> dict[str, Any]:
            found = {d["name"]: d for d in _call(api, "POST", "/deployments/filter", {"limit": 50})}
            return found if len(found) == len(REPORTS) else {}

        registered = _until("the deployments were not registered", deployments, 90, out_path)
        assert sorted(registered) == sorted(f"{name}-scheduled" for name in REPORTS)
        for name, deployment in registered.items():
            (schedule,) = deployment["schedules"]
            spec = REPORTS[name.removesuffix("-scheduled")]
            assert schedule["schedule"]["cron"] == spec.cron
            assert schedule["schedule"]["timezone"] == spec.timezone
        weekly = registered["weekly-regional-scheduled"]
        run = _call(
            api,
            "POST",
            f"/deployments/{weekly['id']}/create_flow_run",
            {"parameters": {"since": "2026-11-23", "until": "2026-11-30"}},
        )

        def finished() -> str | None:
            state = _call(api, "GET", f"/flow_runs/{run['id']}")["state"]["type"]
            return state if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None

        assert _until("the served run did not finish", finished, 120, out_path) == "COMPLETED"
        (recorded,) = list_runs(engine, report="weekly-regional")
        assert recorded.status == "ok"
        assert recorded.directory is not None
        assert sorted(p.name for p in Path(recorded.directory).iterdir()) == [
            "report.csv", "report.html", "report.json"
        ]  # fmt: skip
        assert Path(recorded.directory).is_relative_to(tmp_path / "data")
        started = children(proc.pid)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(60)
    finally:
        api.close()
        engine.dispose()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out_path.read_text(errors="replace")
    assert code in (0, 130), text
    assert "Traceback" not in text
    time.sleep(0.5)
    assert [p for p in started if alive(p)] == []
