"""``casework up``: the whole stack on one machine.

Starts, in order: the Temporal dev server (SQLite file in the data directory,
search attributes registered, tuned pragmas), the records migrations, the
directory load, the deployment of the shipped definitions, a worker, the HTTP
API (when installed) and the report schedule (when installed). Everything is
stopped in reverse order on Ctrl-C or SIGTERM. Cases survive a restart because
Temporal and the records keep their SQLite files in the data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casework._stack_server import DevServer, ServerOptions, free_port, server_command
from casework.settings import Settings, get_settings

__all__ = [
    "DevServer",
    "ServerOptions",
    "Stack",
    "StackOptions",
    "free_port",
    "run_stack",
    "server_command",
]

log = logging.getLogger("casework.stack")


@dataclass
class StackOptions:
    """What ``casework up`` starts.

    Attributes:
        data_dir: Where Temporal's and the records' SQLite files, logs and reports live.
        port: Temporal frontend gRPC port.
        ui_port: Temporal Web UI port.
        api: Start the HTTP API.
        reports: Start the Prefect report schedule.
        api_port: HTTP API port.
        tuned: Apply the dev-server tuning.
        reports_port: Port of the local Prefect server of the report schedule.
    """

    data_dir: Path
    port: int = 7233
    ui_port: int = 8233
    api: bool = True
    reports: bool = True
    api_port: int = 8400
    tuned: bool = True
    reports_port: int = 4200


@dataclass
class Stack:
    """A running stack; :meth:`stop` stops what :meth:`start` started, in reverse order."""

    options: StackOptions
    settings: Settings
    server: DevServer | None = None
    rows: list[tuple[str, str]] = field(default_factory=list)
    _stoppers: list[tuple[str, Callable[[], Awaitable[None]]]] = field(default_factory=list)

    async def start(self, *, say: Callable[[str], None] = lambda _m: None) -> None:
        """Start every part; on failure stop what was started and re-raise."""
        try:
            await self._start(say)
        except BaseException:
            await self.stop()
            raise

    async def _start(self, say: Callable[[str], None]) -> None:
        from casework.client import connect
        from casework.search_attributes import SEARCH_ATTRIBUTES

        opts, settings = self.options, self.settings
        opts.data_dir.mkdir(parents=True, exist_ok=True)
        say(f"starting Temporal on 127.0.0.1:{opts.port}")
        self.server = DevServer(
            ServerOptions(
                db_file=opts.data_dir / "temporal.db",
                port=opts.port,
                ui_port=opts.ui_port,
                namespace=settings.temporal_namespace,
                search_attributes=SEARCH_ATTRIBUTES,
                tuned=opts.tuned,
                log_file=opts.data_dir / "temporal.log",
            )
        )
        server = self.server
        await server.start()
        self._stoppers.append(("Temporal", _sync(server.stop)))
        self.rows += [
            ("Temporal gRPC", server.address),
            ("Temporal Web UI", f"http://127.0.0.1:{opts.ui_port}"),
        ]

        say("migrating the records database")
        plans = await asyncio.to_thread(_prepare_records, settings)
        self.rows.append(("Records DB", _hide_password(settings.records_url())))

        say(f"starting the worker ({len(plans)} definitions)")
        client = await connect(settings)
        await self._start_worker(client, plans)

        if opts.api and importlib.util.find_spec("casework.api.app") is not None:
            say(f"starting the HTTP API on {settings.api_host}:{opts.api_port}")
            await self._start_api(settings.api_host, opts.api_port)
        if opts.reports and _has_report_serve():
            say("starting the report schedule")
            self._start_reports()
        self.rows += [
            ("Reports dir", str(settings.reports_path())),
            ("Data dir", str(opts.data_dir)),
            ("Temporal log", str(opts.data_dir / "temporal.log")),
        ]

    async def _start_worker(self, client: Any, plans: list[Any]) -> None:
        from casework.records.db import engine_from_settings
        from workers.worker import build_worker

        worker = build_worker(client, self.settings, plans, engine=engine_from_settings())
        task = asyncio.create_task(worker.run(), name="casework-worker")

        async def stop_worker() -> None:
            await worker.shutdown()
            with contextlib.suppress(BaseException):
                await task

        self._stoppers.append(("worker", stop_worker))
        self.rows.append(("Worker", f"task queue {self.settings.task_queue!r}"))

    async def _start_api(self, host: str, port: int) -> None:
        import uvicorn

        config = uvicorn.Config(
            "casework.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            log_level="warning",
            lifespan="auto",
        )
        server = uvicorn.Server(config)
        # the stack owns SIGINT/SIGTERM: uvicorn must not take them over
        setattr(server, "capture_signals", contextlib.nullcontext)  # noqa: B010
        task = asyncio.create_task(server.serve(), name="casework-api")
        for _ in range(100):
            if server.started or task.done():
                break
            await asyncio.sleep(0.1)
        if task.done():
            task.result()

        async def stop_api() -> None:
            server.should_exit = True
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 10)

        self._stoppers.append(("HTTP API", stop_api))
        base = f"http://{host}:{port}"
        self.rows += [("HTTP API", f"{base}  (docs: {base}/docs)"), ("Web pages", f"{base}/ui")]

    def _start_reports(self) -> None:
        log_file = (self.options.data_dir / "reports.log").open("ab")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "casework.cli.main",
                "report",
                "serve",
                "--port",
                str(self.options.reports_port),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_child_env(self.settings),
            start_new_session=True,
        )

        async def stop_reports() -> None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    await asyncio.to_thread(proc.wait, 10)
                except subprocess.TimeoutExpired:
                    # it may be stuck starting its Prefect server: stop the whole group it leads
                    _kill_group(proc)
            log_file.close()

        self._stoppers.append(("report schedule", stop_reports))
        self.rows += [
            ("Report schedule", f"pid {proc.pid}, log {self.options.data_dir / 'reports.log'}"),
            ("Prefect UI", f"http://127.0.0.1:{self.options.reports_port}"),
        ]

    async def stop(self) -> None:
        """Stop everything started, newest first; never raises."""
        while self._stoppers:
            name, stopper = self._stoppers.pop()
            try:
                await stopper()
            except Exception as exc:  # keep stopping the rest
                log.warning("stopping %s failed: %s", name, exc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group led by ``proc`` (started with a new session), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _sync(fn: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await asyncio.to_thread(fn)

    return run


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _has_report_serve() -> bool:
    """True when the reporting CLI offers ``casework report serve``."""
    try:
        import typer

        from casework.cli import reports

        probe = typer.Typer()
        reports.register(probe)
        group = next((g for g in probe.registered_groups if g.name == "report"), None)
        if group is None or group.typer_instance is None:
            return False
        return any(c.name == "serve" for c in group.typer_instance.registered_commands)
    except Exception:
        return False


def _child_env(settings: Settings) -> dict[str, str]:
    env = os.environ.copy()
    env["CASEWORK_DATA_DIR"] = str(settings.data_dir)
    env["CASEWORK_TEMPORAL_ADDRESS"] = settings.temporal_address
    env["CASEWORK_DATABASE_URL"] = settings.records_url()
    return env


def _prepare_records(settings: Settings) -> list[Any]:
    """Migrate, load the directory, deploy the shipped definitions; return the plans."""
    from casework.language.compiler import load_plans
    from casework.records.db import engine_from_settings, upgrade
    from workers.worker import deploy_plans

    plans = load_plans(settings.definitions_dir, settings.policies_dir)
    upgrade(settings.records_url())
    engine = engine_from_settings()
    load_directory(engine, settings)
    deploy_plans(engine, plans, deployed_by="casework up")
    return plans


def load_directory(engine: Any, settings: Settings) -> None:
    """Load the shipped directory into the people table (the records' loader when present)."""
    loader: Any = None
    with contextlib.suppress(ImportError):
        from casework.records import directory as records_directory

        loader = getattr(records_directory, "load_directory", None)
    if loader is not None:
        loader(engine, settings.policies_dir / "directory.yaml")
        return
    from activities._db import insert_ignore
    from activities.directory import people_from_policies
    from casework.records.tables import people

    with engine.begin() as conn:
        for p in people_from_policies(settings.policies_dir):
            insert_ignore(
                conn,
                people,
                {
                    "id": p.id,
                    "name": p.name,
                    "email": p.email,
                    "roles": list(p.roles),
                    "team": p.team,
                    "region": p.region,
                    "skills": list(p.skills),
                    "manager": p.manager,
                    "active": True,
                },
            )


def stack_settings(opts: StackOptions) -> Settings:
    """Point the process-wide settings (and children) at the stack's data dir and ports."""
    os.environ["CASEWORK_DATA_DIR"] = str(opts.data_dir)
    os.environ["CASEWORK_TEMPORAL_ADDRESS"] = f"127.0.0.1:{opts.port}"
    os.environ["CASEWORK_TEMPORAL_UI_PORT"] = str(opts.ui_port)
    os.environ["CASEWORK_API_PORT"] = str(opts.api_port)
    get_settings.cache_clear()
    return get_settings()


async def run_stack(
    opts: StackOptions,
    *,
    say: Callable[[str], None] = print,
    on_ready: Callable[[Stack], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Start the stack, call ``on_ready``, wait for SIGINT/SIGTERM (or ``stop``), stop it."""
    stack = Stack(opts, stack_settings(opts))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        await stack.start(say=say)
        from workers.worker import freeze_startup_heap

        freeze_startup_heap()
        if on_ready is not None:
            on_ready(stack)
        await stop.wait()
        say("stopping...")
    finally:
        await stack.stop()
        for sig in installed:
            loop.remove_signal_handler(sig)
