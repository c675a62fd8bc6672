"""Data shapes that cross process boundaries: workflow input, Update arguments,
query results and projection batches. They are plain pydantic models so the
Temporal pydantic data converter carries them, and the records, API and CLI
share one vocabulary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from casework.language.plan import PlanRef

CaseStatus = Literal[
    "open", "waiting", "resolved", "closed", "completed", "rejected", "cancelled", "failed"
]
TERMINAL_STATUSES: frozenset[str] = frozenset(
    {"resolved", "closed", "completed", "rejected", "cancelled", "failed"}
)
TaskState = Literal["open", "claimed", "completed", "cancelled", "expired"]
ClockState = Literal["running", "paused", "met", "breached"]
SlaState = Literal["none", "on_track", "at_risk", "breached", "met"]

#: Every kind of event a case records, in the workflow and in the records' event log.
EVENT_KINDS: tuple[str, ...] = (
    "case_opened",
    "step_entered",
    "step_left",
    "field_set",
    "task_created",
    "task_claimed",
    "task_released",
    "task_reassigned",
    "task_completed",
    "task_expired",
    "task_cancelled",
    "task_reminded",
    "approval_vote",
    "approval_decided",
    "action_completed",
    "action_failed",
    "subprocess_started",
    "subprocess_completed",
    "signal_received",
    "event_taken",
    "notification_sent",
    "sla_started",
    "sla_paused",
    "sla_resumed",
    "sla_at_risk",
    "sla_breached",
    "sla_met",
    "escalation_level",
    "priority_changed",
    "case_ended",
    "case_cancelled",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Actor(_Model):
    """The person acting, as the trusted client layer (CLI, API) found them in the directory."""

    id: str
    name: str = ""
    roles: list[str] = Field(default_factory=list)
    team: str | None = None
    region: str | None = None
    skills: list[str] = Field(default_factory=list)

    @classmethod
    def system(cls) -> Actor:
        """The engine itself (timers, escalations)."""
        return cls(id="system", name="casework", roles=["system"])


class StartCase(_Model):
    """Input of the case workflow; the case id is the workflow id."""

    #: Left out by casework (the workflow id is the case id); cases started
    #: when the input repeated it keep theirs.
    case_id: str | None = None
    plan: PlanRef
    data: dict[str, Any] = Field(default_factory=dict)
    opened_by: str = "system"
    parent_case_id: str | None = None
    #: Carried state when the workflow continues as new (engine-internal, opaque to callers).
    carried: dict[str, Any] | None = None


class TaskAction(_Model):
    """Argument of the task Updates: claim, release, reassign, complete, approve, reject..."""

    task_id: str
    actor: Actor
    form: dict[str, Any] = Field(default_factory=dict)
    outcome: str | None = None
    reason: str | None = None
    comment: str | None = None
    assignee: str | None = Field(default=None, description="New assignee (reassign).")


class CaseAction(_Model):
    """Argument of case-level Updates (cancel, change_priority, set_fields)."""

    actor: Actor
    reason: str | None = None
    priority: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)


class OutsideEvent(_Model):
    """Payload of a signal carrying an outside event (the signal name is the event name)."""

    payload: dict[str, Any] = Field(default_factory=dict)
    sender: str = "external"


class Vote(_Model):
    """One approver's decision."""

    actor: str
    decision: Literal["approved", "rejected", "changes_requested"]
    comment: str | None = None
    at: dt.datetime


class TaskView(_Model):
    """A human task or approval as people see it."""

    task_id: str
    case_id: str
    step_id: str
    kind: Literal["task", "approval"]
    name: str
    state: TaskState
    role: str | None = None
    team: str | None = None
    region: str | None = None
    skills: list[str] = Field(default_factory=list)
    person: str | None = None
    eligible: list[str] = Field(default_factory=list, description="Approvers, when resolved.")
    assignee: str | None = None
    created_at: dt.datetime
    claimed_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    completed_by: str | None = None
    outcome: str | None = None
    reason: str | None = None
    outcomes: list[str] = Field(default_factory=list)
    form: dict[str, Any] = Field(default_factory=dict, description="Submitted form data.")
    votes: list[Vote] = Field(default_factory=list)


class ClockView(_Model):
    """An SLA clock."""

    name: Literal["first_response", "resolution"]
    target_seconds: int
    business: bool
    calendar: str | None = None
    started_at: dt.datetime
    deadline: dt.datetime | None = Field(default=None, description="None while paused.")
    state: ClockState
    paused_seconds: int = 0
    stopped_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    at_risk: bool = False
    elapsed_seconds: int | None = Field(
        default=None,
        description="Seconds counted when the clock stopped, in its basis, net of pauses.",
    )


class CaseView(_Model):
    """A case's live state: the workflow's ``state`` query and the records' snapshot."""

    case_id: str
    process: str
    version: int
    plan_hash: str
    title: str = ""
    status: CaseStatus
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
    reason: str | None = None
    escalation_level: int = 0
    sla_state: SlaState = "none"
    parent_case_id: str | None = None
    current_steps: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    tasks: list[TaskView] = Field(
        default_factory=list, description="Tasks of this case, open and done."
    )
    clocks: list[ClockView] = Field(default_factory=list)
    last_seq: int = 0


class CaseResult(BaseModel):
    """What a finished case returns: its workflow result, and a parent's view of a child case.

    Deliberately small (the live view is the ``state`` query and the records):
    it is stored in the history of every case. Extra fields are ignored, so the
    results of cases that returned a full :class:`CaseView` still decode.
    """

    model_config = ConfigDict(extra="ignore")

    status: CaseStatus
    outcome: str | None = None
    reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class CaseEvent(_Model):
    """One entry of a case's timeline; ``seq`` is contiguous from 1 within a case."""

    seq: int
    at: dt.datetime
    kind: str
    actor: str = "system"
    step_id: str | None = None
    task_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class ProjectionBatch(_Model):
    """What the workflow sends to the records: new events and the snapshot after them."""

    case_id: str
    events: list[CaseEvent]
    snapshot: CaseView


class Notification(_Model):
    """A message for the outbox; ``key`` makes sending idempotent (case, step, visit)."""

    key: str
    case_id: str
    step_id: str | None = None
    channel: str
    recipient: str
    subject: str = ""
    body: str


class SurveyResponse(_Model):
    """A customer's answer to a feedback survey."""

    case_id: str
    subject_case_id: str | None = None
    score: int = Field(ge=1, le=5)
    comment: str | None = None
    responded_at: dt.datetime


class ActionRequest(_Model):
    """Input of every action-catalog activity; ``key`` is ``{case_id}:{step_id}:{visit}``."""

    key: str
    case_id: str
    step_id: str
    input: dict[str, Any] = Field(default_factory=dict)


class EligibleQuery(_Model):
    """Input of ``directory.eligible``: who matches these criteria (active people only)."""

    role: str | None = None
    team: str | None = None
    region: str | None = None
    skills: list[str] = Field(default_factory=list)
    people: list[str] | None = Field(default=None, description="Restrict to these person ids.")


class RouteQuery(_Model):
    """Input of ``directory.route``: pick one assignee for a task by a routing rule."""

    key: str = Field(description="Idempotency key: the task id (same key -> same answer).")
    rule: str
    strategy: Literal["round_robin", "least_loaded"]
    role: str
    team: str | None = None
    region: str | None = None
    skills: list[str] = Field(default_factory=list)
