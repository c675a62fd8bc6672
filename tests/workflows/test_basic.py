"""Task, set, decision, notify, action and end steps on the happy path."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowFailureError

from casework.contracts import StartCase, TaskAction
from casework.language.plan import PlanRef
from tests.workflows.helpers import Fakes, actor, definition, make_plan, running, start_case
from workflows.case import CaseWorkflow


@pytest.mark.parametrize("sandboxed", [None, True, False], ids=["sdk", "sandboxed", "unsandboxed"])
async def test_task_flow(
    client: Client, task_queue: str, fakes: Fakes, sandboxed: bool | None
) -> None:
    plan = make_plan(
        definition(
            [
                {
                    "id": "triage",
                    "kind": "task",
                    "assign": {"role": "frontline", "region": "case.region"},
                    "form": {
                        "category": {
                            "type": "enum",
                            "values": ["billing", "other"],
                            "required": True,
                        }
                    },
                    "outcomes": [{"outcome": "resolve"}, {"outcome": "reject", "next": "closed"}],
                    "set": {"note": "'cat=' + form.category"},
                },
                {
                    "id": "refund",
                    "kind": "action",
                    "activity": "billing.issue_refund",
                    "input": {"amount": "case.amount"},
                    "set": {"reason": "result.id"},
                },
                {"id": "tell", "kind": "notify", "to": {"customer": True}, "template": "done"},
                {
                    "id": "check",
                    "kind": "decision",
                    "when": [{"if": "case.amount > 100.0", "next": "big"}],
                    "otherwise": "fine",
                },
                {"id": "big", "kind": "set", "values": {"flag": "true"}, "next": "fine"},
                {
                    "id": "fine",
                    "kind": "end",
                    "status": "resolved",
                    "outcome": "resolved",
                    "reason": "refunded",
                },
                {"id": "closed", "kind": "end", "status": "rejected", "outcome": "rejected"},
            ],
            templates={
                "done": {
                    "subject": "Case for ${case.customer}",
                    "body": "Refund ${steps.refund.result.id}, ${steps.triage.form.category}",
                }
            },
        )
    )
    async with running(client, task_queue, fakes, sandboxed=sandboxed):
        h = await start_case(
            client,
            plan,
            task_queue,
            {"customer": "Ann", "customer_email": "ann@example.com", "amount": 150.0},
        )
        view = await h.query(CaseWorkflow.state)
        assert view.status == "open"
        task = view.tasks[0]
        assert task.task_id == f"{h.id}.triage.1"
        assert task.region == "emea"
        done = await h.execute_update(
            CaseWorkflow.complete,
            TaskAction(
                task_id=task.task_id,
                actor=actor("fred", "frontline"),
                outcome="resolve",
                form={"category": "billing"},
            ),
        )
        assert done.state == "completed"
        final = await h.result()
        described = await h.describe()
    attrs = {k.name: v for k, v in ((p.key, p.value) for p in described.typed_search_attributes)}
    assert attrs["CaseProcess"] == "test-process"
    assert attrs["CaseStatus"] == "resolved"
    assert attrs["CaseVersion"] == 1
    assert final.status == "resolved"
    assert final.outcome == "resolved"
    assert final.data["note"] == "cat=billing"
    assert final.data["reason"] == "R-1"
    assert final.data["flag"] is True
    assert fakes.actions[0][1].key == f"{h.id}:refund:1"
    assert fakes.notes[0].recipient == "ann@example.com"
    assert fakes.notes[0].body == "Refund R-1, billing"
    seqs = [e.seq for e in fakes.events(h.id)]
    assert seqs == list(range(1, len(seqs) + 1))
    kinds = fakes.kinds(h.id)
    assert kinds[0] == "case_opened"
    assert kinds[-1] == "case_ended"
    assert "task_claimed" in kinds
    assert "task_completed" in kinds


async def test_expression_failure_fails_the_case(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    plan = make_plan(
        definition(
            [
                {"id": "oops", "kind": "set", "values": {"note": "'a' + 1"}},
                {"id": "done", "kind": "end"},
            ],
            process="bad-expr",
        )
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        with pytest.raises(WorkflowFailureError) as info:
            await h.result()
    assert "step oops: values.note" in str(info.value.cause)
    assert fakes.kinds(h.id)[-1] == "case_ended"


async def test_the_case_id_is_the_workflow_id_and_older_inputs_still_run(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    plan = make_plan(definition([{"id": "done", "kind": "end"}], process="ids"))
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        result = await h.result()
        # what a case started before the input left out its id: the id and the full hash
        legacy_ref = PlanRef(process=plan.process, version=plan.version, hash=plan.hash)
        old = await client.start_workflow(
            CaseWorkflow.run,
            StartCase(case_id=h.id + "-OLD", plan=legacy_ref, data={"customer": "Bo"}),
            id=h.id + "-OLD",
            task_queue=task_queue,
        )
        await old.result()
    started = (await h.fetch_history()).events[0].workflow_execution_started_event_attributes
    [stored] = started.input.payloads
    assert b"case_id" not in stored.data
    assert plan.hash[:32].encode() in stored.data
    assert plan.hash.encode() not in stored.data
    assert (result.status, result.data["customer"]) == ("completed", "Ann")
    assert fakes.events(h.id)[0].kind == "case_opened"
    assert [e.kind for e in fakes.events(old.id)][-1] == "case_ended"
