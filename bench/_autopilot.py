"""Drive a case of any shipped process along its main path (first outcome, approve, events)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from temporalio.client import Client

from activities.directory import PersonRecord, people_from_policies
from casework.client import case_state, open_case, signal_case, task_action
from casework.contracts import TERMINAL_STATUSES, Actor, TaskAction, TaskView
from casework.errors import CaseworkError
from casework.language.model import FieldSpec, ParallelStep, WaitStep
from casework.language.plan import Plan
from casework.settings import PROJECT_ROOT, Settings

PEOPLE = people_from_policies(PROJECT_ROOT / "policies")


def sample(spec: FieldSpec) -> Any:
    """A valid value for a field."""
    now = dt.datetime.now(dt.UTC)
    if spec.default is not None:
        return spec.default
    kind = spec.type
    if kind == "enum":
        return (spec.values or ["x"])[0]
    if kind == "list":
        return [(spec.values or ["x"])[0]] if spec.items == "enum" else []
    values: dict[str, Any] = {
        "string": "bench",
        "text": "bench",
        "integer": int(spec.min or 3),
        "number": spec.min or 1.0,
        "money": spec.min or 10.0,
        "boolean": True,
        "date": now.date().isoformat(),
        "datetime": now.isoformat(),
        "email": "bench@example.com",
        "phone": "+44 20 7946 0000",
    }
    return values.get(kind, "bench")


def fill(fields: dict[str, FieldSpec], *, everything: bool = False) -> dict[str, Any]:
    """Values for the required fields (or all fields)."""
    out = {k: sample(s) for k, s in fields.items() if s.required or everything}
    if "region" in fields:
        out["region"] = "emea"
    return out


def _actor(p: PersonRecord) -> Actor:
    return Actor(
        id=p.id,
        name=p.name,
        roles=list(p.roles),
        team=p.team,
        region=p.region,
        skills=list(p.skills),
    )


def candidates(task: TaskView, done_by: set[str]) -> list[Actor]:
    """People who may act on ``task``, people who have not acted yet first."""
    if task.assignee:
        ids = [task.assignee]
    elif task.person:
        ids = [task.person]
    elif task.eligible:
        ids = list(task.eligible)
    else:
        ids = [
            p.id
            for p in PEOPLE
            if (task.role is None or task.role in p.roles)
            and (task.team is None or p.team == task.team)
            and (task.region is None or p.region == task.region)
            and set(task.skills) <= set(p.skills)
        ]
    ids.sort(key=lambda i: i in done_by)
    by_id = {p.id: p for p in PEOPLE}
    return [_actor(by_id[i]) for i in ids if i in by_id]


def _steps(plan: Plan) -> dict[str, Any]:
    found: dict[str, Any] = {}
    stack: list[Any] = list(plan.definition.steps)
    while stack:
        step = stack.pop()
        found[step.id] = step
        if isinstance(step, ParallelStep):
            for b in step.branches:
                stack.extend(b.steps)
    return found


async def _act(
    client: Client, task: TaskView, form: dict[str, Any], done_by: set[str], opener: str
) -> bool:
    verb = "approve" if task.kind == "approval" else "complete"
    for person in candidates(task, done_by)[:6]:
        if person.id == opener and len(candidates(task, done_by)) > 1:
            continue
        outcomes: list[str | None] = list(task.outcomes[:3]) if verb == "complete" else []
        for outcome in outcomes or [None]:
            try:
                await task_action(
                    client,
                    verb,
                    TaskAction(
                        task_id=task.task_id, actor=person, form=form, outcome=outcome, reason=None
                    ),
                )
            except CaseworkError:
                continue
            done_by.add(person.id)
            return True
    return False


async def drive(
    client: Client, plan: Plan, settings: Settings, *, budget: float = 20.0
) -> tuple[str, str]:
    """Run one case of ``plan`` as far as possible; return (case id, how it ended)."""
    data = fill(plan.definition.case.fields)
    opener = Actor(id="grace", name="Grace", roles=["coordinator", "process-owner"], region="emea")
    view = await open_case(client, plan, data, opener, settings=settings)
    steps = _steps(plan)
    done_by: set[str] = {opener.id}
    signalled: set[str] = set()
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        view = await case_state(client, view.case_id)
        if view.status in TERMINAL_STATUSES:
            return view.case_id, f"{view.status}/{view.outcome}"
        acted = False
        for task in [t for t in view.tasks if t.state in ("open", "claimed")]:
            step = steps.get(task.step_id)
            form = fill(dict(getattr(step, "form", {}) or {}))
            acted = await _act(client, task, form, done_by, view.opened_by) or acted
        for sid in view.current_steps:
            step = steps.get(sid)
            if isinstance(step, WaitStep) and step.event and sid not in signalled:
                spec = plan.definition.events.get(step.event)
                await signal_case(
                    client, view.case_id, step.event, fill(dict(spec.fields) if spec else {})
                )
                signalled.add(sid)
                acted = True
        if not acted:
            await asyncio.sleep(0.2)
    return view.case_id, f"stopped at {', '.join(view.current_steps) or '?'} ({view.status})"
