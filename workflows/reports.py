"""Prefect 3 flows publishing the KPI reports, and their scheduled deployments.

Flows (one per report in ``casework.reporting.specs.REPORTS``): ``daily-operations``,
``weekly-regional``, ``sla-breach-digest``, ``monthly-management``. Each records
the run in ``report_runs``, computes the KPIs in SQL, writes HTML + CSV + JSON to
``<reports dir>/<report>/<run-id>/`` and publishes a table and a markdown artifact.

Importing this module has no side effects; ``casework report serve`` calls
:func:`serve_reports`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, serve, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import Flow
from prefect.schedules import Cron
from sqlalchemy import Engine

from casework.reporting._format import fmt_measure
from casework.reporting.build import Report, build_report, new_run_id
from casework.reporting.periods import Period
from casework.reporting.render import write_files
from casework.reporting.runner import reports_root, resolve_period, run_directory, summary_of
from casework.reporting.runs import record_finish, record_start
from casework.reporting.specs import REPORTS, get_report

_ENGINES: dict[str, Engine] = {}


def _engine(database_url: str | None) -> Engine:
    from casework.records.db import engine_from_settings, make_engine

    if not database_url:
        return engine_from_settings()
    if database_url not in _ENGINES:
        _ENGINES[database_url] = make_engine(database_url)
    return _ENGINES[database_url]


@task(name="start-run", retries=3, retry_delay_seconds=2, cache_policy=NONE)
def start_run(
    database_url: str | None, run_id: str, report: str, period: Period, region: str | None
) -> None:
    """Insert the run into ``report_runs`` as ``running``."""
    record_start(_engine(database_url), run_id, report, period, region, dt.datetime.now(dt.UTC))


@task(name="compute-kpis", retries=2, retry_delay_seconds=5, cache_policy=NONE)
def compute_report(
    database_url: str | None,
    report: str,
    run_id: str,
    period: Period,
    region: str | None,
    now: dt.datetime | None,
) -> Report:
    """Compute every section of the report in SQL."""
    with _engine(database_url).connect() as conn:
        result = build_report(
            conn, get_report(report), period, region=region, now=now, run_id=run_id
        )
    get_run_logger().info(
        "%s: %s (SQL %.2f s of %.2f s)",
        report,
        result.status,
        result.sql_seconds,
        result.total_seconds,
    )
    return result


@task(name="write-files", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def write_report_files(report: Report, out: str | None) -> list[str]:
    """Write HTML, CSV and JSON into ``<out>/<report>/<run-id>/``."""
    directory = run_directory(reports_root(out), report.report, report.run_id)
    return [str(p) for p in write_files(report, directory)]


@task(name="record-run", retries=3, retry_delay_seconds=2, cache_policy=NONE)
def finish_run(
    database_url: str | None, run_id: str, status: str, files: list[str], summary: dict[str, Any]
) -> None:
    """Mark the run finished in ``report_runs``."""
    record_finish(_engine(database_url), run_id, status, files, summary)


def _summary_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for section in report.sections:
        if section.by is not None:
            continue
        for kpi in section.kpis:
            rows.append(
                {
                    "kpi": kpi.title,
                    "value": fmt_measure(kpi.headline, kpi.value()),
                    "previous": fmt_measure(kpi.headline, kpi.value(previous=True)),
                    "over": f"{kpi.current.get('all', {}).get(kpi.count) or 0} {kpi.count}",
                }
            )
    return rows


@task(name="publish-artifacts", retries=1, cache_policy=NONE)
def publish_artifacts(report: Report, files: list[str]) -> None:
    """Publish the headline table and a markdown summary as Prefect artifacts."""
    key = report.report  # lowercase and dashes: a valid artifact key
    rows = _summary_rows(report)
    if report.breaches:
        rows = [
            {"case": b["case_id"], "clock": b["clock"], "sla": b["sla"], "region": b["region"]}
            for b in report.breaches
        ]
    if rows:
        create_table_artifact(rows, key=f"{key}-table", description=f"{report.title}: headlines")
    lines = [
        f"# {report.title}",
        "",
        f"**Period:** {report.period_label}"
        + (f" · region {report.region}" if report.region else ""),
        f"**Status:** {report.status}",
    ]
    if report.message:
        lines += ["", f"> {report.message}"]
    if rows:
        cols = list(rows[0])
        lines += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    if files:
        lines += ["", "**Files:**", *[f"- `{f}`" for f in files]]
    create_markdown_artifact("\n".join(lines), key=f"{key}-summary", description=report.title)


def _run(
    name: str,
    *,
    since: str | None,
    until: str | None,
    region: str | None,
    out: str | None,
    timezone: str | None,
    database_url: str | None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    spec = get_report(name)
    period = resolve_period(spec, since=since, until=until, timezone=timezone, now=now)
    run_id = new_run_id()
    start_run(database_url, run_id, spec.name, period, region)
    try:
        report = compute_report(database_url, spec.name, run_id, period, region, now)
        files = [] if report.status == "nothing_to_report" else write_report_files(report, out)
    except Exception as exc:
        finish_run(database_url, run_id, "failed", [], {"error": str(exc).splitlines()[0]})
        raise
    summary = summary_of(report)
    finish_run(database_url, run_id, report.status, files, summary)
    publish_artifacts(report, files)
    return {
        "run_id": run_id,
        "report": spec.name,
        "status": report.status,
        "message": report.message,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "files": files,
        "summary": summary,
    }


@flow(name="daily-operations", description=REPORTS["daily-operations"].description)
def daily_operations(
    since: str | None = None,
    until: str | None = None,
    region: str | None = None,
    out: str | None = None,
    timezone: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Yesterday's KPIs and the backlog now."""
    return _run("daily-operations", since=since, until=until, region=region, out=out,
                timezone=timezone, database_url=database_url)  # fmt: skip


@flow(name="weekly-regional", description=REPORTS["weekly-regional"].description)
def weekly_regional(
    since: str | None = None,
    until: str | None = None,
    region: str | None = None,
    out: str | None = None,
    timezone: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Last week's KPIs per region, for the coordinators' meeting."""
    return _run("weekly-regional", since=since, until=until, region=region, out=out,
                timezone=timezone, database_url=database_url)  # fmt: skip


@flow(name="sla-breach-digest", description=REPORTS["sla-breach-digest"].description)
def sla_breach_digest(
    since: str | None = None,
    until: str | None = None,
    region: str | None = None,
    out: str | None = None,
    timezone: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Breached and at-risk open cases; records 'nothing to report' when there are none."""
    return _run("sla-breach-digest", since=since, until=until, region=region, out=out,
                timezone=timezone, database_url=database_url)  # fmt: skip


@flow(name="monthly-management", description=REPORTS["monthly-management"].description)
def monthly_management(
    since: str | None = None,
    until: str | None = None,
    region: str | None = None,
    out: str | None = None,
    timezone: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """The month's trends, policy changes approved and training progress."""
    return _run("monthly-management", since=since, until=until, region=region, out=out,
                timezone=timezone, database_url=database_url)  # fmt: skip


#: Report name -> its flow.
FLOWS: dict[str, Flow[..., dict[str, Any]]] = {
    "daily-operations": daily_operations,
    "weekly-regional": weekly_regional,
    "sla-breach-digest": sla_breach_digest,
    "monthly-management": monthly_management,
}


def deployments(timezone: str | None = None) -> list[RunnerDeployment]:
    """Return one scheduled deployment per report (cron in the report's time zone).

    Args:
        timezone: Override every schedule's time zone (default: each report's own).
    """
    out = []
    for name, fl in FLOWS.items():
        spec = REPORTS[name]
        tz = timezone or spec.timezone
        deployment = fl.to_deployment(
            name=f"{name}-scheduled",
            schedule=Cron(spec.cron, timezone=tz),
            tags=["casework", "reports"],
            description=f"{spec.description} Cron {spec.cron!r} in {tz}.",
            parameters={"timezone": tz},
        )
        assert isinstance(deployment, RunnerDeployment)  # sync call: not a coroutine
        out.append(deployment)
    return out


def serve_reports(timezone: str | None = None) -> None:
    """Serve every report deployment until interrupted (needs a Prefect API)."""
    serve(*deployments(timezone), print_starting_message=True)


if __name__ == "__main__":
    serve_reports()
