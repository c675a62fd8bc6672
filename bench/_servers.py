"""Dev-server comparisons of ``bench/engine.py``: tuned against default, and ``--tuning``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _bench_util import (
    Row,
    case_ids,
    client_for,
    plans_by_process,
    print_table,
    say,
    start_cases,
    start_server,
    throughput,
    workspace,
)
from sqlalchemy import Engine
from temporalio.client import Client

from casework._stack_server import TUNED_DYNAMIC_CONFIG, DevServer
from casework.language.plan import Plan
from casework.records.db import make_engine, upgrade
from casework.settings import Settings
from workers.worker import build_worker, case_workflow, fill_registry

#: Seconds between side-by-side rounds: the 10 s workflow-task timeout timers of a round, and 1.
SETTLE_S = 11.0

Batch = Callable[[], Awaitable[list[Any]]]


def case_records(name: str, queue: str) -> tuple[Path, Settings, Engine]:
    """A fresh workspace with its records database at head and the plan registry filled."""
    root = workspace(name)
    url = f"sqlite:///{root / 'records.db'}"
    upgrade(url)
    engine = make_engine(url)
    fill_registry(list(plans_by_process(root).values()), engine)
    settings = Settings(task_queue=queue, database_url=url, definitions_dir=root / "definitions")
    return root, settings, engine


async def serve(
    stack: contextlib.AsyncExitStack,
    root: Path,
    label: str,
    settings: Settings,
    engine: Engine,
    **server: Any,
) -> tuple[DevServer, Client]:
    """Start a fresh server with a case worker in this process; ``stack`` stops both."""
    srv = await start_server(root, label=label, **server)
    stack.callback(srv.stop)
    client = await client_for(srv)
    worker = build_worker(
        client, settings, [], engine=engine, workflows=[case_workflow()], deploy=False
    )
    await stack.enter_async_context(worker)
    return srv, client


def batch(client: Client, five: Plan, queue: str, n: int, prefix: str) -> Batch:
    """Start ``n`` cases of ``five`` (a batch for :func:`_bench_util.throughput`)."""
    return lambda: start_cases(client, five, case_ids(n, prefix), queue, {"customer": "acme"})


async def _latency(client: Client, five: Plan, queue: str, k: int) -> float:
    """Median end-to-end milliseconds of ``k`` cases run one at a time."""
    lat = []
    for _ in range(k):
        t0 = time.perf_counter()
        (h,) = await batch(client, five, queue, 1, "L")()
        await h.result()
        lat.append(time.perf_counter() - t0)
    return statistics.median(lat) * 1000


async def servers_side_by_side(
    root: Path, settings: Settings, engine: Any, args: argparse.Namespace, out: dict[str, Any]
) -> None:
    """The 5-action process on a fresh tuned and a fresh default server, rounds alternating.

    Both servers run at once, each with its own worker in this process, so both
    see the same box and the same growth of their files (an idle one costs about
    1 % of a core); each round starts once the timers of the one before have
    fired. The figure is the median of the rounds' own ratios.
    """
    five = plans_by_process(root)["five-actions"]
    queue = settings.task_queue
    servers = {"tuned": {"tuned": True}, "default": {"tuned": False}}
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            label: (await serve(stack, root, f"side-{label}", settings, engine, **server))[1]
            for label, server in servers.items()
        }
        for client in clients.values():  # warm: connections, caches
            await throughput(batch(client, five, queue, 10, "W"))
        rates: dict[str, list[float]] = {label: [] for label in servers}
        for i in range(args.rounds):
            for label in list(servers)[:: 1 if i % 2 == 0 else -1]:
                # a round leaves timer tasks (workflow-task and activity timeouts) that
                # fire up to 10 s after it: let them pass before the other server's round
                await asyncio.sleep(SETTLE_S)
                cases = batch(clients[label], five, queue, args.n, "S")
                rates[label].append((await throughput(cases))[0])
        for label, client in clients.items():
            out[f"{label}_server_cases_per_s"] = statistics.median(rates[label])
            out[f"{label}_latency_ms"] = await _latency(client, five, queue, 10)
    ratios = [a / b for a, b in zip(rates["tuned"], rates["default"], strict=True)]
    out["tuned_vs_default_throughput"] = statistics.median(ratios)
    out["tuned_vs_default_throughputs"] = [round(r, 3) for r in ratios]
    out["tuned_vs_default_latency"] = out["default_latency_ms"] / out["tuned_latency_ms"]


async def _variant(
    root: Path,
    label: str,
    settings: Settings,
    engine: Any,
    args: argparse.Namespace,
    **server: Any,
) -> tuple[float, float]:
    """Cases/s and median end-to-end latency (ms) of the 5-action process on one server setup."""
    five, queue = plans_by_process(root)["five-actions"], settings.task_queue
    async with contextlib.AsyncExitStack() as stack:
        _srv, client = await serve(stack, root, label, settings, engine, **server)
        await throughput(batch(client, five, queue, 10, "W"))
        rates = [
            (await throughput(batch(client, five, queue, args.n, "D")))[0]
            for _ in range(args.rounds)
        ]
        return statistics.median(rates), await _latency(client, five, queue, 10)


async def tuning(args: argparse.Namespace) -> dict[str, Any]:
    """What each dev-server setting buys: the 5-action process on five server setups."""
    root, settings, engine = case_records("tuning", "tuning")
    every_core = os.cpu_count() or 1  # Go's own default
    setups: dict[str, dict[str, Any]] = {
        "default": {"tuned": False},
        "wal (synchronous=full)": {
            "tuned": True,
            "pragmas": ("journal_mode=wal",),
            "dynamic_config": (),
            "go_max_procs": every_core,
        },
        "wal + synchronous=normal": {
            "tuned": True,
            "dynamic_config": (),
            "go_max_procs": every_core,
        },
        "wal + normal + dynamic config": {
            "tuned": True,
            "dynamic_config": TUNED_DYNAMIC_CONFIG,
            "go_max_procs": every_core,
        },
        "+ GOMAXPROCS (what casework up runs)": {"tuned": True},
    }
    out: dict[str, Any] = {"n": args.n, "rounds": args.rounds, "setups": {}}
    for i, (name, server) in enumerate(setups.items()):
        say(f"server setup: {name}")
        rate, latency = await _variant(root, f"t{i}", settings, engine, args, **server)
        out["setups"][name] = {"cases_per_s": rate, "latency_ms": latency}
    engine.dispose()
    base = out["setups"]["default"]
    rows = [
        Row(
            name,
            f"{v['cases_per_s']:.1f} cases/s, {v['latency_ms']:.0f} ms",
            f"x{v['cases_per_s'] / base['cases_per_s']:.2f} thr",
        )
        for name, v in out["setups"].items()
    ]
    print_table(rows)
    print(json.dumps(out, sort_keys=True))
    return out
