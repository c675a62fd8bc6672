"""The interpreter's serialisable state, carried whole across continue-as-new."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from casework.contracts import CaseEvent, TaskView
from casework.language.plan import PlanRef
from casework.sla import CaseClocks


class Token(BaseModel):
    """One active position: a path through the steps (the case, or a parallel branch).

    ``entered`` says the current step was entered (visit counted, task created...)
    and ``wait`` holds what that step needs to resume after continue-as-new.
    """

    id: int
    step: str | None
    parent: int | None = None
    branch: str | None = None
    entered: bool = False
    waiting: bool = False
    wait: dict[str, Any] = Field(default_factory=dict)
    children: list[int] = Field(default_factory=list)
    done: bool = False
    cancelled: bool = False


class CaseState(BaseModel):
    """Everything a case knows; ``StartCase.carried`` is its JSON dump."""

    case_id: str
    plan: PlanRef
    data: dict[str, Any]
    opened_by: str
    opened_at: dt.datetime
    parent_case_id: str | None = None
    status: str = "open"
    outcome: str | None = None
    reason: str | None = None
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    steps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    visits: dict[str, int] = Field(default_factory=dict)
    tasks: dict[str, TaskView] = Field(default_factory=dict)
    vetoed: list[str] = Field(default_factory=list)
    approved_by: dict[str, list[str]] = Field(default_factory=dict, description="step -> approvers")
    clocks: CaseClocks = Field(default_factory=CaseClocks)
    pausers: list[int] = Field(default_factory=list)
    fired_levels: list[int] = Field(default_factory=list)
    escalation_level: int = 0
    seq: int = 0
    pending: list[CaseEvent] = Field(default_factory=list)
    tokens: dict[int, Token] = Field(default_factory=dict)
    next_token: int = 1
    search_attributes: dict[str, Any] = Field(default_factory=dict)
    early_events: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    runs: int = 1
