"""A casework runtime on the time-skipping server for the case/task CLI tests."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from casework.cli.main import main
from casework.converter import DATA_CONVERTER
from casework.language.compiler import load_plans
from casework.language.plan import Plan
from casework.records.db import dispose_cached_engines, make_engine
from casework.settings import PROJECT_ROOT, get_settings
from workers.worker import build_worker

TEST_DEFINITION = Path(__file__).with_name("_cli_test.yaml")


@dataclass
class Result:
    """What one CLI run printed and returned."""

    code: int
    out: str
    err: str


@dataclass
class Runtime:
    """The pieces a CLI test uses."""

    engine: Engine
    capsys: pytest.CaptureFixture[str]
    client: Client
    plans: dict[str, Plan]

    async def cli(self, *args: str) -> Result:
        """Run ``casework ARGS`` (in a thread: the CLI runs its own event loop)."""
        self.capsys.readouterr()
        code = await asyncio.to_thread(main, list(args))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


@asynccontextmanager
async def runtime(
    time_env: WorkflowEnvironment,
    task_queue: str,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> AsyncIterator[Runtime]:
    """Point the CLI at the test server and run a worker for the test's task queue."""
    defs = tmp_path / "definitions"
    defs.mkdir()
    for f in (PROJECT_ROOT / "definitions").glob("*.yaml"):
        shutil.copy(f, defs / f.name)
    shutil.copy(TEST_DEFINITION, defs / "cli-test.yaml")
    target = time_env.client.service_client.config.target_host
    for key, value in {
        "CASEWORK_DEFINITIONS_DIR": str(defs),
        "CASEWORK_TEMPORAL_ADDRESS": target,
        "CASEWORK_TEMPORAL_NAMESPACE": time_env.client.namespace,
        "CASEWORK_TASK_QUEUE": task_queue,
        "CASEWORK_DATABASE_URL": sqlite_url,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CASEWORK_USER", raising=False)
    get_settings.cache_clear()
    dispose_cached_engines()
    settings = get_settings()
    plans = load_plans(settings.definitions_dir, settings.policies_dir)
    engine = make_engine(sqlite_url)
    config = time_env.client.config()
    config["data_converter"] = DATA_CONVERTER
    client = Client(**config)
    worker = build_worker(client, settings, plans, engine=engine)
    try:
        async with worker:
            yield Runtime(engine, capsys, client, {p.process: p for p in plans})
    finally:
        from activities._db import set_engine

        set_engine(None)
        engine.dispose()
        dispose_cached_engines()
        get_settings.cache_clear()
