"""Starting the dev server: a start that loses one of its random ports is tried again."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework import _stack_server
from casework._stack_server import START_ATTEMPTS, DevServer, ServerOptions, free_port
from casework.errors import EngineUnavailableError


def _failing_server(monkeypatch: pytest.MonkeyPatch, calls: Path, last_words: str) -> None:
    script = f'echo start >> "{calls}"; echo "{last_words}"; exit 1'
    monkeypatch.setattr(_stack_server, "server_command", lambda opts: ["sh", "-c", script])


async def test_a_port_taken_meanwhile_is_tried_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    words = "failed listening for HTTP API on 127.0.0.1:34169: bind: address already in use"
    _failing_server(monkeypatch, calls, words)
    server = DevServer(ServerOptions(port=free_port(), log_file=tmp_path / "temporal.log"))
    with pytest.raises(EngineUnavailableError, match="exited with status 1"):
        await server.start(timeout=10)
    assert calls.read_text().count("start") == START_ATTEMPTS


async def test_other_failures_are_not_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    _failing_server(monkeypatch, calls, "unable to open database file")
    server = DevServer(ServerOptions(port=free_port(), log_file=tmp_path / "temporal.log"))
    with pytest.raises(EngineUnavailableError):
        await server.start(timeout=10)
    assert calls.read_text().count("start") == 1
