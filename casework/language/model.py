"""Typed model of a process definition, as written in ``definitions/*.yaml``.

Validation here is structural (types, required keys, unknown keys rejected).
Cross-references, reachability, expressions and policies are checked by the
linter, which reports every problem with its file, line and column.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from casework.language.durations import parse_duration

ID_PATTERN = r"^[a-z][a-z0-9_-]*$"
Ident = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
#: An activity name of the action catalog, e.g. ``billing.issue_refund``.
ActivityName = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$", max_length=100)
]
#: A CEL expression, checked against the case schema by the linter.
Expr = Annotated[str, Field(min_length=1, max_length=2000)]

FieldType = Literal[
    "string",
    "text",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
    "enum",
    "email",
    "phone",
    "money",
    "list",
]
ItemType = Literal[
    "string",
    "text",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
    "enum",
    "email",
    "phone",
    "money",
]
Channel = Literal["email", "sms", "chat", "phone", "social", "internal"]
Join = Literal["all", "any", "n"]
ApprovalRuleKind = Literal["all", "any", "quorum"]
Decision = Literal["approved", "rejected", "changes_requested"]


def _duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


class Strict(BaseModel):
    """Base of every definition model: unknown keys are errors, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(Strict):
    """A typed field of the case schema, of a task form or of an event payload."""

    type: FieldType
    label: str | None = None
    description: str | None = None
    required: bool = False
    default: Any = None
    values: list[str] | None = Field(
        default=None, description="Allowed values (enum, or list of enum)."
    )
    items: ItemType | None = Field(default=None, description="Item type when type is list.")
    min: float | None = None
    max: float | None = None
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217 code (money)."
    )

    @model_validator(mode="after")
    def _check_shape(self) -> FieldSpec:
        if self.type == "enum" and not self.values:
            raise ValueError("an enum field needs 'values': the allowed values")
        if self.type == "list" and self.items is None:
            raise ValueError("a list field needs 'items': the type of its items")
        if self.type == "list" and self.items == "enum" and not self.values:
            raise ValueError("a list of enum needs 'values': the allowed values")
        if self.values is not None and self.type not in ("enum", "list", "string"):
            raise ValueError("'values' is only allowed on enum, list and string fields")
        return self


class CaseSchema(Strict):
    """The typed data a case carries. ``region``, ``priority``, ``team``, ``channel``
    and ``customer`` have a meaning to the engine and the records when present."""

    fields: dict[Ident, FieldSpec]


class Outcome(Strict):
    """An outcome code of the process and the reason codes that qualify it."""

    title: str | None = None
    reasons: list[Ident] = Field(default_factory=list)


class SlaBinding(Strict):
    """Which SLA policy and escalation ladder apply to cases of this process."""

    policy: Ident
    escalation: Ident | None = Field(default=None, description="Escalation ladder name.")
    calendar: Ident | None = Field(
        default=None,
        description="Calendar to use; default: the case region's calendar, else the policy's.",
    )


class EventSpec(Strict):
    """An outside event the process can receive as a signal (customer_replied...)."""

    description: str | None = None
    fields: dict[Ident, FieldSpec] = Field(default_factory=dict)


class Template(Strict):
    """A message template. ``${case.field}`` and ``${steps.id.form.field}`` are substituted."""

    subject: str = ""
    body: str


class StepBase(Strict):
    """Fields every step has."""

    id: Ident
    name: str | None = None
    description: str | None = None
    next: Ident | None = Field(default=None, description="Next step; default: the following one.")
    max_visits: int | None = Field(default=None, ge=1, description="Guard for revisit loops.")
    on_max_visits: Ident | None = Field(
        default=None, description="Where to go when max_visits is exceeded."
    )


class Assignment(Strict):
    """Who may take a human task."""

    role: Ident | None = None
    team: Ident | Expr | None = None
    region: Expr | None = Field(default=None, description="CEL expression, e.g. case.region.")
    skills: list[Ident] = Field(default_factory=list)
    person: Expr | None = Field(default=None, description="CEL expression giving a person id.")
    routing: Ident | None = Field(default=None, description="Routing rule that picks the assignee.")

    @model_validator(mode="after")
    def _needs_someone(self) -> Assignment:
        if self.role is None and self.person is None:
            raise ValueError("an assignment needs 'role' or 'person'")
        return self


class OutcomeRoute(Strict):
    """One allowed outcome of a task and where it goes."""

    outcome: Ident
    next: Ident | None = None
    reasons: list[Ident] = Field(default_factory=list)
    reason_required: bool = False


class TaskStep(StepBase):
    """A human task: someone eligible claims it and completes it with form data."""

    kind: Literal["task"]
    assign: Assignment
    form: dict[Ident, FieldSpec] = Field(default_factory=dict)
    outcomes: list[OutcomeRoute] = Field(
        default_factory=list, description="Default: one outcome 'done'."
    )
    due: str | None = None
    on_timeout: Ident | None = None
    remind_every: str | None = Field(default=None, description="Remind the assignee while overdue.")
    first_response: bool = Field(default=False, description="Completing it is the first response.")
    set: dict[Ident, Expr] = Field(
        default_factory=dict, description="Case fields to assign on completion."
    )

    _check_due = field_validator("due", "remind_every")(_duration)


class Approvers(Strict):
    """Who may vote on an approval."""

    role: Ident | None = None
    team: Ident | None = None
    region: Expr | None = None
    people: Expr | None = Field(
        default=None, description="CEL expression giving a list of person ids."
    )

    @model_validator(mode="after")
    def _needs_someone(self) -> Approvers:
        if self.role is None and self.team is None and self.people is None:
            raise ValueError("approvers need 'role', 'team' or 'people'")
        return self


class ApprovalStep(StepBase):
    """A vote by eligible approvers, decided by a rule (all, any, quorum of N)."""

    kind: Literal["approval"]
    rule: Ident | None = Field(default=None, description="Approval rule policy to use.")
    approvers: Approvers | None = None
    decide: ApprovalRuleKind | None = None
    quorum: int | None = Field(default=None, ge=1)
    veto: list[Ident] = Field(
        default_factory=list, description="Roles whose rejection decides at once."
    )
    four_eyes: bool | None = None
    requester: Expr | None = Field(
        default=None, description="Person who asked; default: who opened the case."
    )
    due: str | None = None
    auto_decision: Decision | None = Field(
        default=None, description="Decision taken when due passes."
    )
    on: dict[Decision, Ident] = Field(default_factory=dict, description="Where each decision goes.")
    form: dict[Ident, FieldSpec] = Field(default_factory=dict)

    _check_due = field_validator("due")(_duration)


class RetryPolicy(Strict):
    """How an action's activity is retried before on_failure is taken."""

    max_attempts: int = Field(default=3, ge=1, le=100)
    initial_interval: str = "1s"
    backoff: float = Field(default=2.0, ge=1.0)
    max_interval: str = "1m"

    _check = field_validator("initial_interval", "max_interval")(_duration)


class ActionStep(StepBase):
    """An automated step calling a named activity."""

    kind: Literal["action"]
    activity: ActivityName
    input: dict[Ident, Expr] = Field(default_factory=dict)
    timeout: str = "30s"
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    on_failure: Ident | None = None
    set: dict[Ident, Expr] = Field(default_factory=dict, description="Case fields from result.*.")

    _check = field_validator("timeout")(_duration)


class When(Strict):
    """One condition of a decision."""

    condition: Expr = Field(alias="if")
    next: Ident

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DecisionStep(StepBase):
    """Ordered conditions; the first true one wins, else ``otherwise``."""

    kind: Literal["decision"]
    when: list[When] = Field(min_length=1)
    otherwise: Ident


class Branch(Strict):
    """One branch of a parallel step: its own list of steps."""

    id: Ident
    name: str | None = None
    when: Expr | None = Field(default=None, description="Skip the branch when false.")
    steps: list[Step] = Field(min_length=1)


class ParallelStep(StepBase):
    """Branches run together; the join decides when the step is done."""

    kind: Literal["parallel"]
    branches: list[Branch] = Field(min_length=1)
    join: Join = "all"
    n: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _n_for_join(self) -> ParallelStep:
        if self.join == "n" and self.n is None:
            raise ValueError("join: n needs 'n': how many branches must finish")
        return self


class WaitStep(StepBase):
    """Wait for a duration, until a deadline, or for an outside event."""

    kind: Literal["wait"]
    duration: str | None = Field(default=None, alias="for")
    until: Expr | None = None
    event: Ident | None = None
    timeout: str | None = None
    on_timeout: Ident | None = None
    waiting_for: Literal["customer", "third_party", "internal"] | None = Field(
        default=None,
        description="Who the case waits on; the SLA policy decides if the clock pauses.",
    )
    set: dict[Ident, Expr] = Field(default_factory=dict, description="Case fields from event.*.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _check = field_validator("duration", "timeout")(_duration)

    @model_validator(mode="after")
    def _one_kind(self) -> WaitStep:
        given = [x for x in (self.duration, self.until, self.event) if x is not None]
        if len(given) != 1:
            raise ValueError("a wait needs exactly one of 'for', 'until' or 'event'")
        return self


class SubprocessStep(StepBase):
    """Start another process as a child case."""

    kind: Literal["subprocess"]
    process: Ident
    version: int | None = Field(default=None, ge=1)
    input: dict[Ident, Expr] = Field(default_factory=dict)
    wait: bool = True
    on_failure: Ident | None = None


class Recipient(Strict):
    """Who a notification goes to."""

    role: Ident | None = None
    person: Expr | None = None
    customer: bool = False
    assignee_of: Ident | None = Field(default=None, description="The assignee of this task step.")

    @model_validator(mode="after")
    def _needs_someone(self) -> Recipient:
        if not (self.role or self.person or self.customer or self.assignee_of):
            raise ValueError(
                "a recipient needs 'role', 'person', 'customer: true' or 'assignee_of'"
            )
        return self


class NotifyStep(StepBase):
    """Send a message through a channel, using a template."""

    kind: Literal["notify"]
    to: Recipient
    channel: Channel = "email"
    template: Ident


class EscalateStep(StepBase):
    """Fire a level of an escalation ladder now (default: the next one)."""

    kind: Literal["escalate"]
    ladder: Ident | None = Field(default=None, description="Default: the process's ladder.")
    level: int | None = Field(default=None, ge=1)
    reason: str | None = None


class SetStep(StepBase):
    """Assign case fields from expressions."""

    kind: Literal["set"]
    values: dict[Ident, Expr] = Field(min_length=1)


class EndStep(StepBase):
    """Finish the case with a status and an outcome."""

    kind: Literal["end"]
    status: Literal["resolved", "closed", "completed", "rejected", "cancelled", "failed"] = (
        "completed"
    )
    outcome: Ident | None = None
    reason: Ident | None = None


Step = Annotated[
    TaskStep
    | ApprovalStep
    | ActionStep
    | DecisionStep
    | ParallelStep
    | WaitStep
    | SubprocessStep
    | NotifyStep
    | EscalateStep
    | SetStep
    | EndStep,
    Field(discriminator="kind"),
]

STEP_KINDS: tuple[str, ...] = (
    "task",
    "approval",
    "action",
    "decision",
    "parallel",
    "wait",
    "subprocess",
    "notify",
    "escalate",
    "set",
    "end",
)


class ProcessDefinition(Strict):
    """A whole process definition file."""

    process: Ident
    version: int = Field(ge=1)
    title: str
    owner: str
    description: str = ""
    roles: list[Ident] = Field(default_factory=list)
    case: CaseSchema
    outcomes: dict[Ident, Outcome] = Field(default_factory=dict)
    sla: SlaBinding | None = None
    events: dict[Ident, EventSpec] = Field(default_factory=dict)
    templates: dict[Ident, Template] = Field(default_factory=dict)
    start: Ident | None = Field(default=None, description="First step; default: the first listed.")
    steps: list[Step] = Field(min_length=1)


Branch.model_rebuild()
ParallelStep.model_rebuild()
ProcessDefinition.model_rebuild()

_SLUG = re.compile(ID_PATTERN)


def is_ident(value: str) -> bool:
    """Return True when ``value`` is a valid id (lowercase, digits, ``-`` and ``_``)."""
    return bool(_SLUG.match(value))
