"""People's commands for cases and tasks: ``casework case ...`` and ``casework task ...``.

Every command talks to the running workflows through :mod:`casework.client`
(live state, Updates, signals) and prints a table, or JSON with ``--json``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from casework.cli import _cases_render as render
from casework.cli._common import print_json
from casework.cli._values import BadValue, parse_sets
from casework.contracts import Actor, CaseView, TaskAction, TaskView
from casework.errors import ConfigError, NotFoundError
from casework.language.model import ApprovalStep, FieldSpec, TaskStep
from casework.language.plan import Plan
from casework.settings import get_settings

T = TypeVar("T")

case_app = typer.Typer(
    name="case", help="Open, inspect, signal and cancel cases.", no_args_is_help=True
)
task_app = typer.Typer(name="task", help="Claim, complete and decide tasks.", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Person acting (default: CASEWORK_USER).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="key=value, parsed by the field's type (repeatable).", show_default=False
    ),
]


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _actor(person: str | None) -> Actor:
    from casework.client import actor_for

    who = person or get_settings().user
    if not who:
        raise ConfigError(
            "no acting person", hint="pass --as PERSON or set CASEWORK_USER to your person id"
        )
    return actor_for(who)


def _plans() -> list[Plan]:
    """Shipped plans plus every version deployed in the records (when reachable)."""
    from casework.language.compiler import load_plans

    settings = get_settings()
    plans = {p.hash: p for p in load_plans(settings.definitions_dir, settings.policies_dir)}
    try:
        from casework.records.db import engine_from_settings
        from workers.worker import deployed_plans

        for plan in deployed_plans(engine_from_settings()):
            plans.setdefault(plan.hash, plan)
    except Exception:  # records not reachable or not migrated: shipped plans are enough
        pass
    return list(plans.values())


def _plan_for(process: str, version: int | None) -> Plan:
    plans = [p for p in _plans() if p.process == process]
    if not plans:
        raise NotFoundError("process", process, hint="see 'casework validate' and definitions/")
    if version is None:
        return max(plans, key=lambda p: p.version)
    for plan in plans:
        if plan.version == version:
            return plan
    known = ", ".join(str(p.version) for p in sorted(plans, key=lambda p: p.version))
    raise NotFoundError("process version", f"{process}@{version}", hint=f"known versions: {known}")


def _plan_by_hash(plan_hash: str) -> Plan | None:
    return next((p for p in _plans() if p.hash == plan_hash), None)


def _read_data(source: str | None) -> dict[str, Any]:
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadValue(f"--data {source}: cannot read the file: {exc.strerror}") from exc
    try:
        import yaml

        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise BadValue(f"--data {source}: not JSON or YAML: {first}") from exc
    if not isinstance(data, dict):
        raise BadValue(
            f"--data {source}: expected a mapping of case fields, got {type(data).__name__}"
        )
    return data


async def _client() -> Any:
    from casework.client import connect

    return await connect(get_settings())


@case_app.command("open")
def case_open(
    process: Annotated[str, typer.Argument(help="Process name, e.g. complaint-handling.")],
    data: Annotated[
        str | None, typer.Option("--data", help="JSON/YAML file of case fields, or - for stdin.")
    ] = None,
    sets: SetOpt = None,
    version: Annotated[
        int | None, typer.Option("--version", help="Process version (default: newest).")
    ] = None,
    person: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a case of PROCESS and show its first state."""
    from casework.client import open_case

    plan = _plan_for(process, version)
    fields = _read_data(data)
    fields.update(parse_sets(sets or [], plan.definition.case.fields, f"case schema of {process}"))
    actor = _actor(person)

    async def go() -> CaseView:
        return await open_case(await _client(), plan, fields, actor)

    view = _run(go())
    if as_json:
        print_json(view)
    else:
        render.case(view, opened=True)


@case_app.command("show")
def case_show(
    case_id: Annotated[str, typer.Argument(help="Case id, e.g. C-250101-ABC123.")],
    history: Annotated[int, typer.Option("--history", help="Timeline entries to show.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Show a case's live state: fields, tasks, SLA clocks, and its recent timeline."""
    from casework.client import case_state

    async def go() -> CaseView:
        return await case_state(await _client(), case_id)

    view = _run(go())
    events = _timeline(case_id, history)
    if as_json:
        print_json({"case": view, "timeline": events})
    else:
        render.case(view)
        render.timeline(events)


def _timeline(case_id: str, limit: int) -> list[dict[str, Any]]:
    """The case's timeline from the records, newest ``limit`` entries (empty when unavailable)."""
    if limit <= 0:
        return []
    try:
        from casework.records.db import engine_from_settings
        from casework.records.queries import case_timeline
    except ImportError:
        return []
    try:
        items: list[Any] = []
        after = 0
        while True:
            page = case_timeline(engine_from_settings(), case_id, after_seq=after, limit=200)
            items.extend(page.items)
            if page.next_cursor is None:
                break
            after = int(page.next_cursor)
    except Exception:  # records lag or are elsewhere: the live state is still shown
        return []
    return [i.model_dump(mode="json") for i in items[-limit:]]


@case_app.command("signal")
def case_signal(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    event: Annotated[str, typer.Argument(help="Outside event, e.g. customer_replied.")],
    sets: SetOpt = None,
    sender: Annotated[str, typer.Option("--sender", help="Who sends the event.")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Send an outside event to a case."""
    from casework.client import case_state, signal_case

    async def go() -> None:
        client = await _client()
        view = await case_state(client, case_id)
        plan = _plan_by_hash(view.plan_hash)
        fields: dict[str, FieldSpec] | None = None
        if plan is not None:
            spec = plan.definition.events.get(event)
            if spec is None:
                known = ", ".join(sorted(plan.definition.events)) or "none"
                raise BadValue(
                    f"process {plan.process} has no event {event!r}", hint=f"events: {known}"
                )
            fields = dict(spec.fields)
        payload = parse_sets(sets or [], fields, f"event {event}")
        await signal_case(client, case_id, event, payload, sender=sender)

    _run(go())
    if as_json:
        print_json({"case_id": case_id, "event": event, "sent": True})
    else:
        render.say(f"sent {event} to {case_id}")


@case_app.command("cancel")
def case_cancel(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the case is cancelled.")],
    person: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel a case (its open tasks are cancelled and the reason recorded)."""
    from casework.client import cancel_case

    actor = _actor(person)

    async def go() -> CaseView:
        return await cancel_case(await _client(), case_id, actor, reason)

    view = _run(go())
    if as_json:
        print_json(view)
    else:
        render.case(view)


@case_app.command("priority")
def case_priority(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    priority: Annotated[str, typer.Argument(help="low, normal, high or urgent.")],
    person: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a case's priority (its SLA targets follow)."""
    from casework.client import change_priority
    from casework.language.policies import PRIORITIES

    if priority not in PRIORITIES:
        raise BadValue(f"unknown priority {priority!r}", hint="use " + ", ".join(PRIORITIES))
    actor = _actor(person)

    async def go() -> CaseView:
        return await change_priority(await _client(), case_id, actor, priority)

    view = _run(go())
    if as_json:
        print_json(view)
    else:
        render.case(view)


def _form_fields(view: CaseView, step_id: str) -> dict[str, FieldSpec] | None:
    plan = _plan_by_hash(view.plan_hash)
    if plan is None:
        return None
    from casework.language.model import ParallelStep

    stack: list[Any] = list(plan.definition.steps)
    while stack:
        step = stack.pop()
        if isinstance(step, ParallelStep):
            for branch in step.branches:
                stack.extend(branch.steps)
        elif isinstance(step, TaskStep | ApprovalStep) and step.id == step_id:
            return dict(step.form)
    return None


def _task(
    verb: str,
    task_id: str,
    *,
    person: str | None,
    sets: list[str] | None = None,
    outcome: str | None = None,
    reason: str | None = None,
    comment: str | None = None,
    to: str | None = None,
    as_json: bool = False,
) -> None:
    from casework.client import case_state, split_task_id, task_action

    actor = _actor(person)
    case_id, step_id, _ = split_task_id(task_id)

    async def go() -> TaskView:
        client = await _client()
        form: dict[str, Any] = {}
        if sets:
            view = await case_state(client, case_id)
            form = parse_sets(sets, _form_fields(view, step_id), f"form of task {task_id}")
        action = TaskAction(
            task_id=task_id,
            actor=actor,
            form=form,
            outcome=outcome,
            reason=reason,
            comment=comment,
            assignee=to,
        )
        return await task_action(client, verb, action)

    task = _run(go())
    if as_json:
        print_json(task)
    else:
        render.task(task, verb)


OutcomeOpt = Annotated[str | None, typer.Option("--outcome", help="Outcome code of the task.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Reason code or text.")]
CommentOpt = Annotated[
    str | None, typer.Option("--comment", help="A comment kept with the action.")
]
TaskIdArg = Annotated[str, typer.Argument(help="Task id, e.g. C-250101-ABC123.review.1.")]


@task_app.command("claim")
def task_claim(task_id: TaskIdArg, person: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Claim a task: it becomes yours."""
    _task("claim", task_id, person=person, as_json=as_json)


@task_app.command("release")
def task_release(
    task_id: TaskIdArg, comment: CommentOpt = None, person: AsOpt = None, as_json: JsonOpt = False
) -> None:
    """Give a claimed task back to its queue."""
    _task("release", task_id, person=person, comment=comment, as_json=as_json)


@task_app.command("complete")
def task_complete(
    task_id: TaskIdArg,
    sets: SetOpt = None,
    outcome: OutcomeOpt = None,
    reason: ReasonOpt = None,
    comment: CommentOpt = None,
    person: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Complete a task with form values (--set) and an outcome."""
    _task(
        "complete",
        task_id,
        person=person,
        sets=sets,
        outcome=outcome,
        reason=reason,
        comment=comment,
        as_json=as_json,
    )


def _vote(verb: str) -> Any:
    def command(
        task_id: TaskIdArg,
        sets: SetOpt = None,
        reason: ReasonOpt = None,
        comment: CommentOpt = None,
        person: AsOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        _task(
            verb,
            task_id,
            person=person,
            sets=sets,
            reason=reason,
            comment=comment,
            as_json=as_json,
        )

    command.__doc__ = {
        "approve": "Approve an approval task.",
        "reject": "Reject an approval task.",
        "request_changes": "Send an approval back with requested changes.",
    }[verb]
    return command


task_app.command("approve")(_vote("approve"))
task_app.command("reject")(_vote("reject"))
task_app.command("request-changes")(_vote("request_changes"))


@task_app.command("reassign")
def task_reassign(
    task_id: TaskIdArg,
    to: Annotated[str, typer.Option("--to", help="Person id of the new assignee.")],
    comment: CommentOpt = None,
    person: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reassign a task to another person (supervisors)."""
    _task("reassign", task_id, person=person, to=to, comment=comment, as_json=as_json)


def register(app: typer.Typer) -> None:
    """Add the ``case`` and ``task`` command groups to ``app``."""
    app.add_typer(case_app)
    app.add_typer(task_app)


__all__ = ["case_app", "register", "task_app"]
