"""``casework report run|list`` (without Prefect) and their plain errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casework.cli.main import main


def test_run_then_list(
    loaded: Engine, records_settings: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", "run", "weekly-regional", "--since", "2026-11-23", "--until",
                 "2026-11-30", "--out", str(tmp_path), "--no-prefect", "--json"])  # fmt: skip
    assert code == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["status"] == "ok"
    assert outcome["directory"] == str(tmp_path / "weekly-regional" / outcome["run_id"])
    assert outcome["timings"]["sql_seconds"] > 0

    assert main(["report", "list", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in runs] == [outcome["run_id"]]
    assert runs[0]["directory"] == outcome["directory"]

    assert main(["report", "list"]) == 0
    table = capsys.readouterr().out
    assert "weekly-regional" in table
    assert "ok" in table


def test_run_human_output(
    db_engine: Engine, records_settings: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "run", "sla-breach-digest", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "nothing_to_report" in out
    assert "nothing to report" in out


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["report", "run", "weekly"], "error: report 'weekly' not found", 4),
        (["report", "run", "daily-operations", "--since", "soon"], "--since: 'soon'", 78),
        (["report", "run", "daily-operations", "--timezone", "Nowhere"], "unknown time zone", 78),
        (["report", "list", "--report", "nope"], "report 'nope' not found", 4),
    ],
)
def test_bad_input(
    db_engine: Engine,
    records_settings: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
    code: int,
) -> None:
    assert main(args) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.startswith("error: ")


def test_list_when_empty(
    db_engine: Engine, records_settings: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "list"]) == 0
    assert "No report runs yet" in capsys.readouterr().out


def test_serve_refuses_a_busy_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["report", "serve", "--port", str(port)]) == 78
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
