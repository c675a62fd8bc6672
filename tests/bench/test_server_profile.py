"""``bench/_gosym.py`` names the stripped ``temporal`` binary's functions; the profile's
classes take the first match."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from casework.binaries import temporal_cli
from casework.settings import PROJECT_ROOT
from tests.bench.test_baselines import _module


@pytest.fixture(scope="module")
def bench_path() -> Iterator[None]:
    """``bench/`` importable, as when a benchmark script runs."""
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    yield
    sys.path.remove(str(PROJECT_ROOT / "bench"))


def test_functions_of_the_temporal_binary_are_named(bench_path: None) -> None:
    gosym = _module("_gosym")
    syms = gosym.GoSymbols(temporal_cli().resolve())
    assert len(syms) > 10_000
    entry = syms.address_of("runtime.mallocgc")
    assert syms.name(entry) == "runtime.mallocgc"
    assert syms.name(entry + 1) == "runtime.mallocgc"
    assert syms.name(0) == "?"


def test_a_file_that_is_not_a_go_binary_is_refused(bench_path: None, tmp_path: Path) -> None:
    gosym = _module("_gosym")
    (tmp_path / "x").write_bytes(b"not an ELF file at all")
    with pytest.raises(gosym.GoSymbolError, match="ELF"):
        gosym.GoSymbols(tmp_path / "x")


def test_samples_are_classified_by_the_first_matching_entry(bench_path: None) -> None:
    profile: ModuleType = _module("server_profile")
    stack = [
        "modernc.org/sqlite/lib._sqlite3VdbeExec",
        "go.temporal.io/server/service/history.(*historyEngineImpl).RespondWorkflowTaskCompleted",
        "google.golang.org/grpc.(*Server).handleStream",
        "runtime.goexit",
    ]
    assert profile.classify(stack, profile.OPERATIONS, leaf=False).startswith(
        "workflow task completed"
    )
    assert profile.classify(stack, profile.CODE, leaf=True).startswith("SQLite")
    assert profile.classify(["main.main"], profile.CODE, leaf=True) == "other"
