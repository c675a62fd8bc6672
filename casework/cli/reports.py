"""``casework report run|list|serve``: KPI reports, now or on their schedules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from casework.cli import _common
from casework.errors import CaseworkError

report_app = typer.Typer(
    name="report",
    help="KPI reports: run one now, list recent runs, serve the schedules (Prefect).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``report`` command group to ``app``."""
    app.add_typer(report_app, name="report")


def _run_with_prefect(name: str, params: dict[str, Any]) -> dict[str, Any]:
    from casework.reporting.specs import get_report

    get_report(name)  # unknown names fail plainly before Prefect starts
    _quiet_prefect()
    from workflows.reports import FLOWS

    result: dict[str, Any] = FLOWS[name](**params)
    return result


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@report_app.command("run")
def run(
    name: Annotated[
        str,
        typer.Argument(
            help="daily-operations, weekly-regional, sla-breach-digest or monthly-management."
        ),
    ],
    since: Annotated[
        str | None, typer.Option(help="Period start: YYYY-MM-DD (local midnight) or ISO instant.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Period end (excluded), same forms as --since.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="Only cases of this region.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Reports folder (default: CASEWORK_REPORTS_DIR or data/reports)."),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA zone the period is cut in (default Europe/London).")
    ] = None,
    prefect: Annotated[
        bool | None,
        typer.Option(
            "--prefect/--no-prefect",
            help="Run as a Prefect flow (default: only when PREFECT_API_URL is set).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Run one report now and print where its files are."""
    use_prefect = bool(os.environ.get("PREFECT_API_URL")) if prefect is None else prefect
    if use_prefect:
        params = {"since": since, "until": until, "region": region,
                  "out": str(out) if out else None, "timezone": timezone}  # fmt: skip
        outcome = _run_with_prefect(name, params)
    else:
        from casework.reporting.runner import run_report

        outcome = run_report(
            name, since=since, until=until, region=region, out=out, timezone=timezone
        ).as_json()
    if as_json:
        _common.print_json(outcome)
        return
    console = _common.console
    console.print(f"[bold]{outcome['report']}[/] run {outcome['run_id']}: {outcome['status']}")
    console.print(f"period {outcome['period_start']} to {outcome['period_end']}", highlight=False)
    if outcome.get("message"):
        console.print(outcome["message"], markup=False)
    for path in outcome.get("files") or []:
        console.print(f"  {path}", markup=False, highlight=False)


@report_app.command("list")
def list_runs(
    report: Annotated[str | None, typer.Option(help="Only runs of this report.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many runs.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show recent report runs and where their files are."""
    from casework.records.db import engine_from_settings
    from casework.reporting import runs
    from casework.reporting.specs import get_report

    if report:
        get_report(report)
    records = runs.list_runs(engine_from_settings(), report=report, limit=limit)
    if as_json:
        _common.print_json(
            [r.model_dump(mode="json") | {"directory": r.directory} for r in records]
        )
        return
    if not records:
        _common.console.print("No report runs yet (hint: casework report run daily-operations).")
        return
    for r in records:
        period = ""
        if r.period_start and r.period_end:
            period = f"{r.period_start:%Y-%m-%d %H:%M} -> {r.period_end:%Y-%m-%d %H:%M} UTC"
        print(f"{r.id}  {r.report:<20} {r.status:<18} {period}")
        print(f"    {r.directory or '(no files)'}")


@report_app.command("serve")
def serve(
    port: Annotated[
        int,
        typer.Option(
            help="Port of the local Prefect server started when PREFECT_API_URL is unset."
        ),
    ] = 4200,
    timezone: Annotated[
        str | None,
        typer.Option(help="Time zone of every schedule (default: each report's, Europe/London)."),
    ] = None,
) -> None:
    """Serve the report schedules with Prefect until Ctrl-C.

    With PREFECT_API_URL set (a Prefect server or Prefect Cloud with
    PREFECT_API_KEY) the deployments register there; otherwise a local Prefect
    server is started on 127.0.0.1:PORT with PREFECT_HOME in the data folder.
    """
    from casework.reporting.prefect_server import local_prefect_server

    if timezone:
        from casework.reporting.periods import zone

        zone(timezone)
    _quiet_prefect()
    if os.environ.get("PREFECT_API_URL"):
        _serve(timezone)
        return
    with local_prefect_server(port) as url:
        _common.console.print(f"Prefect UI and API at {url}", highlight=False)
        _serve(timezone)


def _serve(timezone: str | None) -> None:
    from workflows.reports import serve_reports

    try:
        serve_reports(timezone)
    except CaseworkError:
        raise
    except (OSError, RuntimeError) as exc:
        from casework.errors import ConfigError

        raise ConfigError(
            f"cannot serve the report schedules: {exc}",
            hint="check PREFECT_API_URL (and PREFECT_API_KEY for Prefect Cloud)",
        ) from exc
