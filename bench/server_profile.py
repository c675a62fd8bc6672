"""Where a dev server's CPU goes while it runs five-action cases: ``perf`` and Go's own symbols.

Starts a fresh dev server as ``casework up`` starts it (``--untuned``: a plain
``temporal server start-dev --db-filename``) with a case worker in this
process, runs batches of the 5-action process through ``CaseWorkflow`` while
``perf record`` samples the server's call stacks, and names the samples from
the binary's ``.gopclntab`` (bench/_gosym.py: the CLI is stripped). Prints the
server's CPU per case split two ways: by the operation it served (history
service handlers, the visibility writes, the garbage collector, ...) and by
the code that burned it (SQLite, Go's allocator and collector, goroutine
stacks, protobuf, gRPC, the kernel, ...); the last line is one JSON object.

    python bench/server_profile.py [--seconds 30] [--n 60] [--untuned]

Needs ``perf`` (Debian: ``linux-perf``) and the right to trace the server
(root, or ``kernel.perf_event_paranoid`` <= 1).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _bench_util import plans_by_process, say, throughput
from _gosym import GoSymbolError, GoSymbols
from _servers import batch, case_records, serve

from casework.binaries import temporal_cli

#: (operation, substrings of a frame that mark it): a sample goes to the first
#: operation any frame of its stack matches, in this order.
OPERATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("workflow task started (history)", ("historyEngineImpl).RecordWorkflowTaskStarted",)),
    ("workflow task completed (history)", ("historyEngineImpl).RespondWorkflowTaskCompleted",)),
    ("activity task completed (history)", ("historyEngineImpl).RespondActivityTaskCompleted",)),
    ("workflow start (history)", ("historyEngineImpl).StartWorkflowExecution",)),
    ("visibility: started", ("visibilityQueueTaskExecutor).processStartExecution",)),
    (
        "visibility: search attribute upsert",
        ("visibilityQueueTaskExecutor).processUpsertExecution",),
    ),
    ("visibility: closed", ("visibilityQueueTaskExecutor).processCloseExecution",)),
    ("transfer and timer queues", ("transferQueue", "timerQueue", "history/queues.")),
    ("polls (matching)", ("matchingEngineImpl).Poll", "matchingEngineImpl).AddWorkflowTask")),
    ("other gRPC requests", ("grpc.(*Server).handleStream",)),
    (
        "garbage collector (background)",
        ("runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge"),
    ),
)

#: (code, prefixes of the sampled (leaf) function): the first match names it.
CODE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kernel (syscalls, page faults)", ("[kernel",)),
    ("SQLite (modernc.org, SQLite compiled to Go)", ("modernc.org/",)),
    (
        "Go: goroutine stacks (growth, scanning)",
        (
            "runtime.morestack",
            "runtime.newstack",
            "runtime.copystack",
            "runtime.adjust",
            "runtime.pcvalue",
            "runtime.step",
            "runtime.findfunc",
            "runtime.funcInfo",
            "runtime.(*stkframe)",
            "runtime.(*unwinder)",
            "runtime.scanstack",
            "runtime.scanframe",
        ),
    ),
    (
        "Go: allocation and garbage collection",
        (
            "runtime.malloc",
            "runtime.gc",
            "runtime.scan",
            "runtime.greyobject",
            "runtime.markroot",
            "runtime.(*mspan)",
            "runtime.(*mheap)",
            "runtime.(*mcache)",
            "runtime.(*mcentral)",
            "runtime.(*gcWork)",
            "runtime.heap",
            "runtime.typePointers",
            "runtime.tryDefer",
            "runtime.memclr",
            "runtime.newobject",
            "runtime.makeslice",
            "runtime.growslice",
            "runtime.(*spanSet)",
            "runtime.wbBuf",
            "runtime.bulkBarrier",
            "runtime.findObject",
            "internal/runtime/gc",
        ),
    ),
    (
        "Go: scheduler, maps, other runtime",
        ("runtime.", "internal/runtime/", "aeshash", "memeqbody"),
    ),
    ("protobuf (de)serialisation", ("google.golang.org/protobuf/", "go.temporal.io/api/")),
    ("gRPC and HTTP/2", ("google.golang.org/grpc", "golang.org/x/net/http2")),
    ("database/sql and sqlx", ("database/sql", "github.com/jmoiron/sqlx")),
    (
        "metrics",
        (
            "github.com/uber-go/tally",
            "github.com/prometheus/",
            "go.temporal.io/server/common/metrics",
        ),
    ),
    ("Temporal server code", ("go.temporal.io/server/",)),
)
OTHER = "other"

Stack = list[str]  # leaf first


def classify(
    stack: Sequence[str], table: Sequence[tuple[str, tuple[str, ...]]], *, leaf: bool
) -> str:
    """The first entry of ``table`` matching the stack's leaf (``leaf``) or any frame."""
    frames = stack[:1] if leaf else stack
    for label, marks in table:
        for frame in frames:
            if any((frame.startswith(m) if leaf else m in frame) for m in marks):
                return label
    return OTHER


def read_stacks(perf_data: Path, binary: Path) -> list[Stack]:
    """Every sample of ``perf_data`` as a stack of function names, leaf first.

    ``perf script`` prints a frame in an unsymbolised binary as its offset in the
    file (some versions: its virtual address); the reading that roots more
    stacks in Go's goroutine entry points is taken.
    """
    syms = GoSymbols(binary)
    out = subprocess.run(
        ["perf", "script", "-i", str(perf_data), "-F", "ip,dso"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    raw: list[list[tuple[int, str]]] = []
    frames: list[tuple[int, str]] = []
    for line in [*out.splitlines(), ""]:
        parts = line.split(None, 1)
        if not parts:
            if frames:
                raw.append(frames)
            frames = []
        else:
            frames.append((int(parts[0], 16), parts[1] if len(parts) > 1 else ""))
    name = binary.name

    def named(by_offset: bool) -> list[Stack]:
        return [
            [
                (syms.name_at_offset(pc) if by_offset else syms.name(pc))
                if name in dso
                else "[kernel]"
                if "kernel" in dso or "vdso" in dso
                else f"[{dso.strip('()')}]"
                for pc, dso in frames
            ]
            for frames in raw
        ]

    def rooted(stacks: list[Stack]) -> int:
        roots = ("runtime.goexit", "runtime.mstart", "runtime.rt0_go", "runtime.mcall")
        return sum(1 for s in stacks if s and s[-1].startswith(roots))

    candidates = [named(True), named(False)]
    return max(candidates, key=rooted)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def profile(args: argparse.Namespace, perf_data: Path) -> tuple[float, int, float]:
    """Run cases while perf records the server; return (server CPU s, cases, wall s)."""
    root, settings, engine = case_records("profile", "profile")
    five = plans_by_process(root)["five-actions"]
    async with contextlib.AsyncExitStack() as stack:
        srv, client = await serve(stack, root, "profiled", settings, engine, tuned=not args.untuned)
        assert srv.process is not None
        pid = srv.process.pid
        await throughput(batch(client, five, "profile", 20, "W"))
        say(f"perf record of the server (pid {pid}) for {args.seconds:.0f} s under load")
        perf = await asyncio.create_subprocess_exec(
            "perf",
            "record",
            "-q",
            "-F",
            str(args.frequency),
            "-g",
            "-p",
            str(pid),
            "-o",
            str(perf_data),
            "--",
            "sleep",
            str(args.seconds),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        cpu0, t0, cases = cpu_seconds(pid), time.perf_counter(), 0
        while perf.returncode is None:
            await throughput(batch(client, five, "profile", args.n, "P"))
            cases += args.n
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(perf.wait(), 0.01)
        used, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - t0
        _out, err = await perf.communicate()
        if perf.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines() or ["(no output)"]
            raise SystemExit(f"server_profile: perf record failed: {lines[-1]}")
    engine.dispose()
    return used, cases, wall


def shares(stacks: Sequence[Stack], *, leaf: bool) -> dict[str, float]:
    """Fraction of the samples in each class, largest first."""
    table = CODE if leaf else OPERATIONS
    counts = collections.Counter(classify(s, table, leaf=leaf) for s in stacks)
    return {k: v / len(stacks) for k, v in counts.most_common()}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Profile the server and print the tables and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long perf records")
    parser.add_argument("--n", type=int, default=60, help="cases per batch")
    parser.add_argument("--frequency", type=int, default=499, help="perf samples per second")
    parser.add_argument("--untuned", action="store_true", help="profile a default server")
    args = parser.parse_args(argv)
    if shutil.which("perf") is None:
        raise SystemExit("server_profile: perf is not installed (Debian: apt install linux-perf)")
    binary = temporal_cli().resolve()
    try:
        GoSymbols(binary)
    except GoSymbolError as exc:
        raise SystemExit(f"server_profile: {exc}") from None
    perf_data = Path(__file__).resolve().parent / "data" / f"server-{os.getpid()}.perf"
    perf_data.parent.mkdir(parents=True, exist_ok=True)
    try:
        used, cases, wall = asyncio.run(profile(args, perf_data))
        stacks = read_stacks(perf_data, binary)
    finally:
        perf_data.unlink(missing_ok=True)
    if not stacks:
        raise SystemExit("server_profile: perf recorded no samples of the server")
    per_case = used * 1000 / cases
    out: dict[str, Any] = {
        "server": "default" if args.untuned else "tuned",
        "samples": len(stacks),
        "cases": cases,
        "cases_per_s": cases / wall,
        "server_cpu_ms_per_case": per_case,
        "server_cores_busy": used / wall,
        "by_operation": shares(stacks, leaf=False),
        "by_code": shares(stacks, leaf=True),
    }
    for key, title in (("by_operation", "operation served"), ("by_code", "code running")):
        print(f"\nserver CPU by {title} ({out['server']} server, {per_case:.1f} ms per case):")
        width = max(len(label) for label in out[key]) + 2
        print(f"{'':<{width}}{'share':>7}{'ms/case':>10}")
        for label, share in out[key].items():
            print(f"{label:<{width}}{share:>7.1%}{share * per_case:>10.1f}")
    print(
        f"\n{cases} cases in {wall:.1f} s ({out['cases_per_s']:.1f}/s), server on "
        f"{out['server_cores_busy']:.2f} cores, {len(stacks)} samples"
    )
    print(json.dumps(out, sort_keys=True))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
