"""Starting the dev server: retries after a lost port race, and the environment it runs with."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework import _stack_server
from casework._stack_server import (
    GOMAXPROCS,
    START_ATTEMPTS,
    DevServer,
    ServerOptions,
    free_port,
    server_env,
    tuned_go_max_procs,
)
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


def test_the_tuned_server_leaves_one_core_to_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_stack_server, "tuned_go_max_procs", lambda: 3)
    env = server_env(ServerOptions(tuned=True), {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "GOMAXPROCS": "3"}


def test_an_untuned_server_keeps_gos_default() -> None:
    assert GOMAXPROCS not in server_env(ServerOptions(tuned=False), {})


def test_gomaxprocs_from_the_option_or_the_environment() -> None:
    assert server_env(ServerOptions(tuned=False, go_max_procs=2), {})[GOMAXPROCS] == "2"
    # an operator's own setting wins over both
    assert server_env(ServerOptions(go_max_procs=2), {GOMAXPROCS: "4"})[GOMAXPROCS] == "4"


def test_at_least_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_stack_server.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert tuned_go_max_procs() == 1
    monkeypatch.setattr(_stack_server.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert tuned_go_max_procs() == 1
    monkeypatch.setattr(
        _stack_server.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False
    )
    assert tuned_go_max_procs() == 7
