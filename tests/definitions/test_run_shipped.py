"""The shipped complaint and feedback processes run end to end on the interpreter (fake I/O)."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from casework.contracts import CaseView, OutsideEvent, TaskAction
from casework.language.compiler import compile_plan
from casework.language.loader import Workspace
from casework.language.plan import Plan
from casework.registry import REGISTRY
from tests.workflows.helpers import (
    Fakes,
    actor,
    pyd_client,
    running,
    start_case,
    wait_for,
    wait_task,
)
from workflows.case import CaseWorkflow

# The fake router gives every task to "rita": let her hold every role the steps need.
RITA = actor("rita", "frontline", "billing", "tech-support", "sales", region="emea")


@pytest.fixture
def client(time_env: WorkflowEnvironment) -> Client:
    return pyd_client(time_env.client)


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


@pytest.fixture
def plans(shipped: Workspace) -> dict[str, Plan]:
    out = {}
    for d in shipped.definitions:
        plan = compile_plan(d.model, shipped.policies, path=d.path)
        REGISTRY.put(plan)
        out[plan.process] = plan
    return out


async def _complete(
    h: WorkflowHandle[CaseWorkflow, CaseView], step: str, visit: int = 1, **action: Any
) -> None:
    task_id = f"{h.id}.{step}.{visit}"
    await wait_task(h, task_id)
    await h.execute_update(CaseWorkflow.complete, TaskAction(task_id=task_id, actor=RITA, **action))


COMPLAINT = {
    "customer": "Ann Smith",
    "customer_email": "ann@example.com",
    "channel": "email",
    "region": "emea",
    "summary": "I was charged twice for order 1234.",
    "order_id": "1234",
}


async def test_complaint_resolved_with_refund(
    client: Client, task_queue: str, fakes: Fakes, plans: dict[str, Plan]
) -> None:
    async with running(client, task_queue, fakes):
        h = await start_case(client, plans["complaint-handling"], task_queue, dict(COMPLAINT))
        await _complete(
            h,
            "triage",
            outcome="investigate",
            form={"category": "billing", "departments": ["billing"], "priority": "high"},
        )
        await _complete(
            h, "billing_review", form={"findings": "Duplicate charge.", "refund_amount": 25.0}
        )
        await _complete(h, "propose", form={"resolution": "We refunded the duplicate charge."})
        await wait_for(h, lambda v: v.status == "waiting")
        await h.signal(
            "customer_replied", OutsideEvent(payload={"confirmed": True, "comment": "Thanks"})
        )
        final = await h.result()
    assert (final.status, final.outcome) == ("resolved", "resolved")
    assert final.data["priority"] == "high"
    assert final.data["confirmed"] is True
    refunds = [req for name, req in fakes.actions if name == "billing.issue_refund"]
    assert [r.input["amount"] for r in refunds] == [25.0]
    subjects = [n.subject for n in fakes.notes if n.case_id == h.id]
    assert subjects[0] == "We have received your complaint"
    assert "Our proposal to resolve your complaint" in subjects
    assert subjects[-1] == "Your complaint is resolved"
    assert {c.name for c in final.clocks} == {"first_response", "resolution"}
    assert "subprocess_started" in fakes.kinds(h.id)


async def test_complaint_rejected_at_triage(
    client: Client, task_queue: str, fakes: Fakes, plans: dict[str, Plan]
) -> None:
    async with running(client, task_queue, fakes):
        h = await start_case(client, plans["complaint-handling"], task_queue, dict(COMPLAINT))
        await _complete(
            h,
            "triage",
            outcome="reject",
            reason="duplicate",
            form={"category": "billing", "priority": "low"},
        )
        final = await h.result()
    assert (final.status, final.outcome) == ("rejected", "rejected")
    assert fakes.actions == []


async def test_feedback_low_score_is_followed_up(
    client: Client, task_queue: str, fakes: Fakes, plans: dict[str, Plan]
) -> None:
    data = {"customer": "Ann Smith", "customer_email": "ann@example.com", "region": "emea"}
    async with running(client, task_queue, fakes):
        h = await start_case(client, plans["customer-feedback"], task_queue, data)
        await wait_for(h, lambda v: v.status == "waiting")
        await h.signal("survey_answered", OutsideEvent(payload={"score": 2, "comment": "Slow"}))
        await _complete(h, "follow_up", outcome="recovered", form={"notes": "Apologised."})
        final = await h.result()
    assert (final.status, final.outcome) == ("completed", "followed_up")
    recorded = [req for name, req in fakes.actions if name == "surveys.record"]
    assert [(r.input["score"], r.input["comment"]) for r in recorded] == [(2, "Slow")]
