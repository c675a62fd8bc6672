"""CLI commands of the definition language: validate, schema, diagram, show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from casework.cli import _common
from casework.errors import NotFoundError
from casework.language.plan import Plan
from casework.settings import get_settings


def _paths(paths: list[Path] | None) -> list[Path]:
    settings = get_settings()
    if paths:
        return list(paths)
    return [p for p in (settings.definitions_dir, settings.policies_dir) if p.exists()]


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or directories (default: the definitions and policies dirs)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
) -> None:
    """Validate and lint definitions and policies; exit 2 when there are errors."""
    from casework.language.lint import all_diagnostics
    from casework.language.loader import expand_paths, load_workspace

    settings = get_settings()
    files = expand_paths(_paths(paths))
    ws = load_workspace(files)
    known: dict[str, set[int]] = {}
    if paths:
        if not any(f.kind == "policy" for f in ws.files) and settings.policies_dir.exists():
            # a definition alone still needs the policies it references
            ws = load_workspace([*files, settings.policies_dir])
        if settings.definitions_dir.exists():
            # and the shipped processes its subprocess steps may start
            for f in load_workspace([settings.definitions_dir]).definitions:
                known.setdefault(f.model.process, set()).add(f.model.version)
    shown = {str(f) for f in files}
    found = all_diagnostics(ws, known_processes=known)
    diagnostics = [d for d in found if d.path in shown]
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    summary = (
        f"{len(files)} file{'s' if len(files) != 1 else ''}, "
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )
    if as_json:
        report: dict[str, Any] = {
            "files": len(files),
            "errors": errors,
            "warnings": warnings,
            "diagnostics": [
                {
                    "path": d.path,
                    "line": d.line,
                    "column": d.column,
                    "severity": d.severity,
                    "code": d.code,
                    "message": d.message,
                    "hint": d.hint,
                }
                for d in diagnostics
            ],
        }
        print(json.dumps(report, indent=2))
    else:
        for d in diagnostics:
            print(d.render())
        print(summary)
    if errors:
        raise typer.Exit(2)


def schema(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the schema files into this directory.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Print only 'definition' or 'policy'.")
    ] = None,
) -> None:
    """Print (or write with --out) the JSON Schemas of definition and policy files."""
    from casework.language.schema import SCHEMAS, render, write_schemas

    if out is not None:
        for path in write_schemas(out):
            print(path)
        return
    names = list(SCHEMAS)
    if kind is not None:
        names = [n for n in names if n.startswith(f"{kind}.")]
        if not names:
            raise typer.BadParameter("use 'definition' or 'policy'", param_hint="--kind")
    if len(names) == 1:
        print(render(names[0]), end="")
    else:
        print(json.dumps({n: json.loads(render(n)) for n in names}, indent=2, sort_keys=True))


def _plans(process: str) -> list[Plan]:
    from casework.language.compiler import load_plans

    settings = get_settings()
    plans = [
        p
        for p in load_plans(settings.definitions_dir, settings.policies_dir)
        if p.process == process
    ]
    if not plans:
        raise NotFoundError(
            "process", process, hint="run 'casework validate' and check definitions/"
        )
    return plans


def _pick(plans: list[Plan], version: int | None) -> Plan:
    if version is None:
        return plans[-1]
    for p in plans:
        if p.version == version:
            return p
    known = ", ".join(str(p.version) for p in plans)
    raise NotFoundError(
        "process version", f"{plans[0].process}@{version}", hint=f"versions: {known}"
    )


def diagram(
    process: Annotated[str, typer.Argument(help="Process name, e.g. complaint-handling.")],
    version: Annotated[
        int | None, typer.Option("--version", help="Version (default: latest).")
    ] = None,
) -> None:
    """Print a Mermaid flowchart of a process."""
    from casework.language.diagram import to_mermaid

    print(to_mermaid(_pick(_plans(process), version)), end="")


def _summary(plan: Plan, versions: list[int]) -> dict[str, Any]:
    from casework.language._walk import iter_located

    d = plan.definition
    steps = [
        {
            "id": s.id,
            "kind": s.kind,
            "name": s.name or "",
            "next": s.next,
            "branch": branch,
        }
        for s, _, branch in iter_located(d.steps)
    ]
    targets = (
        {k: t.model_dump() for k, t in plan.sla.targets.items()} if plan.sla is not None else {}
    )
    return {
        "process": plan.process,
        "version": plan.version,
        "title": d.title,
        "owner": d.owner,
        "versions": versions,
        "roles": d.roles,
        "sla_policy": plan.sla.name if plan.sla else None,
        "sla_time": plan.sla.time if plan.sla else None,
        "sla_targets": targets,
        "ladder": plan.ladder.name if plan.ladder else None,
        "hash": plan.hash,
        "steps": steps,
    }


def show(
    process: Annotated[str, typer.Argument(help="Process name, e.g. complaint-handling.")],
    version: Annotated[
        int | None, typer.Option("--version", help="Version (default: latest).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Summarise a process: title, owner, versions, steps, roles, SLA targets, hash."""
    from rich.table import Table

    plans = _plans(process)
    plan = _pick(plans, version)
    info = _summary(plan, [p.version for p in plans])
    if as_json:
        _common.print_json(info)
        return
    c = _common.console
    c.print(f"[bold]{info['title']}[/bold]  ({plan.process} v{plan.version})", highlight=False)
    c.print(f"owner: {info['owner']}", markup=False, highlight=False)
    c.print(f"versions: {', '.join(map(str, info['versions']))}", markup=False, highlight=False)
    c.print(f"roles: {', '.join(info['roles']) or '-'}", markup=False, highlight=False)
    c.print(f"hash: {plan.hash}", markup=False, highlight=False)
    table = Table(title="steps")
    for col in ("id", "kind", "name", "next", "branch"):
        table.add_column(col)
    for s in info["steps"]:
        table.add_row(s["id"], s["kind"], s["name"], s["next"] or "-", s["branch"] or "")
    c.print(table)
    if info["sla_targets"]:
        sla = Table(title=f"SLA {info['sla_policy']} ({info['sla_time']} time)")
        for col in ("priority", "first response", "resolution"):
            sla.add_column(col)
        for prio, t in info["sla_targets"].items():
            sla.add_row(prio, t["first_response"], t["resolution"])
        c.print(sla)


def register(app: typer.Typer) -> None:
    """Add the language commands to ``app``."""
    app.command()(validate)
    app.command()(schema)
    app.command()(diagram)
    app.command()(show)
