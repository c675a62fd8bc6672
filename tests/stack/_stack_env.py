"""A real dev server, a records database and worker processes for the stack tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from temporalio.client import Client

from casework.converter import DATA_CONVERTER
from casework.language.compiler import load_plans
from casework.language.plan import Plan
from casework.records.db import make_engine, upgrade
from casework.search_attributes import SEARCH_ATTRIBUTES
from casework.settings import PROJECT_ROOT
from casework.stack import DevServer, ServerOptions, free_port

HERE = Path(__file__).parent


@dataclass
class StackEnv:
    """Everything a stack test runs against."""

    root: Path
    port: int
    task_queue: str = field(default_factory=lambda: f"stack-{uuid.uuid4().hex[:8]}")
    server: DevServer | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def records_url(self) -> str:
        """SQLite records database of the test."""
        return f"sqlite:///{self.root / 'records.db'}"

    @property
    def definitions(self) -> Path:
        """Shipped definitions plus the test definitions."""
        return self.root / "definitions"

    def env(self) -> dict[str, str]:
        """Environment of worker processes."""
        env = os.environ.copy()
        env.update(
            CASEWORK_DATA_DIR=str(self.root),
            CASEWORK_TEMPORAL_ADDRESS=f"127.0.0.1:{self.port}",
            CASEWORK_TASK_QUEUE=self.task_queue,
            CASEWORK_DATABASE_URL=self.records_url,
            CASEWORK_DEFINITIONS_DIR=str(self.definitions),
            PYTHONPATH=str(PROJECT_ROOT),
        )
        return env

    def plans(self) -> dict[str, Plan]:
        """Compiled plans by process."""
        return {p.process: p for p in load_plans(self.definitions, PROJECT_ROOT / "policies")}

    async def start_server(self) -> DevServer:
        """Start (or restart) the dev server on the test's SQLite file."""
        self.server = DevServer(
            ServerOptions(
                db_file=self.root / "temporal.db",
                port=self.port,
                headless=True,
                search_attributes=SEARCH_ATTRIBUTES,
                log_file=self.root / "temporal.log",
            )
        )
        await self.server.start()
        return self.server

    async def client(self) -> Client:
        """A client of the dev server (casework's data converter)."""
        return await Client.connect(f"127.0.0.1:{self.port}", data_converter=DATA_CONVERTER)

    async def ready_worker(self, wait: float = 60.0) -> subprocess.Popen[bytes]:
        """Start a worker process and wait until it polls its task queue."""
        proc = self.start_worker()
        log = self.root / f"worker-{len(self.workers) - 1}.log"
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if "worker polling" in log.read_text(errors="replace"):
                return proc
            if proc.poll() is not None:
                raise AssertionError(
                    f"worker exited with {proc.returncode}: {log.read_text()[-2000:]}"
                )
            await asyncio.sleep(0.1)
        raise AssertionError(f"worker not ready after {wait}s: {log.read_text()[-2000:]}")

    def start_worker(self) -> subprocess.Popen[bytes]:
        """Start ``python -m workers`` as a separate process."""
        log = (self.root / f"worker-{len(self.workers)}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "workers"],
            env=self.env(),
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self.workers.append(proc)
        return proc

    def stop_workers(self) -> list[int]:
        """SIGTERM every worker still running, wait for them; return their exit codes."""
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in self.workers:
            try:
                codes.append(proc.wait(20))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes


@asynccontextmanager
async def stack_env(tmp_path: Path) -> AsyncIterator[StackEnv]:
    """A migrated records database, the test definitions and a running dev server."""
    env = StackEnv(root=tmp_path, port=free_port())
    env.definitions.mkdir()
    for f in (PROJECT_ROOT / "definitions").glob("*.yaml"):
        shutil.copy(f, env.definitions / f.name)
    shutil.copy(HERE / "five-actions.yaml", env.definitions / "five-actions.yaml")
    shutil.copy(HERE.parent / "cli" / "_cli_test.yaml", env.definitions / "cli-test.yaml")
    upgrade(env.records_url)
    await env.start_server()
    try:
        yield env
    finally:
        env.stop_workers()
        if env.server is not None:
            env.server.stop()


def records_engine(env: StackEnv) -> Engine:
    """An engine on the test's records database."""
    return make_engine(env.records_url)
