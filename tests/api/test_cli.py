"""``casework api``: options, and a clear error when the port is taken."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from casework.cli.main import main


def test_api_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--host" in out
    assert "--port" in out


def test_api_port_in_use_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["api", "--host", "127.0.0.1", "--port", str(port)])
    assert code == 78
    err = capsys.readouterr().err
    assert f"error: the API did not start on 127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_api_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api", "--port", "70000"]) == 2


def test_api_serves_until_interrupted(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "CASEWORK_DATA_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "casework.cli.main", "api", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert response.json()["status"] == "ok"
        denied = httpx.get(f"http://127.0.0.1:{port}/cases", timeout=5)
        assert denied.status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out.decode()
    assert b"Traceback" not in out
