"""People endpoints: the directory, the acting person and the workload."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from casework.api._responses import READ
from casework.api.auth import Reader, backend_of
from casework.api.schemas import PersonPublic, WorkloadRow

router = APIRouter(tags=["people"])


@router.get("/people", responses=READ, summary="The directory")
async def list_people(request: Request, actor: Reader) -> list[PersonPublic]:
    """Every person in the directory."""
    return await backend_of(request).people()


@router.get("/people/me", responses=READ, summary="Who am I")
async def me(request: Request, actor: Reader) -> PersonPublic:
    """The person the bearer token belongs to."""
    return await backend_of(request).person(actor.id)


@router.get("/workload", responses=READ, summary="Open tasks per person")
async def workload(
    request: Request, actor: Reader, team: Annotated[str | None, Query(max_length=64)] = None
) -> list[WorkloadRow]:
    """Open and claimed tasks per person, oldest first."""
    return await backend_of(request).workload(team=team)
