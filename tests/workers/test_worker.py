"""The worker starts during a records outage, but not on a stale schema; its runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from casework.errors import EngineUnavailableError, RecordsError
from casework.records.db import dispose_cached_engines
from casework.settings import Settings, get_settings
from workers.worker import build_worker, run_worker, workflow_runner


@pytest.fixture
def settings_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CASEWORK_TEMPORAL_ADDRESS", "127.0.0.1:1")  # nothing listens there
    yield
    get_settings.cache_clear()
    dispose_cached_engines()


def _settings(monkeypatch: pytest.MonkeyPatch, url: str) -> Settings:
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    get_settings.cache_clear()
    return get_settings()


@pytest.mark.usefixtures("settings_for")
async def test_unreachable_records_do_not_stop_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, "postgresql+psycopg://postgres@127.0.0.1:1/none")
    # it gets past the records check and fails only on the (absent) Temporal server
    with pytest.raises(EngineUnavailableError):
        await run_worker(settings)


@pytest.mark.usefixtures("settings_for")
async def test_unmigrated_records_stop_the_worker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = _settings(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(RecordsError, match="casework db upgrade"):
        await run_worker(settings)


def test_workers_run_unsandboxed_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEWORK_WORKER_SANDBOX")
    assert Settings().worker_sandbox is False
    assert isinstance(workflow_runner(False).inner, UnsandboxedWorkflowRunner)
    monkeypatch.setenv("CASEWORK_WORKER_SANDBOX", "true")
    assert Settings().worker_sandbox is True
    assert isinstance(workflow_runner(True).inner, SandboxedWorkflowRunner)


async def test_the_worker_cache_holds_the_configured_cases(
    time_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEWORK_WORKER_CACHED_CASES", "7")
    worker = build_worker(time_env.client, Settings(), deploy=False)
    assert worker.config()["max_cached_workflows"] == 7


def test_the_startup_heap_is_frozen_out_of_the_collector() -> None:
    import gc

    from workers.worker import freeze_startup_heap

    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
