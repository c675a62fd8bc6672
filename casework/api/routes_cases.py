"""Case endpoints: open, list, show, timeline, signal, cancel, change priority."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from casework.api._responses import READ, WRITE
from casework.api.auth import Reader, Writer, backend_of
from casework.api.schemas import (
    CancelRequest,
    CaseCreate,
    CaseDetail,
    CasePage,
    PriorityUpdate,
    SignalAccepted,
    SignalCreate,
    Timeline,
)
from casework.contracts import CaseView

router = APIRouter(tags=["cases"])

CaseId = Annotated[
    str, Path(min_length=1, max_length=128, description="Case id, e.g. C-261201-1A2B3C.")
]
Name = Annotated[str | None, Query(max_length=64)]


@router.post("/cases", status_code=201, responses=WRITE, summary="Open a case")
async def open_case(request: Request, body: CaseCreate, actor: Writer) -> CaseView:
    """Open a case of a process; the data is checked against the process's case schema."""
    return await backend_of(request).open_case(actor, body)


@router.get("/cases", responses=READ, summary="List cases")
async def list_cases(
    request: Request,
    actor: Reader,
    status: Name = None,
    process: Name = None,
    region: Name = None,
    team: Name = None,
    priority: Literal["low", "normal", "high", "urgent"] | None = None,
    assignee: Name = None,
    sla: Literal["on_track", "at_risk", "breached", "met", "none"] | None = None,
    opened_since: dt.datetime | None = None,
    opened_until: dt.datetime | None = None,
    customer: Name = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> CasePage:
    """List cases, newest first, filtered like ``casework cases``; page with ``cursor``."""
    return await backend_of(request).list_cases(
        status=status,
        process=process,
        region=region,
        team=team,
        priority=priority,
        assignee=assignee,
        sla=sla,
        opened_since=opened_since,
        opened_until=opened_until,
        customer=customer,
        limit=limit,
        cursor=cursor,
    )


@router.get("/cases/{case_id}", responses=READ, summary="Show a case")
async def get_case(request: Request, case_id: CaseId, actor: Reader) -> CaseDetail:
    """A case's fields, tasks, SLA clocks and timeline from the records, plus its live state."""
    return await backend_of(request).case_detail(case_id)


@router.get("/cases/{case_id}/timeline", responses=READ, summary="A case's timeline")
async def get_timeline(
    request: Request,
    case_id: CaseId,
    actor: Reader,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> Timeline:
    """The case's events in order, after ``after_seq``."""
    return await backend_of(request).timeline(case_id, after_seq=after_seq, limit=limit)


@router.post(
    "/cases/{case_id}/signals/{event}",
    status_code=202,
    responses=WRITE,
    summary="Send an outside event",
)
async def signal_case(
    request: Request,
    case_id: CaseId,
    event: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)],
    actor: Writer,
    body: SignalCreate | None = None,
) -> SignalAccepted:
    """Deliver an outside event (``customer_replied``...) to the case's workflow."""
    payload = body.payload if body is not None else {}
    await backend_of(request).signal(actor, case_id, event, payload)
    return SignalAccepted(case_id=case_id, event=event)


@router.post("/cases/{case_id}/cancel", responses=WRITE, summary="Cancel a case")
async def cancel_case(
    request: Request, case_id: CaseId, body: CancelRequest, actor: Writer
) -> CaseView:
    """Cancel a case (coordinators, team leads, regional managers, process owners or the opener)."""
    return await backend_of(request).cancel(actor, case_id, body.reason)


@router.post("/cases/{case_id}/priority", responses=WRITE, summary="Change a case's priority")
async def change_priority(
    request: Request, case_id: CaseId, body: PriorityUpdate, actor: Writer
) -> CaseView:
    """Change the priority; the SLA deadlines are recomputed by the workflow."""
    return await backend_of(request).change_priority(actor, case_id, body.priority, body.reason)
