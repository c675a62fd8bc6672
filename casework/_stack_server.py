"""The embedded Temporal dev server: command line, start, wait, stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from casework.binaries import temporal_cli
from casework.errors import ConfigError, EngineUnavailableError

#: Dev-server tuning `casework up` applies (see docs/operations.md for what each costs).
TUNED_PRAGMAS: tuple[str, ...] = ("journal_mode=wal", "synchronous=normal")
TUNED_DYNAMIC_CONFIG: tuple[str, ...] = (
    "history.transferProcessorMaxPollRPS=1000",
    "history.timerProcessorMaxPollRPS=1000",
    "history.visibilityProcessorMaxPollRPS=1000",
    "frontend.namespaceRPS=100000",
    "frontend.rps=100000",
    "history.rps=100000",
    "matching.rps=100000",
    "matching.numTaskqueueReadPartitions=1",
    "matching.numTaskqueueWritePartitions=1",
)


#: The environment variable that caps the Go runtime's threads running Go code at once.
GOMAXPROCS = "GOMAXPROCS"


def tuned_go_max_procs() -> int:
    """Cores the tuned dev server may run Go code on: all but one, at least one.

    The worker next to it runs Python, which uses one core at a time; a Go runtime
    allowed every core spends CPU on its own threads contending with the worker's
    (docs/operations.md).
    """
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may use
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


#: Starts tried when the server loses a race for one of its own random ports.
START_ATTEMPTS = 3


@dataclass
class ServerOptions:
    """How to start ``temporal server start-dev``.

    Attributes:
        db_file: SQLite file of Temporal's state (None: in memory, lost on exit).
        ip: Address the frontend binds to.
        port: Frontend gRPC port.
        ui_port: Web UI port (ignored when headless).
        namespace: Namespace to create.
        search_attributes: ``NAME -> type`` to register.
        tuned: Apply the WAL/synchronous pragmas and the dynamic config above.
        headless: Do not start the Web UI.
        log_file: Where the server's output goes (None: discarded).
        pragmas: SQLite pragmas instead of the tuned ones (when tuned).
        dynamic_config: Dynamic config values instead of the tuned ones (when tuned).
        go_max_procs: ``GOMAXPROCS`` of the server (None: :func:`tuned_go_max_procs`
            when tuned, Go's default otherwise); a ``GOMAXPROCS`` already in the
            environment wins.
    """

    db_file: Path | None = None
    ip: str = "127.0.0.1"
    port: int = 7233
    ui_port: int | None = None
    namespace: str = "default"
    search_attributes: dict[str, str] = field(default_factory=dict)
    tuned: bool = True
    headless: bool = False
    log_file: Path | None = None
    pragmas: tuple[str, ...] | None = None
    dynamic_config: tuple[str, ...] | None = None
    go_max_procs: int | None = None

    @property
    def address(self) -> str:
        """``ip:port`` of the frontend."""
        return f"{self.ip}:{self.port}"


def server_command(opts: ServerOptions) -> list[str]:
    """Return the ``temporal server start-dev`` command line for ``opts``."""
    cmd = [
        str(temporal_cli()),
        "server",
        "start-dev",
        "--ip",
        opts.ip,
        "--port",
        str(opts.port),
        "--namespace",
        opts.namespace,
        "--log-level",
        "warn",
    ]
    if opts.db_file is not None:
        cmd += ["--db-filename", str(opts.db_file)]
    if opts.headless:
        cmd.append("--headless")
    elif opts.ui_port is not None:
        cmd += ["--ui-port", str(opts.ui_port)]
    for name, kind in opts.search_attributes.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    if opts.tuned:
        for pragma in TUNED_PRAGMAS if opts.pragmas is None else opts.pragmas:
            cmd += ["--sqlite-pragma", pragma]
        for value in TUNED_DYNAMIC_CONFIG if opts.dynamic_config is None else opts.dynamic_config:
            cmd += ["--dynamic-config-value", value]
    return cmd


def server_env(opts: ServerOptions, environ: Mapping[str, str]) -> dict[str, str]:
    """Return the environment the server runs with: ``environ`` plus its ``GOMAXPROCS``."""
    env = dict(environ)
    procs = opts.go_max_procs
    if procs is None and opts.tuned:
        procs = tuned_go_max_procs()
    if procs is not None and GOMAXPROCS not in env:
        env[GOMAXPROCS] = str(procs)
    return env


async def wait_for_temporal(address: str, namespace: str, timeout: float) -> None:  # noqa: ASYNC109
    """Wait until a Temporal frontend at ``address`` answers, or raise EngineUnavailableError."""
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
    from temporalio.client import Client

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: BaseException | None = None
    while loop.time() < deadline:
        try:
            client = await asyncio.wait_for(Client.connect(address, namespace=namespace), 2.0)
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
            return
        except Exception as exc:  # any failure means "not yet"
            last = exc
            await asyncio.sleep(0.2)
    raise EngineUnavailableError(
        f"Temporal at {address} did not answer within {timeout:.0f}s: {last}",
        hint="look at the server log in the data directory",
    )


class DevServer:
    """A ``temporal server start-dev`` child process."""

    def __init__(self, opts: ServerOptions) -> None:
        self.opts = opts
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def address(self) -> str:
        """``ip:port`` of the frontend."""
        return self.opts.address

    async def start(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Start the server and wait until it answers.

        Raises:
            ConfigError: When the port is already taken or the binary is missing.
            EngineUnavailableError: When the server does not come up in time.
        """
        if _port_in_use(self.opts.ip, self.opts.port):
            raise ConfigError(
                f"port {self.opts.port} on {self.opts.ip} is already in use",
                hint="stop the other Temporal server or pass --port",
            )
        if self.opts.db_file is not None:
            self.opts.db_file.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(START_ATTEMPTS):
            self._spawn()
            assert self.process is not None
            try:
                await _race_exit(
                    self.process, wait_for_temporal(self.address, self.opts.namespace, timeout)
                )
                return
            except EngineUnavailableError:
                self.stop()
                # The CLI picks its HTTP and metrics ports itself, at random: one that
                # another process takes in the meantime fails the start. Try again.
                if attempt + 1 < START_ATTEMPTS and lost_port_race(self.opts.log_file):
                    continue
                raise
            except BaseException:
                self.stop()
                raise

    def _spawn(self) -> None:
        out: IO[bytes] | int = subprocess.DEVNULL
        if self.opts.log_file is not None:
            self.opts.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = out = self.opts.log_file.open("ab")
        self.process = subprocess.Popen(
            server_command(self.opts),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=server_env(self.opts, os.environ),
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stop()


async def _race_exit(proc: subprocess.Popen[bytes], waiting: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(waiting)
    while not task.done():
        if proc.poll() is not None:
            task.cancel()
            raise EngineUnavailableError(
                f"the Temporal dev server exited with status {proc.returncode} while starting",
                hint="look at the server log in the data directory",
            )
        await asyncio.wait([task], timeout=0.2)
    task.result()


def lost_port_race(log_file: Path | None) -> bool:
    """Whether the server's last words (the tail of ``log_file``) were a port taken."""
    if log_file is None or not log_file.exists():
        return False
    with log_file.open("rb") as f:
        f.seek(max(0, log_file.stat().st_size - 4096))
        return b"bind: address already in use" in f.read()


def _port_in_use(ip: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((ip, port)) == 0


def free_port() -> int:
    """Return a TCP port that is free right now on 127.0.0.1."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
