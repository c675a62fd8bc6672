"""Task endpoints: the inbox and the task actions (workflow Updates with validators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from casework.api._errors import ErrorBody
from casework.api._responses import READ, WRITE
from casework.api.auth import Reader, Writer, backend_of
from casework.api.schemas import ReassignRequest, TaskActionRequest, TaskPage
from casework.contracts import TaskView

router = APIRouter(tags=["tasks"])

TaskId = Annotated[
    str, Path(min_length=1, max_length=200, description="Task id: {case_id}.{step_id}.{visit}.")
]
ACTION_RESPONSES = {
    **WRITE,
    422: {"model": ErrorBody, "description": "Bad form, outcome or reason."},
}

#: URL action -> workflow Update name.
ACTIONS: dict[str, str] = {
    "claim": "claim",
    "release": "release",
    "complete": "complete",
    "approve": "approve",
    "reject": "reject",
    "request-changes": "request_changes",
}


@router.get("/tasks", responses=READ, summary="My inbox")
async def inbox(
    request: Request,
    actor: Reader,
    mine: bool = False,
    role: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> TaskPage:
    """Open tasks the acting person may take (``mine``: only those assigned to them)."""
    return await backend_of(request).inbox(
        actor, mine=mine, role=role, region=region, limit=limit, cursor=cursor
    )


def _action_route(path_action: str, update: str) -> None:
    async def act(
        request: Request, task_id: TaskId, actor: Writer, body: TaskActionRequest | None = None
    ) -> TaskView:
        return await backend_of(request).task_action(
            actor, update, task_id, body or TaskActionRequest()
        )

    act.__name__ = f"task_{update}"
    act.__doc__ = (
        f"Run the workflow's ``{update}`` Update on the task; rejections come back as 4xx."
    )
    router.add_api_route(
        f"/tasks/{{task_id}}/{path_action}",
        act,
        methods=["POST"],
        responses=ACTION_RESPONSES,
        summary=f"{path_action.replace('-', ' ').capitalize()} a task",
        response_model=TaskView,
    )


for _path_action, _update in ACTIONS.items():
    _action_route(_path_action, _update)


@router.post(
    "/tasks/{task_id}/reassign",
    responses=ACTION_RESPONSES,
    summary="Reassign a task",
)
async def reassign(
    request: Request, task_id: TaskId, body: ReassignRequest, actor: Writer
) -> TaskView:
    """Give the task to another person (assignee, team leads, coordinators, regional managers)."""
    action = TaskActionRequest(reason=body.reason, comment=body.comment)
    return await backend_of(request).task_action(
        actor, "reassign", task_id, action, assignee=body.assignee
    )
