"""Definition endpoints: processes, their versions and diagrams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse

from casework.api._responses import READ
from casework.api.auth import Reader, backend_of
from casework.api.schemas import DefinitionDetail, DefinitionSummary

router = APIRouter(tags=["definitions"])

Process = Annotated[str, Path(min_length=1, max_length=64)]
Version = Annotated[int | None, Query(ge=1, le=1_000_000)]


@router.get("/definitions", responses=READ, summary="List processes")
async def list_definitions(request: Request, actor: Reader) -> list[DefinitionSummary]:
    """Every process that can be opened, with its versions."""
    return await backend_of(request).definitions()


@router.get("/definitions/{process}", responses=READ, summary="Show a process")
async def get_definition(
    request: Request, process: Process, actor: Reader, version: Version = None
) -> DefinitionDetail:
    """Versions and a summary (roles, fields, steps) of a process's latest or given version."""
    return await backend_of(request).definition(process, version)


@router.get(
    "/definitions/{process}/diagram",
    responses={**READ, 200: {"content": {"text/plain": {}}, "description": "Mermaid flowchart."}},
    response_class=PlainTextResponse,
    summary="A process's diagram (Mermaid)",
)
async def get_diagram(
    request: Request, process: Process, actor: Reader, version: Version = None
) -> PlainTextResponse:
    """The process as a Mermaid ``flowchart TD``."""
    text = await backend_of(request).diagram(process, version)
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")
