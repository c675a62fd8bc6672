"""CLI commands of the records: db, records rebuild, cases, tasks, workload, token, people."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from sqlalchemy import Engine

from casework.cli import _common
from casework.cli._records_render import (
    cases_table,
    people_table,
    tasks_table,
    tokens_table,
    workload_table,
)
from casework.errors import CaseworkError, RecordsError

db_app = typer.Typer(help="The records database: migrations and directory.", no_args_is_help=True)
records_app = typer.Typer(help="Maintain the case records.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens of people.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", help="Page size (1-500).")]
CursorOpt = Annotated[
    str | None, typer.Option("--cursor", help="next_cursor of the previous page.")
]


def _engine() -> Engine:
    """Return the settings' records engine, refusing a database that is not migrated."""
    from casework.records.db import engine_from_settings, ensure_current

    engine = engine_from_settings()
    ensure_current(engine)
    return engine


def _date(value: str | None, option: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CaseworkError(
            f"{option}: {value!r} is not a date",
            hint="write YYYY-MM-DD or an ISO date-time like 2026-05-04T09:00Z",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _user(value: str | None) -> str:
    from casework.settings import get_settings

    user = value or get_settings().user
    if not user:
        raise CaseworkError("no acting person", hint="pass --as USER or set CASEWORK_USER")
    return user


def _print_next(cursor: str | None) -> None:
    if cursor:
        _common.console.print(f"more: --cursor {cursor}", markup=False, highlight=False)


@db_app.command("upgrade")
def db_upgrade(
    directory: Annotated[
        bool, typer.Option(help="Also load policies/directory.yaml into people and teams.")
    ] = True,
) -> None:
    """Migrate the records database to the newest schema."""
    from casework.records.db import engine_from_settings, upgrade
    from casework.records.directory import load_directory
    from casework.settings import get_settings

    settings = get_settings()
    revision = upgrade(settings.records_url())
    print(f"records database at revision {revision}")
    if directory and (settings.policies_dir / "directory.yaml").is_file():
        loaded = load_directory(engine_from_settings())
        print(f"directory: {loaded.people} people, {loaded.teams} teams")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the records database."""
    from casework.records.db import current_revision, head_revision
    from casework.settings import get_settings

    current = current_revision(get_settings().records_url())
    head = head_revision()
    if current != head:
        raise RecordsError(
            f"the records database is at revision {current or 'none'}, casework needs {head}",
            hint="run `casework db upgrade`",
        )
    print(f"{current} (up to date)")


@db_app.command("load-directory")
def db_load_directory(
    path: Annotated[str | None, typer.Argument(help="Policy file with a directory.")] = None,
) -> None:
    """Load people and teams from the directory policy file (others become inactive)."""
    from casework.records.directory import load_directory

    loaded = load_directory(_engine(), path)
    gone = ", ".join(loaded.deactivated_people) or "none"
    print(f"directory: {loaded.people} people, {loaded.teams} teams; deactivated: {gone}")


@records_app.command("rebuild")
def records_rebuild(
    case_id: Annotated[str | None, typer.Argument(help="The case to rebuild.")] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="Rebuild every case.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Rebuild case records from the Temporal histories (idempotent)."""
    import asyncio

    from casework.client import connect
    from casework.language.compiler import load_plans
    from casework.records.rebuild import RebuildResult, rebuild
    from casework.settings import get_settings
    from workers.worker import fill_registry

    if (case_id is None) == (not all_cases):
        raise CaseworkError("give a CASE_ID or --all", hint="casework records rebuild C-... ")
    engine = _engine()
    settings = get_settings()
    # the histories replay on the workflow code, which resolves the plans the cases ran
    fill_registry(load_plans(settings.definitions_dir, settings.policies_dir), engine, deploy=False)

    async def run() -> RebuildResult:
        client = await connect()
        return await rebuild(client, engine, case_id, all_cases=all_cases)

    result = asyncio.run(run())
    if json_out:
        _common.print_json(result)
    else:
        print(
            f"rebuilt {len(result.cases)} case(s): {result.runs} run(s), "
            f"{result.batches} batch(es), {result.new_events} new event(s)"
        )


def cases_command(
    status: Annotated[str | None, typer.Option(help="open, waiting, resolved...")] = None,
    process: Annotated[str | None, typer.Option()] = None,
    region: Annotated[str | None, typer.Option()] = None,
    team: Annotated[str | None, typer.Option()] = None,
    priority: Annotated[str | None, typer.Option()] = None,
    assignee: Annotated[str | None, typer.Option()] = None,
    customer: Annotated[str | None, typer.Option()] = None,
    sla: Annotated[str | None, typer.Option(help="on-track, at-risk or breached.")] = None,
    opened_since: Annotated[str | None, typer.Option(help="YYYY-MM-DD (UTC).")] = None,
    opened_until: Annotated[str | None, typer.Option(help="YYYY-MM-DD (UTC), exclusive.")] = None,
    limit: LimitOpt = 50,
    cursor: CursorOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List cases from the records, newest first."""
    from casework.records.queries import list_cases, normalise_sla

    if sla is not None:
        sla = normalise_sla(sla)
    page = list_cases(
        _engine(),
        status=status.split(",") if status and "," in status else status,
        process=process,
        region=region,
        team=team,
        priority=priority,
        assignee=assignee,
        customer=customer,
        sla=sla,
        opened_since=_date(opened_since, "--opened-since"),
        opened_until=_date(opened_until, "--opened-until"),
        limit=limit,
        cursor=cursor,
    )
    if json_out:
        _common.print_json(page)
        return
    _common.console.print(cases_table(page.items))
    _print_next(page.next_cursor)


def tasks_command(
    mine: Annotated[bool, typer.Option("--mine", help="Only tasks assigned to me.")] = False,
    role: Annotated[str | None, typer.Option()] = None,
    region: Annotated[str | None, typer.Option()] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Person id (or CASEWORK_USER).")
    ] = None,
    limit: LimitOpt = 50,
    cursor: CursorOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List the tasks you may take (your inbox), oldest first."""
    from casework.records.queries import inbox

    page = inbox(
        _engine(),
        person=_user(as_user),
        mine=mine,
        role=role,
        region=region,
        limit=limit,
        cursor=cursor,
    )
    if json_out:
        _common.print_json(page)
        return
    _common.console.print(tasks_table(page.items))
    _print_next(page.next_cursor)


def workload_command(
    team: Annotated[
        str | None, typer.Option(help="Only this team (lists idle members too).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show open and claimed tasks per person, the oldest work first."""
    from casework.records.queries import workload

    rows = workload(_engine(), team=team)
    if json_out:
        _common.print_json(rows)
        return
    _common.console.print(workload_table(rows))


def people_command(
    team: Annotated[str | None, typer.Option()] = None,
    inactive: Annotated[bool, typer.Option("--inactive", help="Include inactive people.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """List the people of the directory as the records hold them."""
    from casework.records.directory import list_people

    rows = list_people(_engine(), team=team, include_inactive=inactive)
    if json_out:
        _common.print_json(rows)
        return
    _common.console.print(people_table(rows))


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="Person id the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Create an API token; the secret is printed once, keep it."""
    from casework.records.tokens import create_token

    secret = create_token(_engine(), person_id=user, label=label)
    if json_out:
        _common.print_json({"person_id": user, "label": label, "token": secret})
    else:
        print(secret)


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this person's.")] = None,
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """List API tokens (never their secrets)."""
    from casework.records.tokens import list_tokens

    rows = list_tokens(_engine(), person_id=user, include_revoked=revoked)
    if json_out:
        _common.print_json(rows)
        return
    _common.console.print(tokens_table(rows))


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="Token id (see token list).")],
) -> None:
    """Revoke an API token."""
    from casework.records.tokens import revoke_token

    info = revoke_token(_engine(), token_id)
    print(f"token {info.id} of {info.person_id} revoked")


def register(app: typer.Typer) -> None:
    """Add the records commands to ``app``."""
    app.add_typer(db_app, name="db")
    app.add_typer(records_app, name="records")
    app.add_typer(token_app, name="token")
    app.command("cases")(cases_command)
    app.command("tasks")(tasks_command)
    app.command("workload")(workload_command)
    app.command("people")(people_command)
