"""Every shipped process runs end to end on the interpreter, with fake activities."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from casework.binaries import temporal_test_server
from casework.contracts import Actor, CaseView, OutsideEvent, TaskAction
from casework.language.compiler import compile_plan
from casework.language.expr import compile_expr
from casework.language.loader import Workspace
from casework.language.plan import Plan
from casework.registry import REGISTRY
from tests.fixtures.temporal import register_case_search_attributes
from tests.workflows.helpers import (
    Fakes,
    ShippedFakes,
    actor,
    finished,
    pyd_client,
    running,
    start_case,
    wait_for,
    wait_task,
)
from workflows.case import CaseWorkflow

# The fake router gives every task to "rita": let her hold every role the steps need.
RITA = actor("rita", "frontline", "billing", "tech-support", "sales", region="emea")


async def _private_env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server())
    )
    try:
        await register_case_search_attributes(environment)
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server for this module's cases.

    After the complaint and policy-change cases have run, ``sleep`` on the same
    server sometimes stalls (RPC timeout), so these cases keep away from the
    session's server, and the test that sleeps gets a server of its own.
    """
    async for environment in _private_env():
        yield environment


@pytest.fixture
async def sleepy_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server for one test that sleeps."""
    async for environment in _private_env():
        yield environment


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return pyd_client(env.client)


@pytest.fixture
def fakes() -> Fakes:
    return ShippedFakes()


@pytest.fixture
def plans(shipped: Workspace) -> dict[str, Plan]:
    # Build the CEL parser outside workflow code: built inside a workflow task on a busy
    # machine it can exceed the 2 s deadlock detector.
    compile_expr("1 == 1")
    out = {}
    for d in shipped.definitions:
        plan = compile_plan(d.model, shipped.policies, path=d.path)
        REGISTRY.put(plan)
        out[plan.process] = plan
    return out


async def _complete(
    h: WorkflowHandle[CaseWorkflow, CaseView],
    step: str,
    visit: int = 1,
    by: Actor = RITA,
    **action: Any,
) -> None:
    task_id = f"{h.id}.{step}.{visit}"
    await wait_task(h, task_id)
    await h.execute_update(CaseWorkflow.complete, TaskAction(task_id=task_id, actor=by, **action))


async def _approve(h: WorkflowHandle[CaseWorkflow, CaseView], step: str, by: Actor) -> None:
    task_id = f"{h.id}.{step}.1"
    await wait_task(h, task_id)
    await h.execute_update(CaseWorkflow.approve, TaskAction(task_id=task_id, actor=by))


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
        final = await finished(h)
        # The feedback survey outlives its parent: end it, so no timer of an orphan
        # case (without a worker once this test ends) holds up the shared time-skipping server.
        survey = client.get_workflow_handle(f"{h.id}-feedback-1")
        assert (await survey.describe()).status is not None
        await survey.terminate(reason="test over")
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
        final = await finished(h)
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
        final = await finished(h)
    assert (final.status, final.outcome) == ("completed", "followed_up")
    recorded = [req for name, req in fakes.actions if name == "surveys.record"]
    assert [(r.input["score"], r.input["comment"]) for r in recorded] == [(2, "Slow")]


async def test_policy_change_approved_and_rolled_out(
    client: Client, task_queue: str, fakes: Fakes, plans: dict[str, Plan]
) -> None:
    fakes.eligible = {
        "coordinator": ["grace", "heidi", "ivan"],
        "senior-management": ["olivia", "henry"],
    }
    data = {
        "policy_area": "returns",
        "region": "emea",
        "current_policy": "Returns within 14 days.",
        "proposed_change": "Returns within 30 days.",
        "rationale": "Competitors offer 30 days.",
        "effective_date": "2027-02-01",
    }
    plan = plans["policy-change-approval"]
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, data, opened_by="grace")
        await _approve(h, "peer_review", actor("heidi", "coordinator"))
        await _approve(h, "peer_review", actor("ivan", "coordinator"))
        await _approve(h, "senior_approval", actor("olivia", "senior-management"))
        await _complete(h, "implement", by=actor("pat", "process-owner"), form={"notes": "Done."})
        child = client.get_workflow_handle_for(CaseWorkflow.run, f"{h.id}-training_update-1")
        await _complete(
            child, "prepare_material", by=actor("kate", "trainer"), form={"material_url": "x"}
        )
        await _complete(
            child,
            "staff_acknowledge",
            by=actor("frank", "team-lead"),
            form={"acknowledged_count": 2},
        )
        final = await finished(h)
    assert (final.status, final.outcome) == ("completed", "approved")
    assert final.data["publication_id"] == "PUB-1"
    published = [req for name, req in fakes.actions if name == "policies.publish_change"]
    assert published[0].input["policy"] == "returns"


async def test_onboarding_fails_after_retry(
    client: Client, task_queue: str, fakes: Fakes, plans: dict[str, Plan]
) -> None:
    data = {"new_hire": "liam", "region": "emea", "start_date": "2026-12-07"}
    liam, kate = actor("liam", "new-hire"), actor("kate", "trainer")
    async with running(client, task_queue, fakes):
        h = await start_case(client, plans["training-onboarding"], task_queue, data)
        await _complete(h, "assign_mentor", by=kate, form={"mentor": "frank"})
        for module in ("product", "systems", "policies", "soft_skills"):
            await _complete(h, f"module_{module}", by=liam)
        await _complete(h, "shadowing", by=actor("frank", "mentor"), form={"hours": 6})
        await _complete(h, "assessment", by=kate, form={"score": 70})
        await _complete(h, "assessment", visit=2, by=kate, form={"score": 75})
        final = await finished(h)
    assert (final.status, final.outcome, final.reason) == ("failed", "not_passed", "failed_twice")
    assert [name for name, _ in fakes.actions] == ["training.enroll"]


async def test_escalation_climbs_tiers_on_timeouts(
    task_queue: str,
    fakes: Fakes,
    plans: dict[str, Plan],
    sleepy_env: WorkflowEnvironment,
) -> None:
    env = sleepy_env
    client = pyd_client(env.client)
    data = {"parent_case": "C-261201-ABCDEF", "region": "emea", "reason": "SLA breached"}
    async with running(client, task_queue, fakes):
        h = await start_case(client, plans["escalation"], task_queue, data)
        for step in ("team_lead_review", "coordinator_review"):
            view = await wait_task(h, f"{h.id}.{step}.1")
            due = next(t.due_at for t in view.tasks if t.step_id == step)
            assert due is not None
            # The tier's own due date (business time) hands over to the next tier.
            await env.sleep((due - await env.get_current_time()).total_seconds() + 60)
        await _complete(
            h,
            "manager_review",
            by=actor("judy", "regional-manager"),
            outcome="resolved",
            form={"resolution": "Goodwill voucher."},
        )
        final = await finished(h)
    assert (final.status, final.outcome) == ("resolved", "resolved")
    assert final.data["resolved_at_tier"] == "regional-manager"
    states = {t.step_id: t.state for t in final.tasks}
    assert [t.step_id for t in final.tasks] == [
        "team_lead_review",
        "coordinator_review",
        "manager_review",
    ]
    assert states["team_lead_review"] == "expired"
    assert states["coordinator_review"] == "expired"
