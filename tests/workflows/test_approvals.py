"""Approval steps: all / any / quorum, veto, four-eyes, changes requested, auto decision."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from casework.contracts import TaskAction
from tests.workflows.helpers import (
    Fakes,
    actor,
    definition,
    finished,
    make_plan,
    running,
    start_case,
    wait_task,
)
from workflows.case import CaseWorkflow


def _approval_plan(name: str, **rule: Any) -> Any:
    steps = [
        {
            "id": "peer",
            "kind": "approval",
            "approvers": {"role": "coordinator"},
            "four_eyes": True,
            **rule,
            "on": {"approved": "senior", "rejected": "no", "changes_requested": "revise"},
        },
        {
            "id": "senior",
            "kind": "approval",
            "approvers": {"role": "coordinator"},
            "decide": "any",
            "four_eyes": True,
            "veto": ["regional-manager"],
            "on": {"approved": "yes", "rejected": "no"},
        },
        {
            "id": "revise",
            "kind": "task",
            "assign": {"person": "opened_by"},
            "next": "peer",
            "max_visits": 2,
            "on_max_visits": "no",
        },
        {"id": "yes", "kind": "end", "status": "completed", "outcome": "done"},
        {"id": "no", "kind": "end", "status": "rejected", "outcome": "rejected"},
    ]
    return make_plan(definition(steps, process=name))


def _vote(h: Any, step: str, who: str, visit: int = 1, *roles: str) -> TaskAction:
    return TaskAction(task_id=f"{h.id}.{step}.{visit}", actor=actor(who, "coordinator", *roles))


async def test_quorum_four_eyes_and_veto(client: Client, task_queue: str, fakes: Fakes) -> None:
    fakes.eligible = {"coordinator": ["olga", "cara", "cato", "cleo", "rex"]}
    plan = _approval_plan("quorum-proc", decide="quorum", quorum=2)
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"}, opened_by="olga")
        view = await wait_task(h, f"{h.id}.peer.1")
        assert view.tasks[0].eligible == ["cara", "cato", "cleo", "rex"]  # olga asked: four-eyes
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await h.execute_update(CaseWorkflow.approve, _vote(h, "peer", "olga"))
        assert "four-eyes" in str(info.value.cause)
        await h.execute_update(CaseWorkflow.approve, _vote(h, "peer", "cara"))
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await h.execute_update(CaseWorkflow.approve, _vote(h, "peer", "cara"))
        assert "already voted" in str(info.value.cause)
        await h.execute_update(CaseWorkflow.approve, _vote(h, "peer", "cato"))
        await wait_task(h, f"{h.id}.senior.1")
        # cara approved the earlier step: four-eyes keeps her out of this one
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await h.execute_update(CaseWorkflow.approve, _vote(h, "senior", "cara"))
        assert "earlier step" in str(info.value.cause)
        await h.execute_update(
            CaseWorkflow.reject, _vote(h, "senior", "rex", 1, "regional-manager")
        )
        final = await finished(h)
    assert final.status == "rejected"
    votes = [e for e in fakes.events(h.id) if e.kind == "approval_vote"]
    assert votes[-1].details["veto"] is True
    decided = [e.details["decision"] for e in fakes.events(h.id) if e.kind == "approval_decided"]
    assert decided == ["approved", "rejected"]


async def test_all_with_changes_requested(client: Client, task_queue: str, fakes: Fakes) -> None:
    fakes.eligible = {"coordinator": ["cara", "cato"]}
    plan = _approval_plan("all-proc", decide="all")
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"}, opened_by="olga")
        await wait_task(h, f"{h.id}.peer.1")
        await h.execute_update(CaseWorkflow.request_changes, _vote(h, "peer", "cara"))
        await wait_task(h, f"{h.id}.revise.1")
        await h.execute_update(
            CaseWorkflow.complete, TaskAction(task_id=f"{h.id}.revise.1", actor=actor("olga"))
        )
        await wait_task(h, f"{h.id}.peer.2")
        await h.execute_update(CaseWorkflow.approve, _vote(h, "peer", "cara", 2))
        view = await h.query(CaseWorkflow.state)
        assert "peer" in view.current_steps  # all: cato has not voted yet
        await h.execute_update(CaseWorkflow.approve, _vote(h, "peer", "cato", 2))
        await wait_task(h, f"{h.id}.senior.1")
        await h.execute_update(
            CaseWorkflow.approve,
            TaskAction(task_id=f"{h.id}.senior.1", actor=actor("dora", "coordinator")),
        )
        final = await finished(h)
    assert final.status == "completed"


async def test_quorum_infeasible_and_auto_decision(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    fakes.eligible = {"coordinator": ["cara"]}
    plan = _approval_plan("infeasible", decide="quorum", quorum=2)
    auto = make_plan(
        definition(
            [
                {
                    "id": "ok",
                    "kind": "approval",
                    "approvers": {"role": "coordinator"},
                    "decide": "any",
                    "due": "2d",
                    "auto_decision": "approved",
                    "on": {"approved": "yes", "rejected": "no"},
                },
                {"id": "yes", "kind": "end", "status": "completed"},
                {"id": "no", "kind": "end", "status": "rejected"},
            ],
            process="auto-approve",
        )
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        assert (await h.result()).status == "rejected"
        h2 = await start_case(client, auto, task_queue, {"customer": "Ann"})
        final = await finished(h2)
    assert final.status == "completed"
    assert final.closed_at is not None
    assert (final.closed_at - final.opened_at).total_seconds() == pytest.approx(2 * 86400, abs=2)
