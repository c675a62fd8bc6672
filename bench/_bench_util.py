"""Shared pieces of ``bench/engine.py``: environment, servers, measurements."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.common import TypedSearchAttributes

from casework.client import WORKFLOW_TYPE, actor_for, open_case
from casework.contracts import CaseResult, CaseView, StartCase
from casework.converter import DATA_CONVERTER
from casework.language.compiler import load_plans
from casework.language.plan import Plan
from casework.search_attributes import SEARCH_ATTRIBUTES, initial_search_attributes
from casework.settings import PROJECT_ROOT, Settings
from casework.stack import DevServer, ServerOptions, free_port

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
#: The worker process of the memory floor (see :func:`worker_process`).
FLOOR_WORKER = BENCH_DIR / "_floor_worker.py"

TEST_DEFINITIONS = (
    PROJECT_ROOT / "tests" / "stack" / "five-actions.yaml",
    PROJECT_ROOT / "tests" / "cli" / "_cli_test.yaml",
)


def say(message: str) -> None:
    """Progress on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def plans_by_process(root: Path) -> dict[str, Plan]:
    """The compiled definitions of a workspace, by process id."""
    return {p.process: p for p in load_plans(root / "definitions", PROJECT_ROOT / "policies")}


def workspace(name: str) -> Path:
    """A fresh directory under ``bench/data`` with the shipped and benchmark definitions."""
    root = DATA_DIR / f"{name}-{uuid.uuid4().hex[:6]}"
    (root / "definitions").mkdir(parents=True)
    for f in (PROJECT_ROOT / "definitions").glob("*.yaml"):
        shutil.copy(f, root / "definitions" / f.name)
    for f in TEST_DEFINITIONS:
        shutil.copy(f, root / "definitions" / f.name.lstrip("_").replace("_", "-"))
    return root


async def start_server(root: Path, *, tuned: bool, label: str, **extra: Any) -> DevServer:
    """Start a dev server with its own SQLite file in ``root`` (``extra``: ServerOptions)."""
    server = DevServer(
        ServerOptions(
            db_file=root / f"temporal-{label}.db",
            port=free_port(),
            headless=True,
            search_attributes=SEARCH_ATTRIBUTES,
            tuned=tuned,
            log_file=root / f"temporal-{label}.log",
            **extra,
        )
    )
    await server.start()
    return server


async def client_for(server: DevServer) -> Client:
    """A client of ``server``."""
    return await Client.connect(server.address, data_converter=DATA_CONVERTER)


def case_ids(n: int, prefix: str) -> list[str]:
    """``n`` unique case-like ids."""
    tag = uuid.uuid4().hex[:6].upper()
    return [f"C-{prefix}{tag}-{i:05d}" for i in range(n)]


async def start_cases(
    client: Client, plan: Plan, ids: Sequence[str], queue: str, data: dict[str, Any]
) -> list[WorkflowHandle[Any, CaseResult]]:
    """Start one CaseWorkflow per id, 50 starts in flight at a time."""
    sem = asyncio.Semaphore(50)

    async def one(cid: str) -> WorkflowHandle[Any, CaseResult]:
        async with sem:
            return await client.start_workflow(
                WORKFLOW_TYPE,
                StartCase(plan=plan.ref, data=data, opened_by="bench"),
                id=cid,
                task_queue=queue,
                result_type=CaseResult,
                search_attributes=initial_search_attributes(plan, data),
            )

    return list(await asyncio.gather(*[one(c) for c in ids]))


async def start_handwritten(
    client: Client,
    ids: Sequence[str],
    queue: str,
    *,
    workflow: str = "HandWrittenCase",
    search_attributes: TypedSearchAttributes | None = None,
) -> list[WorkflowHandle[Any, Any]]:
    """Start one hand-written baseline workflow per id."""
    sem = asyncio.Semaphore(50)

    async def one(cid: str) -> WorkflowHandle[Any, Any]:
        async with sem:
            return await client.start_workflow(
                workflow, cid, id=cid, task_queue=queue, search_attributes=search_attributes
            )

    return list(await asyncio.gather(*[one(c) for c in ids]))


async def throughput(
    start: Callable[[], Awaitable[Sequence[WorkflowHandle[Any, Any]]]],
) -> tuple[float, list[Any]]:
    """Start a batch and wait for every result; return (cases per second, handles)."""
    t0 = time.perf_counter()
    handles = list(await start())
    await asyncio.gather(*[h.result() for h in handles])
    return len(handles) / (time.perf_counter() - t0), handles


async def history_size(
    handles: Sequence[WorkflowHandle[Any, Any]], sample: int = 10
) -> tuple[float, float]:
    """Mean history events and bytes per workflow over a sample of ``handles``."""
    events: list[int] = []
    sizes: list[int] = []
    for h in handles[:sample]:
        hist = await h.fetch_history()
        events.append(len(hist.events))
        sizes.append(sum(e.ByteSize() for e in hist.events))
    return statistics.mean(events), statistics.mean(sizes)


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def rss_bytes() -> int:
    """Resident set size of this process."""
    gc.collect()
    return rss_of(os.getpid())


def rss_of(pid: int) -> int:
    """Resident set size of process ``pid``."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class Row:
    """One line of the results table."""

    name: str
    value: str
    goal: str = ""
    met: bool | None = None


def print_table(rows: Sequence[Row]) -> None:
    """Print ``rows`` as a fixed-width table."""
    width = max(len(r.name) for r in rows) + 2
    vwidth = max(len(r.value) for r in rows) + 2
    print(f"{'measure':<{width}}{'value':<{vwidth}}{'goal':<16}met")
    print("-" * (width + vwidth + 22))
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "NO")
        print(f"{r.name:<{width}}{r.value:<{vwidth}}{r.goal:<16}{met}")


def dispose(engine: Engine | None) -> None:
    """Dispose an engine if there is one."""
    if engine is not None:
        engine.dispose()


@contextlib.asynccontextmanager
async def worker_process(
    settings: Settings, queue: str, *, sandboxed: bool | None = None, floor: bool = False
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """A ``python -m workers`` process polling ``queue`` (as in production: apart from
    the API and CLI that call it); ``sandboxed`` None: the shipped default; ``floor``:
    ``bench/_floor_worker.py`` instead, which also runs the hand-written waiting case."""
    env = {
        **os.environ,
        "CASEWORK_TEMPORAL_ADDRESS": settings.temporal_address,
        "CASEWORK_DATABASE_URL": settings.records_url(),
        "CASEWORK_TASK_QUEUE": queue,
        "CASEWORK_DEFINITIONS_DIR": str(settings.definitions_dir),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    flag = {None: [], True: ["--sandbox"], False: ["--no-sandbox"]}[sandboxed]
    cmd = [sys.executable, "-m", "workers", *flag]
    if floor:
        cmd = [sys.executable, str(FLOOR_WORKER)]
    proc = subprocess.Popen(  # noqa: ASYNC220 - returns at once
        cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 30)


async def open_waiting(
    client: Any, plan: Plan, settings: Settings, n: int, prefix: str
) -> list[Any]:
    """Open ``n`` cli-test cases (each then waits on its review task), 50 at a time."""
    alice = actor_for("alice", settings)
    sem = asyncio.Semaphore(50)

    async def one(i: int) -> Any:
        async with sem:
            return await open_case(
                client,
                plan,
                {"customer": f"{prefix}{i}", "region": "emea"},
                alice,
                settings=settings,
                wait=60,
            )

    return list(await asyncio.gather(*[one(i) for i in range(n)]))


async def open_floor_waiting(client: Client, plan: Plan, queue: str, n: int, prefix: str) -> None:
    """Start ``n`` hand-written waiting cases with the input and search attributes
    :func:`open_waiting` gives cli-test cases; return once each has recorded itself."""
    sem = asyncio.Semaphore(50)

    async def one(cid: str, data: dict[str, Any]) -> None:
        async with sem:
            handle = await client.start_workflow(
                "HandWrittenWaitingCase",
                StartCase(plan=plan.ref, data=data, opened_by="alice"),
                id=cid,
                task_queue=queue,
                search_attributes=initial_search_attributes(plan, data),
            )
            # its records write done, as open_waiting's cases have their first task
            await handle.query("__stack_trace", result_type=str)

    ids = case_ids(n, "F" + prefix)
    data = [{"customer": f"{prefix}{i}", "region": "emea", "priority": "normal"} for i in range(n)]
    await asyncio.gather(*[one(cid, d) for cid, d in zip(ids, data, strict=True)])


async def wait_for_task(client: Client, views: Sequence[CaseView], step: str) -> None:
    """Wait until each case has its task of ``step`` (its start-up is over)."""
    for view in views:
        handle = client.get_workflow_handle(view.case_id)
        for _ in range(200):
            state = await handle.query("state", result_type=CaseView)
            if any(t.step_id == step for t in state.tasks):
                break
            await asyncio.sleep(0.05)
