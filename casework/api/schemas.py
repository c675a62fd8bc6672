"""Request and response shapes of the HTTP API (Create/Update/Public models)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from casework.contracts import CaseView

Priority = Literal["low", "normal", "high", "urgent"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore", from_attributes=True)


# ---- requests -------------------------------------------------------------------------------


class CaseCreate(_In):
    """Open a case of ``process`` (latest version unless ``version`` is given)."""

    process: str = Field(min_length=1, max_length=64, examples=["complaint"])
    version: int | None = Field(default=None, ge=1, le=1_000_000)
    data: dict[str, Any] = Field(
        default_factory=dict, description="Case fields, typed by the case schema."
    )


class SignalCreate(_In):
    """An outside event for a case; the event name is in the path."""

    payload: dict[str, Any] = Field(default_factory=dict)


class CancelRequest(_In):
    """Cancel a case."""

    reason: str = Field(min_length=1, max_length=2000)


class PriorityUpdate(_In):
    """Change a case's priority (SLA deadlines are recomputed)."""

    priority: Priority
    reason: str | None = Field(default=None, max_length=2000)


class TaskActionRequest(_In):
    """Body of claim/release/complete/approve/reject/request-changes (all optional)."""

    form: dict[str, Any] = Field(
        default_factory=dict, description="Form fields (complete, approvals)."
    )
    outcome: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    comment: str | None = Field(default=None, max_length=4000)


class ReassignRequest(_In):
    """Body of reassign."""

    assignee: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    comment: str | None = Field(default=None, max_length=4000)


# ---- responses ------------------------------------------------------------------------------


class CasePublic(_Out):
    """A case as listed."""

    case_id: str
    process: str
    version: int
    title: str | None = ""
    status: str
    priority: str | None = None
    region: str | None = None
    team: str | None = None
    assignee: str | None = None
    customer: str | None = None
    channel: str | None = None
    opened_by: str | None = None
    opened_at: dt.datetime
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    outcome: str | None = None
    sla_state: str | None = None
    escalation_level: int | None = 0
    first_response_due: dt.datetime | None = None
    resolution_due: dt.datetime | None = None


class CaseRecord(CasePublic):
    """A case with all its stored fields."""

    plan_hash: str | None = None
    first_response_at: dt.datetime | None = None
    reason: str | None = None
    parent_case_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    last_seq: int | None = 0
    updated_at: dt.datetime | None = None


class TaskPublic(_Out):
    """A human task or approval."""

    task_id: str
    case_id: str
    step_id: str
    kind: str
    name: str | None = None
    state: str
    role: str | None = None
    team: str | None = None
    region: str | None = None
    skills: list[str] | None = None
    person: str | None = None
    assignee: str | None = None
    created_at: dt.datetime | None = None
    claimed_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    completed_by: str | None = None
    outcome: str | None = None
    reason: str | None = None
    outcomes: list[str] = Field(default_factory=list)
    form: dict[str, Any] | None = None


class InboxTask(TaskPublic):
    """A task in somebody's inbox, with a little of its case."""

    case_title: str | None = ""
    case_process: str | None = ""
    case_priority: str | None = None
    case_sla_state: str | None = "none"


class ClockPublic(_Out):
    """An SLA clock."""

    name: str
    target_seconds: int | None = None
    business: bool | None = None
    calendar: str | None = None
    started_at: dt.datetime | None = None
    deadline: dt.datetime | None = None
    state: str
    paused_seconds: int | None = 0
    stopped_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    at_risk: bool | None = False


class EventPublic(_Out):
    """One timeline entry."""

    seq: int
    at: dt.datetime
    kind: str
    actor: str | None = "system"
    step_id: str | None = None
    task_id: str | None = None
    details: dict[str, Any] | None = None


class CasePage(BaseModel):
    """One page of cases; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[CasePublic]
    next_cursor: str | None = None


class TaskPage(BaseModel):
    """One page of tasks."""

    items: list[InboxTask]
    next_cursor: str | None = None


class Timeline(BaseModel):
    """A case's events in order."""

    case_id: str
    events: list[EventPublic]
    next_after_seq: int | None = Field(default=None, description="Pass as after_seq for more.")


class CaseDetail(BaseModel):
    """A case: stored fields, tasks, clocks and timeline, plus the live state when reachable."""

    case: CaseRecord
    tasks: list[TaskPublic]
    clocks: list[ClockPublic]
    timeline: list[EventPublic]
    live: CaseView | None = Field(
        default=None, description="The workflow's state query, if reachable."
    )
    live_error: str | None = Field(default=None, description="Why the live state is missing.")


class SignalAccepted(BaseModel):
    """An outside event was delivered to the case."""

    case_id: str
    event: str
    accepted: bool = True


class StepSummary(BaseModel):
    """A step of a process, as summarised."""

    id: str
    kind: str
    name: str | None = None
    next: str | None = None


class VersionSummary(BaseModel):
    """One deployed or shipped version of a process."""

    version: int
    hash: str
    title: str


class DefinitionSummary(BaseModel):
    """A process and its versions."""

    process: str
    title: str
    latest_version: int
    versions: list[int]


class DefinitionDetail(BaseModel):
    """A process: its versions and a summary of the latest (or requested) one."""

    process: str
    title: str
    owner: str
    description: str = ""
    version: int
    hash: str
    versions: list[VersionSummary]
    roles: list[str]
    case_fields: dict[str, str] = Field(description="field -> type")
    outcomes: list[str]
    events: list[str]
    steps: list[StepSummary]
    sla_policy: str | None = None


class PersonPublic(_Out):
    """A person of the directory."""

    id: str
    name: str = ""
    email: str | None = None
    roles: list[str] = Field(default_factory=list)
    team: str | None = None
    region: str | None = None
    skills: list[str] = Field(default_factory=list)
    manager: str | None = None
    active: bool = True


class WorkloadRow(_Out):
    """Open and claimed tasks of one person."""

    person: str
    name: str = ""
    team: str | None = None
    open: int = 0
    claimed: int = 0
    total: int = 0
    oldest_at: dt.datetime | None = None
    oldest_task_id: str | None = None


class Health(BaseModel):
    """Liveness answer."""

    status: Literal["ok"] = "ok"
    version: str
