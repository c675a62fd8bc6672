"""Public shapes the records queries return (API, CLI and web pages show these)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of results; pass ``next_cursor`` back to get the next page."""

    items: list[T]
    next_cursor: str | None = None


class CasePublic(_Public):
    """A case as listed."""

    case_id: str
    process: str
    version: int
    title: str = ""
    status: str
    priority: str | None = None
    region: str | None = None
    team: str | None = None
    assignee: str | None = None
    customer: str | None = None
    channel: str | None = None
    opened_by: str
    opened_at: dt.datetime
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    outcome: str | None = None
    escalation_level: int = 0
    sla_state: str = "none"
    first_response_due: dt.datetime | None = None
    resolution_due: dt.datetime | None = None
    parent_case_id: str | None = None
    last_seq: int = 0
    updated_at: dt.datetime


class TaskPublic(_Public):
    """A human task or approval."""

    task_id: str
    case_id: str
    step_id: str
    kind: str
    name: str = ""
    state: str
    role: str | None = None
    team: str | None = None
    region: str | None = None
    skills: list[str] = Field(default_factory=list)
    person: str | None = None
    eligible: list[str] = Field(default_factory=list)
    assignee: str | None = None
    created_at: dt.datetime
    claimed_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    completed_by: str | None = None
    outcome: str | None = None
    reason: str | None = None
    outcomes: list[str] = Field(default_factory=list)
    form: dict[str, Any] = Field(default_factory=dict)
    votes: list[dict[str, Any]] = Field(default_factory=list)


class InboxTask(TaskPublic):
    """A task in somebody's inbox, with a little of its case."""

    case_title: str = ""
    case_process: str = ""
    case_priority: str | None = None
    case_sla_state: str = "none"


class ClockPublic(_Public):
    """An SLA clock of a case."""

    name: str
    target_seconds: int
    business: bool
    calendar: str | None = None
    started_at: dt.datetime
    deadline: dt.datetime | None = None
    state: str
    paused_seconds: int = 0
    stopped_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    at_risk: bool = False


class CaseDetail(CasePublic):
    """A case with everything the records know about it."""

    plan_hash: str
    reason: str | None = None
    current_steps: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    tasks: list[TaskPublic] = Field(default_factory=list)
    clocks: list[ClockPublic] = Field(default_factory=list)


class EventPublic(_Public):
    """One timeline entry."""

    case_id: str
    seq: int
    at: dt.datetime
    kind: str
    actor: str
    step_id: str | None = None
    task_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class WorkloadRow(BaseModel):
    """Open and claimed tasks of one person."""

    person: str
    name: str = ""
    team: str | None = None
    open: int = 0
    claimed: int = 0
    total: int = 0
    oldest_at: dt.datetime | None = Field(default=None, description="Creation of the oldest task.")
    oldest_task_id: str | None = None


class SurveyPublic(_Public):
    """A feedback survey answer."""

    case_id: str
    subject_case_id: str | None = None
    score: int
    comment: str | None = None
    responded_at: dt.datetime


class SurveySummary(BaseModel):
    """Survey answers and their average score."""

    page: Page[SurveyPublic]
    count: int
    average: float | None = None
