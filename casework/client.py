"""The case and task helpers the CLI and API share, and the Temporal client they use.

Every function here turns Temporal failures into :mod:`casework.errors`
classes, so callers print one clear line instead of a gRPC traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from casework._connect import connect as connect
from casework._connect import tls_config as tls_config
from casework.contracts import (
    Actor,
    CaseAction,
    CaseEvent,
    CaseView,
    OutsideEvent,
    StartCase,
    TaskAction,
    TaskView,
)
from casework.errors import (
    CaseworkError,
    ConfigError,
    EngineUnavailableError,
    NotFoundError,
    TaskActionRejected,
)
from casework.language.plan import Plan
from casework.search_attributes import initial_search_attributes
from casework.settings import Settings, get_settings

#: Workflow type name of the interpreter (see docs/design.md).
WORKFLOW_TYPE = "CaseWorkflow"
#: Task Updates the workflow accepts, by CLI verb.
TASK_UPDATES: tuple[str, ...] = (
    "claim",
    "release",
    "reassign",
    "complete",
    "approve",
    "reject",
    "request_changes",
)


#: Fresh ids tried when a generated case id is taken already.
NEW_ID_ATTEMPTS = 5


def new_case_id(now: dt.datetime | None = None) -> str:
    """Return a fresh case id ``C-YYMMDD-XXXXXX`` (UTC date, six uppercase hex digits)."""
    now = now or dt.datetime.now(dt.UTC)
    return f"C-{now:%y%m%d}-{secrets.token_hex(3).upper()}"


def split_task_id(task_id: str) -> tuple[str, str, int]:
    """Split ``{case_id}.{step_id}.{visit}`` into its parts.

    Raises:
        NotFoundError: When the id does not have that shape.
    """
    parts = task_id.split(".")
    if len(parts) != 3 or not parts[2].isdigit() or not parts[0] or not parts[1]:
        raise NotFoundError("task", task_id, hint="task ids look like C-250101-ABC123.review.1")
    return parts[0], parts[1], int(parts[2])


def _validate_data(plan: Plan, data: dict[str, Any]) -> dict[str, Any]:
    try:
        from workflows._data import validate_case_data  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return data
    result = validate_case_data(plan, data)
    return dict(result) if isinstance(result, dict) else data


def _rpc_error(exc: RPCError, case_id: str) -> CaseworkError:
    if exc.status == RPCStatusCode.NOT_FOUND:
        return NotFoundError("case", case_id, hint="check the id with 'casework case show'")
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return EngineUnavailableError(
            f"Temporal did not answer for case {case_id}: {exc.message}",
            hint="is 'casework up' (or a worker) running?",
        )
    return CaseworkError(f"case {case_id}: {exc.message}")


async def _query_state(handle: WorkflowHandle[Any, Any], case_id: str, wait: float) -> CaseView:
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            view = await handle.query("state", result_type=CaseView)
        except RPCError as exc:
            # a query before the first workflow task finished, or with no worker yet
            if (
                exc.status == RPCStatusCode.NOT_FOUND
                or asyncio.get_running_loop().time() > deadline
            ):
                raise _rpc_error(exc, case_id) from exc
            await asyncio.sleep(0.05)
            continue
        except Exception as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise CaseworkError(f"case {case_id}: state query failed: {exc}") from exc
            await asyncio.sleep(0.05)
            continue
        if not isinstance(view, CaseView):
            return CaseView.model_validate(view)
        return view


async def open_case(
    client: Client,
    plan: Plan,
    data: dict[str, Any],
    actor: Actor,
    *,
    case_id: str | None = None,
    parent_case_id: str | None = None,
    settings: Settings | None = None,
    wait: float = 15.0,
) -> CaseView:
    """Start a case of ``plan`` and return its first state.

    Args:
        client: A connected client.
        plan: The compiled plan (must be registered on the workers).
        data: Case fields; validated against the case schema when the engine provides it.
        actor: Who opens the case.
        case_id: Use this id instead of a fresh one.
        parent_case_id: The parent case, for child cases.
        settings: Settings (task queue); default :func:`get_settings`.
        wait: Seconds to wait for the first state query.

    Raises:
        CaseworkError: When a case with the id already exists or the data are invalid.
        EngineUnavailableError: When Temporal does not answer.
    """
    settings = settings or get_settings()
    data = _validate_data(plan, data)
    ids = [case_id] if case_id else [new_case_id() for _ in range(NEW_ID_ATTEMPTS)]
    for cid in ids:
        try:
            handle = await _start(client, plan, data, actor, cid, parent_case_id, settings)
        except WorkflowAlreadyStartedError as exc:
            # six hex digits a day: a region opening 10,000 cases a day draws a taken
            # id about once in 1,700 openings, so a generated id is drawn again
            if cid != ids[-1]:
                continue
            raise _taken(cid) from exc
        return await _query_state(handle, cid, wait)
    raise AssertionError("unreachable: at least one case id is tried")


def _taken(case_id: str) -> CaseworkError:
    return CaseworkError(f"case {case_id} already exists", hint="use a new case id")


async def _start(
    client: Client,
    plan: Plan,
    data: dict[str, Any],
    actor: Actor,
    case_id: str,
    parent_case_id: str | None,
    settings: Settings,
) -> WorkflowHandle[Any, Any]:
    start = StartCase(plan=plan.ref, data=data, opened_by=actor.id, parent_case_id=parent_case_id)
    try:
        return await client.start_workflow(
            WORKFLOW_TYPE,
            start,
            id=case_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=initial_search_attributes(plan, data),
            static_summary=f"{plan.process}@{plan.version}",
        )
    except WorkflowAlreadyStartedError:
        raise
    except RPCError as exc:
        if exc.status == RPCStatusCode.ALREADY_EXISTS:
            raise _taken(case_id) from exc
        if (
            exc.status == RPCStatusCode.INVALID_ARGUMENT
            and "search attribute" in exc.message.lower()
        ):
            raise ConfigError(
                f"Temporal does not know casework's search attributes: {exc.message}",
                hint="start Temporal with 'casework up' or register them with "
                "'temporal operator search-attribute create'",
            ) from exc
        raise _rpc_error(exc, case_id) from exc
    except Exception as exc:  # pragma: no cover - connection dropped between calls
        raise EngineUnavailableError(f"cannot start case {case_id}: {exc}") from exc


def _handle(client: Client, case_id: str) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(case_id)


async def case_state(client: Client, case_id: str) -> CaseView:
    """Return the live state of a case (the workflow's ``state`` query).

    Raises:
        NotFoundError: When no such case exists.
    """
    return await _query_state(_handle(client, case_id), case_id, 2.0)


async def case_timeline(client: Client, case_id: str) -> list[CaseEvent]:
    """Return the events the workflow still holds for a case (``timeline`` query)."""
    try:
        events = await _handle(client, case_id).query("timeline", result_type=list[CaseEvent])
    except RPCError as exc:
        raise _rpc_error(exc, case_id) from exc
    return [e if isinstance(e, CaseEvent) else CaseEvent.model_validate(e) for e in events]


async def signal_case(
    client: Client, case_id: str, event: str, payload: dict[str, Any], *, sender: str = "external"
) -> None:
    """Send an outside event (a signal named after the event) to a case.

    Raises:
        NotFoundError: When no such case exists or it has finished.
    """
    try:
        await _handle(client, case_id).signal(event, OutsideEvent(payload=payload, sender=sender))
    except RPCError as exc:
        raise _rpc_error(exc, case_id) from exc


def _rejection(exc: WorkflowUpdateFailedError) -> TaskActionRejected:
    cause: BaseException | None = exc.cause
    while cause is not None and not isinstance(cause, ApplicationError) and cause.__cause__:
        cause = cause.__cause__
    if isinstance(cause, ApplicationError):
        code = "rejected"
        if cause.details and isinstance(cause.details[0], dict):
            code = str(cause.details[0].get("code", code))
        elif cause.type and cause.type not in ("ValueError", "ApplicationError"):
            code = cause.type
        return TaskActionRejected(cause.message or str(cause), code=code)
    return TaskActionRejected(str(cause or exc))


async def _update(
    handle: WorkflowHandle[Any, Any], case_id: str, name: str, arg: Any, result: type
) -> Any:
    try:
        return await handle.execute_update(name, arg, result_type=result)
    except WorkflowUpdateFailedError as exc:
        raise _rejection(exc) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            status = await _closed_status(handle)
            if status is not None:
                raise TaskActionRejected(
                    f"case {case_id} is {status}: it takes no more actions", code="case_closed"
                ) from exc
        raise _rpc_error(exc, case_id) from exc


async def _closed_status(handle: WorkflowHandle[Any, Any]) -> str | None:
    try:
        desc = await handle.describe()
    except RPCError:
        return None
    if desc.status is None or desc.status == WorkflowExecutionStatus.RUNNING:
        return None
    return desc.status.name.lower()


async def task_action(client: Client, update_name: str, action: TaskAction) -> TaskView:
    """Run a task Update (``claim``, ``complete``...) and return the task after it.

    Raises:
        NotFoundError: When the task id is malformed or its case does not exist.
        TaskActionRejected: When the workflow's validator refuses the action.
    """
    if update_name not in TASK_UPDATES:
        raise CaseworkError(
            f"unknown task action {update_name!r}", hint="use one of " + ", ".join(TASK_UPDATES)
        )
    case_id, _, _ = split_task_id(action.task_id)
    view = await _update(_handle(client, case_id), case_id, update_name, action, TaskView)
    return view if isinstance(view, TaskView) else TaskView.model_validate(view)


async def case_action(
    client: Client, case_id: str, update_name: str, action: CaseAction
) -> CaseView:
    """Run a case Update (``cancel``, ``change_priority``, ``set_fields``) and return the case.

    Raises:
        NotFoundError: When the case does not exist.
        TaskActionRejected: When the workflow's validator refuses the action.
    """
    view = await _update(_handle(client, case_id), case_id, update_name, action, CaseView)
    return view if isinstance(view, CaseView) else CaseView.model_validate(view)


async def cancel_case(client: Client, case_id: str, actor: Actor, reason: str) -> CaseView:
    """Cancel a case through its ``cancel`` Update (the workflow records who and why)."""
    return await case_action(client, case_id, "cancel", CaseAction(actor=actor, reason=reason))


async def change_priority(client: Client, case_id: str, actor: Actor, priority: str) -> CaseView:
    """Change a case's priority through its ``change_priority`` Update."""
    return await case_action(
        client, case_id, "change_priority", CaseAction(actor=actor, priority=priority)
    )


def actor_for(person_id: str, settings: Settings | None = None) -> Actor:
    """Return the :class:`Actor` of a person from the directory.

    The records' people table is used when it has rows, else the shipped
    ``directory`` section of the policies.

    Raises:
        NotFoundError: When nobody has that id (or the person is inactive).
    """
    from activities.directory import find_person

    settings = settings or get_settings()
    if person_id == "system":
        return Actor.system()
    person = find_person(person_id, settings)
    if person is None:
        raise NotFoundError(
            "person", person_id, hint="use a person id from the directory (policies/directory.yaml)"
        )
    return Actor(
        id=person.id,
        name=person.name,
        roles=list(person.roles),
        team=person.team,
        region=person.region,
        skills=list(person.skills),
    )
