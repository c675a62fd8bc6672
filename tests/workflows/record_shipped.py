"""Record one replay history per shipped definition: ``python -m tests.workflows.record_shipped``.

Each shipped process is driven along a representative path the way
:mod:`tests.definitions.test_run_shipped` drives it (same fakes and step helpers),
each run on a fresh time-skipping server. Writes ``histories/shipped-<process>.json``
and ``histories/shipped-<process>.plans.json`` (the plans of the run, so the replay
never depends on the definition files). ``training-update`` is recorded as the
subprocess the approved policy change starts.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from casework.binaries import temporal_test_server
from casework.contracts import CaseView, OutsideEvent, ProjectionBatch
from casework.language.compiler import compile_plan
from casework.language.expr import compile_expr
from casework.language.loader import load_workspace
from casework.language.plan import Plan
from casework.registry import REGISTRY
from tests.definitions.conftest import DEFINITIONS, POLICIES
from tests.definitions.test_run_shipped import (
    COMPLAINT,
    ShippedFakes,
    _approve,
    _complete,
)
from tests.fixtures.temporal import register_case_search_attributes
from tests.workflows.helpers import actor, pyd_client, running, start_case, wait_for, wait_task
from tests.workflows.scenarios import history_json, plan_json
from workflows.case import CaseWorkflow

HERE = Path(__file__).parent / "histories"


class RecordingFakes(ShippedFakes):
    """The shipped fakes with a slow projection store.

    Every projection batch carries a full case snapshot; while a slow batch is on
    its way, the next events pile up and go in one batch, which keeps the
    histories small. (No delay where the scenario skips time: a projection in
    flight during a skip would time out.)
    """

    project_delay: float = 0.0

    def activities(self) -> list[Any]:
        @activity.defn(name="records.project")
        async def project(batch: ProjectionBatch) -> None:
            await asyncio.sleep(self.project_delay)
            self.batches.append(batch)

        rest = [a for a in super().activities() if a.__name__ != "project"]
        return [project, *rest]


Handle = WorkflowHandle[CaseWorkflow, CaseView]
# (client, env, task queue, fakes, plans by process) -> {process recorded: its case}
Shipped = Callable[
    [Client, WorkflowEnvironment, str, RecordingFakes, dict[str, Plan]],
    Awaitable[dict[str, Handle]],
]


async def complaint_handling(
    client: Client, env: WorkflowEnvironment, tq: str, fakes: RecordingFakes, plans: dict[str, Plan]
) -> dict[str, Handle]:
    """Triage, billing review with a refund, proposal, customer confirms, survey started."""
    h = await start_case(
        client, plans["complaint-handling"], tq, dict(COMPLAINT), case_id="C-261201-SHIPA1"
    )
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
    await h.result()
    # the feedback survey outlives its parent: end it before the server goes
    await client.get_workflow_handle(f"{h.id}-feedback-1").terminate(reason="recorded")
    return {"complaint-handling": h}


async def customer_feedback(
    client: Client, env: WorkflowEnvironment, tq: str, fakes: RecordingFakes, plans: dict[str, Plan]
) -> dict[str, Handle]:
    """A low score, recorded and followed up."""
    data = {"customer": "Ann Smith", "customer_email": "ann@example.com", "region": "emea"}
    h = await start_case(client, plans["customer-feedback"], tq, data, case_id="C-261201-SHIPB1")
    await wait_for(h, lambda v: v.status == "waiting")
    await h.signal("survey_answered", OutsideEvent(payload={"score": 2, "comment": "Slow"}))
    await _complete(h, "follow_up", outcome="recovered", form={"notes": "Apologised."})
    await h.result()
    return {"customer-feedback": h}


async def policy_change(
    client: Client, env: WorkflowEnvironment, tq: str, fakes: RecordingFakes, plans: dict[str, Plan]
) -> dict[str, Handle]:
    """Quorum peer review, senior approval, rollout with the training-update subprocess."""
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
    h = await start_case(
        client,
        plans["policy-change-approval"],
        tq,
        data,
        opened_by="grace",
        case_id="C-261201-SHIPC1",
    )
    await _approve(h, "peer_review", actor("heidi", "coordinator"))
    await _approve(h, "peer_review", actor("ivan", "coordinator"))
    await _approve(h, "senior_approval", actor("olivia", "senior-management"))
    await _complete(h, "implement", by=actor("pat", "process-owner"), form={"notes": "Done."})
    child = client.get_workflow_handle_for(CaseWorkflow.run, f"{h.id}-training_update-1")
    await _complete(
        child, "prepare_material", by=actor("kate", "trainer"), form={"material_url": "x"}
    )
    await _complete(
        child, "staff_acknowledge", by=actor("frank", "team-lead"), form={"acknowledged_count": 2}
    )
    await child.result()
    await h.result()
    return {"policy-change-approval": h, "training-update": child}


async def training_onboarding(
    client: Client, env: WorkflowEnvironment, tq: str, fakes: RecordingFakes, plans: dict[str, Plan]
) -> dict[str, Handle]:
    """Mentor, enrolment, four parallel modules, shadowing, a passed assessment, sign-off."""
    data = {"new_hire": "liam", "region": "emea", "start_date": "2026-12-07"}
    liam, kate = actor("liam", "new-hire"), actor("kate", "trainer")
    h = await start_case(client, plans["training-onboarding"], tq, data, case_id="C-261201-SHIPD1")
    await _complete(h, "assign_mentor", by=kate, form={"mentor": "frank"})
    # the parallel modules done at once: fewer, larger projection batches keep the
    # history small
    modules = ("product", "systems", "policies", "soft_skills")
    await asyncio.gather(*(_complete(h, f"module_{m}", by=liam) for m in modules))
    await _complete(h, "shadowing", by=actor("frank", "mentor"), form={"hours": 6})
    await _complete(h, "assessment", by=kate, form={"score": 85})
    await _complete(h, "sign_off", by=actor("cora", "coordinator"), form={"comments": "Well done."})
    await h.result()
    return {"training-onboarding": h}


async def escalation(
    client: Client, env: WorkflowEnvironment, tq: str, fakes: RecordingFakes, plans: dict[str, Plan]
) -> dict[str, Handle]:
    """Two tiers time out, the regional manager resolves."""
    data = {"parent_case": "C-261201-ABCDEF", "region": "emea", "reason": "SLA breached"}
    h = await start_case(client, plans["escalation"], tq, data, case_id="C-261201-SHIPE1")
    for step in ("team_lead_review", "coordinator_review"):
        view = await wait_task(h, f"{h.id}.{step}.1")
        due = next(t.due_at for t in view.tasks if t.step_id == step)
        assert due is not None
        await env.sleep((due - await env.get_current_time()).total_seconds() + 60)
    await _complete(
        h,
        "manager_review",
        by=actor("judy", "regional-manager"),
        outcome="resolved",
        form={"resolution": "Goodwill voucher."},
    )
    await h.result()
    return {"escalation": h}


SHIPPED: dict[str, Shipped] = {
    "complaint-handling": complaint_handling,
    "customer-feedback": customer_feedback,
    "policy-change-approval": policy_change,
    "training-onboarding": training_onboarding,
    "escalation": escalation,
}
SKIPS_TIME = {"escalation"}
# the processes each run needs plans of (the recorded ones and their subprocesses)
NEEDS = {
    "complaint-handling": ["complaint-handling", "customer-feedback"],
    "policy-change-approval": ["policy-change-approval", "training-update"],
}


def shipped_plans() -> dict[str, Plan]:
    """The shipped definitions compiled with the shipped policies, registered."""
    # build the CEL parser outside workflow code (deadlock detector)
    compile_expr("1 == 1")
    workspace = load_workspace([DEFINITIONS, POLICIES])
    out = {}
    for d in workspace.definitions:
        plan = compile_plan(d.model, workspace.policies, path=d.path)
        REGISTRY.put(plan)
        out[plan.process] = plan
    return out


async def record_one(name: str, run: Shipped, plans: dict[str, Plan]) -> None:
    """Run one shipped scenario on its own server and write its histories."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server())
    )
    try:
        await register_case_search_attributes(env)
        client = pyd_client(env.client)
        fakes = RecordingFakes()
        fakes.project_delay = 0.0 if name in SKIPS_TIME else 0.3
        tq = f"record-shipped-{name}"
        async with running(client, tq, fakes):
            handles = await run(client, env, tq, fakes, plans)
        used = [plans[p] for p in NEEDS.get(name, [name])]
        for process, handle in handles.items():
            text, events = await history_json(handle)
            (HERE / f"shipped-{process}.json").write_text(text)
            (HERE / f"shipped-{process}.plans.json").write_text(
                json.dumps(plan_json(used), indent=1)
            )
            print(f"shipped-{process}: {events} events")
    finally:
        await env.shutdown()


async def record(names: list[str] | None = None) -> None:
    """Record every shipped scenario (or the named ones)."""
    HERE.mkdir(exist_ok=True)
    plans = shipped_plans()
    for name, run in SHIPPED.items():
        if not names or name in names:
            await record_one(name, run, plans)
    # let the SDK's core threads wind down: exiting at once sometimes aborts the
    # interpreter (PyGILState_Release during finalization) after the files are written
    await asyncio.sleep(1)


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
