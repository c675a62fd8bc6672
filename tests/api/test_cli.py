"""``casework api``: options, and a clear error when the port is taken."""

from __future__ import annotations

import socket

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
