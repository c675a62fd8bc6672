"""Tables for ``casework case`` and ``casework task`` output."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rich.table import Table

from casework.cli._common import console
from casework.contracts import CaseView, ClockView, TaskView


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def say(message: str) -> None:
    """Print one plain line."""
    console.print(message, markup=False, highlight=False)


def _clock(clock: ClockView) -> str:
    state = clock.state + (" (at risk)" if clock.at_risk and clock.state == "running" else "")
    if clock.state == "paused":
        return f"{state}, {clock.paused_seconds}s paused"
    return f"{state}, due {_when(clock.deadline)}"


def case(view: CaseView, *, opened: bool = False) -> None:
    """Print a case: header, fields, tasks and SLA clocks."""
    head = "opened" if opened else "case"
    say(f"{head} {view.case_id}  {view.process}@{view.version}  status={view.status}")
    info = Table(show_header=False, box=None, pad_edge=False)
    info.add_column(style="bold")
    info.add_column()
    for label, value in (
        ("title", view.title),
        ("priority", view.priority),
        ("region", view.region),
        ("team", view.team),
        ("assignee", view.assignee),
        ("customer", view.customer),
        ("opened", f"{_when(view.opened_at)} by {view.opened_by}"),
        ("sla", view.sla_state),
        ("escalation", view.escalation_level or None),
        ("outcome", view.outcome),
        ("reason", view.reason),
        ("at steps", ", ".join(view.current_steps) or None),
    ):
        if value not in (None, ""):
            info.add_row(label, _text(value))
    console.print(info)
    if view.data:
        fields = Table(title="fields", title_justify="left", show_header=True)
        fields.add_column("field")
        fields.add_column("value")
        for key in sorted(view.data):
            fields.add_row(key, _text(view.data[key]))
        console.print(fields)
    open_tasks = [t for t in view.tasks if t.state in ("open", "claimed")]
    if open_tasks:
        console.print(_tasks_table(open_tasks, "open tasks"))
    if view.clocks:
        clocks = Table(title="SLA clocks", title_justify="left")
        clocks.add_column("clock")
        clocks.add_column("target")
        clocks.add_column("state")
        for c in view.clocks:
            target = f"{c.target_seconds // 3600}h{(c.target_seconds % 3600) // 60:02d}"
            clocks.add_row(c.name, target + (" business" if c.business else ""), _clock(c))
        console.print(clocks)


def _tasks_table(tasks: list[TaskView], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("task", "name", "state", "for", "assignee", "due", "outcomes"):
        table.add_column(col)
    for t in tasks:
        who = t.person or " ".join(x for x in (t.role, t.team, t.region) if x) or "-"
        table.add_row(
            t.task_id,
            t.name,
            t.state,
            who,
            t.assignee or "-",
            _when(t.due_at),
            ", ".join(t.outcomes) or "-",
        )
    return table


def task(view: TaskView, verb: str) -> None:
    """Print a task after an action."""
    done = {
        "claim": "claimed",
        "release": "released",
        "reassign": "reassigned",
        "complete": "completed",
        "approve": "approved",
        "reject": "rejected",
        "request_changes": "sent back",
    }.get(verb, verb)
    say(f"{done} {view.task_id}: state={view.state} assignee={view.assignee or '-'}")
    console.print(_tasks_table([view], "task"))


def timeline(events: list[dict[str, Any]]) -> None:
    """Print timeline entries (from the records)."""
    if not events:
        return
    table = Table(title="timeline", title_justify="left")
    for col in ("seq", "at", "kind", "actor", "step"):
        table.add_column(col)
    for e in events:
        at = dt.datetime.fromisoformat(str(e["at"])) if e.get("at") else None
        table.add_row(
            str(e["seq"]), _when(at), e["kind"], e.get("actor") or "-", e.get("step_id") or "-"
        )
    console.print(table)
