"""``casework up`` starts the whole stack, answers, and Ctrl-C stops everything it started."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from casework.settings import PROJECT_ROOT
from casework.stack import free_port
from tests.processes import alive, children

pytestmark = pytest.mark.devserver


def _get_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as resp:
        status: int = resp.status
        return status


async def test_up_answers_and_sigint_stops_everything(tmp_path: Path) -> None:
    from casework.client import connect
    from casework.settings import Settings

    port, ui, api, reports = free_port(), free_port(), free_port(), free_port()
    out = (tmp_path / "up.out").open("wb")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "COLUMNS": "200"}
    proc = subprocess.Popen(  # noqa: ASYNC220 - returns at once
        [
            sys.executable,
            "-m",
            "casework.cli.main",
            "up",
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            str(port),
            "--ui-port",
            str(ui),
            "--api-port",
            str(api),
            "--reports-port",
            str(reports),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=PROJECT_ROOT,
        env=env,
    )
    text = ""
    try:
        deadline = time.monotonic() + 90
        while "casework is up" not in text:
            assert proc.poll() is None, f"casework up exited early:\n{text}"
            assert time.monotonic() < deadline, f"casework up did not come up:\n{text}"
            await asyncio.sleep(0.3)
            text = (tmp_path / "up.out").read_text(errors="replace")
        for what in ("Temporal gRPC", "Temporal Web UI", "HTTP API", "Records DB", "Data dir"):
            assert what in text
        client = await connect(Settings(temporal_address=f"127.0.0.1:{port}"))
        assert await client.workflow_service.get_system_info(GetSystemInfoRequest()) is not None
        assert await asyncio.to_thread(_get_status, f"http://127.0.0.1:{api}/healthz") == 200
        started = children(proc.pid)
        assert started, "casework up started no child process"
        proc.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(proc.wait, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.close()
    text = (tmp_path / "up.out").read_text(errors="replace")
    assert code == 0, text
    assert "Traceback" not in text
    assert "stopped." in text
    await asyncio.sleep(0.5)
    assert [p for p in started if alive(p)] == []


def test_up_on_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = subprocess.run(
            [
                sys.executable, "-m", "casework.cli.main", "up", "--data-dir", str(tmp_path),
                "--port", str(port), "--no-api", "--no-reports",
            ],
            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )  # fmt: skip
    assert res.returncode == 78, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: port {port} on 127.0.0.1 is already in use "
        "(hint: stop the other Temporal server or pass --port)"
    ]
    assert "Traceback" not in res.stderr
