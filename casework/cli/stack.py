"""``casework up`` (the whole stack on this machine) and ``casework worker``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from casework.cli._common import console, err_console
from casework.settings import get_settings


def _ui_port(configured: int, grpc_port: int) -> int:
    return configured if grpc_port == 7233 else grpc_port + 1000


def up(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data directory (default: CASEWORK_DATA_DIR).")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Temporal gRPC port.")] = 7233,
    ui_port: Annotated[int | None, typer.Option("--ui-port", help="Temporal Web UI port.")] = None,
    api_port: Annotated[int | None, typer.Option("--api-port", help="HTTP API port.")] = None,
    reports_port: Annotated[
        int, typer.Option("--reports-port", help="Port of the local Prefect server.")
    ] = 4200,
    no_api: Annotated[bool, typer.Option("--no-api", help="Do not start the HTTP API.")] = False,
    no_reports: Annotated[
        bool, typer.Option("--no-reports", help="Do not start the report schedule.")
    ] = False,
    untuned: Annotated[
        bool,
        typer.Option(
            "--untuned",
            help="Run Temporal without the SQLite, dynamic-config and GOMAXPROCS tuning.",
        ),
    ] = False,
) -> None:
    """Start Temporal, the records, a worker, the API and the report schedule; Ctrl-C stops all."""
    from casework.stack import Stack, StackOptions, run_stack

    settings = get_settings()
    opts = StackOptions(
        data_dir=(data_dir or settings.data_dir).resolve(),
        port=port,
        ui_port=ui_port if ui_port is not None else _ui_port(settings.temporal_ui_port, port),
        api=not no_api,
        reports=not no_reports,
        api_port=api_port if api_port is not None else settings.api_port,
        tuned=not untuned,
        reports_port=reports_port,
    )

    def ready(stack: Stack) -> None:
        table = Table(title="casework is up", show_header=True, header_style="bold")
        table.add_column("what")
        table.add_column("where")
        for what, where in stack.rows:
            table.add_row(what, where)
        console.print(table)
        console.print("Press Ctrl-C to stop everything.", markup=False)

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    # the development sink: every notification written to the outbox is also logged here
    from activities.notify import LogSink, set_sink

    set_sink(LogSink())
    logging.getLogger("casework.notify").setLevel(logging.INFO)

    def say(message: str) -> None:
        err_console.print(message, markup=False)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_stack(opts, say=say, on_ready=ready))
    err_console.print("stopped.", markup=False)


def worker(
    sandbox: Annotated[
        bool | None,
        typer.Option(
            "--sandbox/--no-sandbox",
            help=(
                "Run workflows in Temporal's determinism sandbox"
                " (default: CASEWORK_WORKER_SANDBOX, off)."
            ),
        ),
    ] = None,
) -> None:
    """Run one worker against the configured Temporal until Ctrl-C/SIGTERM."""
    from workers.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    err_console.print(
        f"worker on {settings.temporal_address} ({settings.temporal_namespace}), "
        f"task queue {settings.task_queue!r}; Ctrl-C stops",
        markup=False,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings, sandboxed=sandbox))


def register(app: typer.Typer) -> None:
    """Add ``up`` and ``worker`` to ``app``."""
    app.command("up")(up)
    app.command("worker")(worker)
