"""Helpers for the interpreter tests: plans from dicts, fake activities, a worker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from casework.contracts import (
    ActionRequest,
    Actor,
    CaseEvent,
    CaseView,
    EligibleQuery,
    Notification,
    ProjectionBatch,
    RouteQuery,
    StartCase,
)
from casework.converter import DATA_CONVERTER
from casework.language.compiler import compile_plan
from casework.language.model import ProcessDefinition
from casework.language.plan import Plan
from casework.language.policies import Calendar, EscalationLadder, RoutingRule, SlaPolicy
from casework.language.policyset import PolicySet
from casework.registry import REGISTRY
from workers.worker import workflow_runner
from workflows.case import CaseWorkflow

T = TypeVar("T")

LONDON = Calendar.model_validate(
    {
        "name": "emea",
        "region": "emea",
        "timezone": "Europe/London",
        "hours": {d: ["09:00-17:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": [
            {"date": "2026-12-25", "name": "Christmas Day"},
            {"date": "2026-12-28", "name": "Boxing Day (substitute)"},
            {"date": "2027-01-01", "name": "New Year's Day"},
        ],
    }
)
ALWAYS = Calendar.model_validate(
    {
        "name": "always",
        "timezone": "UTC",
        "hours": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
)

ACTION_NAMES = ("billing.issue_refund", "crm.update_customer", "surveys.record", "test.fail")


def actor(
    pid: str,
    *roles: str,
    region: str | None = "emea",
    team: str | None = None,
    skills: list[str] | None = None,
) -> Actor:
    """An acting person."""
    return Actor(
        id=pid, name=pid.title(), roles=list(roles), region=region, team=team, skills=skills or []
    )


def definition(steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A definition dict with a small default case schema."""
    base: dict[str, Any] = {
        "process": extra.pop("process", "test-process"),
        "version": extra.pop("version", 1),
        "title": "Test process",
        "owner": "qa",
        "case": {
            "fields": {
                "customer": {"type": "string", "required": True},
                "customer_email": {"type": "email"},
                "region": {"type": "enum", "values": ["emea", "amer", "apac"], "default": "emea"},
                "priority": {
                    "type": "enum",
                    "values": ["low", "normal", "high", "urgent"],
                    "default": "normal",
                },
                "amount": {"type": "money", "currency": "GBP"},
                "note": {"type": "text"},
                "flag": {"type": "boolean"},
                "score": {"type": "integer", "min": 1, "max": 5},
                "parent_case": {"type": "string"},
                "reason": {"type": "text"},
            }
        },
        "outcomes": {"done": {}, "resolved": {"reasons": ["fixed", "refunded"]}, "rejected": {}},
        "steps": steps,
    }
    base.update(extra)
    return base


def make_plan(
    defn: dict[str, Any],
    *,
    sla: dict[str, Any] | None = None,
    ladder: dict[str, Any] | None = None,
    routing: list[dict[str, Any]] | None = None,
) -> Plan:
    """Compile a definition dict with test policies and register the plan."""
    policies = PolicySet(
        calendars={"emea": LONDON, "always": ALWAYS},
        sla_policies={p.name: p for p in [SlaPolicy.model_validate(sla)]} if sla else {},
        ladders={x.name: x for x in [EscalationLadder.model_validate(ladder)]} if ladder else {},
        routing_rules={r["name"]: RoutingRule.model_validate(r) for r in routing or []},
    )
    plan = compile_plan(ProcessDefinition.model_validate(defn), policies)
    REGISTRY.put(plan)
    return plan


@dataclass
class Fakes:
    """In-memory stand-ins of the activities, recording every call."""

    batches: list[ProjectionBatch] = field(default_factory=list)
    notes: list[Notification] = field(default_factory=list)
    actions: list[tuple[str, ActionRequest]] = field(default_factory=list)
    eligible: dict[str, list[str]] = field(default_factory=dict)
    routes: list[RouteQuery] = field(default_factory=list)
    route_to: str | None = "rita"
    fail_times: int = 0
    project_failures: int = 0
    projected: set[tuple[str, int]] = field(default_factory=set)

    def events(self, case_id: str | None = None) -> list[CaseEvent]:
        """Every projected event (of one case), in order."""
        return [e for b in self.batches if case_id in (None, b.case_id) for e in b.events]

    def kinds(self, case_id: str) -> list[str]:
        """The kinds of the projected events of a case."""
        return [e.kind for e in self.events(case_id)]

    def activities(self) -> list[Any]:
        """Activity functions to register on the test worker."""

        @activity.defn(name="records.project")
        async def project(batch: ProjectionBatch) -> None:
            if self.project_failures > 0:
                self.project_failures -= 1
                raise RuntimeError("the records database is down")
            # at least once, like any local activity: keep only new events, as the records do
            fresh = [e for e in batch.events if (batch.case_id, e.seq) not in self.projected]
            self.projected.update((batch.case_id, e.seq) for e in fresh)
            self.batches.append(batch.model_copy(update={"events": fresh}))

        @activity.defn(name="notify.send")
        async def send(note: Notification) -> None:
            self.notes.append(note)

        @activity.defn(name="directory.eligible")
        async def eligible(query: EligibleQuery) -> list[str]:
            people = self.eligible.get(query.role or "", [])
            return [p for p in people if query.people is None or p in query.people]

        @activity.defn(name="directory.route")
        async def route(query: RouteQuery) -> str | None:
            self.routes.append(query)
            return self.route_to

        def action(name: str) -> Any:
            @activity.defn(name=name)
            async def run(req: ActionRequest) -> dict[str, Any]:
                self.actions.append((name, req))
                if name == "test.fail":
                    raise ApplicationError("the refund service said no", non_retryable=True)
                if self.fail_times > 0:
                    self.fail_times -= 1
                    raise RuntimeError("flaky")
                return {"id": f"R-{len(self.actions)}", "echo": req.input}

            return run

        return [project, send, eligible, route, *(action(n) for n in ACTION_NAMES)]


class ShippedFakes(Fakes):
    """The test fakes plus the catalog actions the shipped processes use."""

    def activities(self) -> list[Any]:
        def action(name: str) -> Any:
            @activity.defn(name=name)
            async def run(req: ActionRequest) -> dict[str, Any]:
                self.actions.append((name, req))
                return {"publication_id": "PUB-1", "enrollment_id": "ENR-1"}

            return run

        extra = [action(n) for n in ("policies.publish_change", "training.enroll")]
        return [*super().activities(), *extra]


@contextlib.asynccontextmanager
async def running(
    client: Client,
    task_queue: str,
    fakes: Fakes,
    *,
    sandboxed: bool | None = None,
    **options: Any,
) -> AsyncIterator[Worker]:
    """A worker running CaseWorkflow and the fakes (``sandboxed``: the runner
    ``build_worker`` picks; default the SDK's own sandbox; ``options``: more
    :class:`~temporalio.worker.Worker` arguments)."""
    if sandboxed is not None:
        options["workflow_runner"] = workflow_runner(sandboxed)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CaseWorkflow],
        activities=fakes.activities(),
        **options,
    ) as worker:
        yield worker


def pyd_client(client: Client) -> Client:
    """The client with casework's data converter."""
    config = client.config()
    config["data_converter"] = DATA_CONVERTER
    return Client(**config)


async def start_case(
    client: Client,
    plan: Plan,
    task_queue: str,
    data: dict[str, Any],
    *,
    opened_by: str = "olga",
    case_id: str | None = None,
    task_timeout: float = 1.0,
) -> WorkflowHandle[CaseWorkflow, CaseView]:
    """Start a case of ``plan``."""
    cid = case_id or f"C-260101-{uuid.uuid4().hex[:6].upper()}"
    return await client.start_workflow(
        CaseWorkflow.run,
        StartCase(plan=plan.ref, data=data, opened_by=opened_by),
        id=cid,
        task_queue=task_queue,
        # the time-skipping server sometimes drops a workflow task that races an Update;
        # a short task timeout makes the retry come quickly
        task_timeout=timedelta(seconds=task_timeout),
    )


async def finished(h: WorkflowHandle[Any, Any]) -> CaseView:
    """Wait for the case to end; return its full last state (the ``state`` query of a
    closed case: the workflow result is only a :class:`CaseResult`)."""
    await h.result()
    view: CaseView = await h.query(CaseWorkflow.state)
    return view


async def wait_for(
    h: WorkflowHandle[CaseWorkflow, CaseView], check: Any, *, tries: int = 200
) -> CaseView:
    """Poll the ``state`` query until ``check(view)`` is true (real time, 10 ms steps).

    A query that times out counts as "not yet": it waits for the workflow task in
    flight, which on a loaded box can outlast the query's deadline (a flood of signals).
    """
    view: CaseView | None = None
    for _ in range(tries):
        try:
            view = await h.query(CaseWorkflow.state)
        except RPCError as exc:
            if exc.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
                raise
            continue
        if check(view):
            return view
        await asyncio.sleep(0.01)
    last = view.model_dump_json()[:2000] if view is not None else "(no query answered)"
    raise AssertionError(f"condition never met; last state: {last}")


async def wait_task(h: WorkflowHandle[CaseWorkflow, CaseView], task_id: str) -> CaseView:
    """Wait until the task exists and is open."""
    return await wait_for(
        h, lambda v: any(t.task_id == task_id and t.state in ("open", "claimed") for t in v.tasks)
    )


async def coroutines(h: WorkflowHandle[Any, Any]) -> str:
    """The stacks of the case's coroutines (Temporal's built-in ``__stack_trace`` query)."""
    stack: str = await h.query("__stack_trace", result_type=str)
    return stack


async def coroutines_without(h: WorkflowHandle[Any, Any], name: str, *, tries: int = 200) -> str:
    """Poll the case's coroutine stacks until none runs ``name``; return them."""
    for _ in range(tries):
        stack = await coroutines(h)
        if name not in stack:
            return stack
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} is still running:\n{stack}")


async def stable(read: Callable[[], Awaitable[T]], *, every: float = 0.15) -> T:
    """Call ``read`` until two calls ``every`` seconds apart agree; return that value."""
    last = await read()
    while True:
        await asyncio.sleep(every)
        now = await read()
        if now == last:
            return now
        last = now
