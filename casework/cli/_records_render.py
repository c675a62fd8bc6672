"""Rich tables of the records CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.table import Table

from casework.records.directory import PersonRecord
from casework.records.shapes import CasePublic, InboxTask, WorkloadRow
from casework.records.tokens import TokenInfo


def _ids_unwrapped(table: Table) -> Table:
    # Ids must stay copy-pasteable: never wrap the first column.
    table.columns[0].no_wrap = True
    return table


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def cases_table(rows: Sequence[CasePublic]) -> Table:
    """Cases, one per row."""
    table = Table(
        "case",
        "process",
        "status",
        "priority",
        "region",
        "team",
        "assignee",
        "sla",
        "opened",
        title=f"{len(rows)} case(s)",
    )
    for c in rows:
        table.add_row(
            c.case_id,
            f"{c.process}@{c.version}",
            c.status,
            c.priority or "",
            c.region or "",
            c.team or "",
            c.assignee or "",
            c.sla_state,
            _when(c.opened_at),
        )
    return _ids_unwrapped(table)


def tasks_table(rows: Sequence[InboxTask]) -> Table:
    """Tasks, one per row."""
    table = Table(
        "task",
        "name",
        "state",
        "role",
        "region",
        "assignee",
        "due",
        "created",
        title=f"{len(rows)} task(s)",
    )
    for t in rows:
        table.add_row(
            t.task_id,
            t.name,
            t.state,
            t.role or "",
            t.region or "",
            t.assignee or "",
            _when(t.due_at),
            _when(t.created_at),
        )
    return _ids_unwrapped(table)


def workload_table(rows: Sequence[WorkloadRow]) -> Table:
    """Workload per person."""
    table = Table(
        "person", "name", "team", "open", "claimed", "total", "oldest since", title="workload"
    )
    for r in rows:
        table.add_row(
            r.person,
            r.name,
            r.team or "",
            str(r.open),
            str(r.claimed),
            str(r.total),
            _when(r.oldest_at),
        )
    return _ids_unwrapped(table)


def people_table(rows: Sequence[PersonRecord]) -> Table:
    """People of the directory."""
    table = Table(
        "id", "name", "roles", "team", "region", "skills", "active", title=f"{len(rows)} people"
    )
    for p in rows:
        table.add_row(
            p.id,
            p.name,
            ",".join(p.roles),
            p.team or "",
            p.region or "",
            ",".join(p.skills),
            "yes" if p.active else "no",
        )
    return _ids_unwrapped(table)


def tokens_table(rows: Sequence[TokenInfo]) -> Table:
    """API tokens (no secrets)."""
    table = Table("id", "person", "label", "created", "last used", "revoked", title="API tokens")
    for t in rows:
        table.add_row(
            t.id,
            t.person_id,
            t.label,
            _when(t.created_at),
            _when(t.last_used_at),
            _when(t.revoked_at),
        )
    return _ids_unwrapped(table)
