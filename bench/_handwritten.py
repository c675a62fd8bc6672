"""Hand-written Temporal workflows doing what a 5-action definition does (benchmark baselines)."""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from casework.contracts import (
        ActionRequest,
        CaseEvent,
        CaseView,
        ProjectionBatch,
        StartCase,
        TaskView,
    )

STATUS = SearchAttributeKey.for_keyword("CaseStatus")

#: The activities, in order, that both the baseline and the 5-action definition call.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("update_crm", "crm.update_customer"),
    ("refund", "billing.issue_refund"),
    ("enroll", "training.enroll"),
    ("publish", "policies.publish_change"),
    ("update_crm_again", "crm.update_customer"),
)


async def _record(events: list[CaseEvent], snapshot: CaseView) -> None:
    """Write a case's events and snapshot as the engine does (``records.project``, local)."""
    await workflow.execute_local_activity(
        "records.project",
        ProjectionBatch(case_id=snapshot.case_id, events=events, snapshot=snapshot),
        start_to_close_timeout=dt.timedelta(seconds=5),
        retry_policy=RetryPolicy(maximum_attempts=1),
    )


@workflow.defn(name="HandWrittenCase")
class HandWrittenCase:
    """Five activities in a row, each with the same idempotency key shape as the engine's."""

    @workflow.run
    async def run(self, case_id: str) -> dict[str, object]:
        """Run the five actions and return their results by step."""
        results: dict[str, object] = {}
        for step, activity in ACTIONS:
            results[step] = await workflow.execute_activity(
                activity,
                ActionRequest(
                    key=f"{case_id}:{step}:1", case_id=case_id, step_id=step, input={"amount": 1}
                ),
                start_to_close_timeout=dt.timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
                result_type=dict,
            )
        return results


@workflow.defn(name="HandWrittenRecordedCase")
class HandWrittenRecordedCase:
    """The baseline plus what every casework case also carries, written by hand.

    Started with the same ``Case*`` search attributes as a case (the caller sets
    them), it keeps the same 18-event timeline, writes it with its final state
    through the ``records.project`` local activity and upserts ``CaseStatus`` at
    the end. What the interpreter costs beyond this is its own interpretation.
    """

    @workflow.run
    async def run(self, case_id: str) -> dict[str, object]:
        """Run the five actions, then record the case and mark it completed."""
        opened = workflow.now()
        data = {"customer": "acme"}
        events = [
            CaseEvent(
                seq=1,
                at=opened,
                kind="case_opened",
                details={"process": "five-actions", "version": 1, "plan_hash": "-", "data": data},
            )
        ]

        def log(event: str, step: str, /, **details: object) -> None:
            events.append(
                CaseEvent(
                    seq=len(events) + 1,
                    at=workflow.now(),
                    kind=event,
                    step_id=step,
                    details=details,
                )
            )

        results: dict[str, object] = {}
        for i, (step, activity) in enumerate(ACTIONS):
            key = f"{case_id}:{step}:1"
            log("step_entered", step, kind="action", visit=1)
            results[step] = await workflow.execute_activity(
                activity,
                ActionRequest(key=key, case_id=case_id, step_id=step, input={"amount": 1}),
                start_to_close_timeout=dt.timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
                result_type=dict,
            )
            log("action_completed", step, activity=activity, key=key)
            log("step_left", step, next=ACTIONS[i + 1][0] if i + 1 < len(ACTIONS) else "finish")
        log("step_entered", "finish", kind="end", visit=1)
        log("case_ended", "finish", status="completed", outcome="done")
        snapshot = CaseView(
            case_id=case_id,
            process="five-actions",
            version=1,
            plan_hash="-",
            status="completed",
            opened_by="bench",
            opened_at=opened,
            closed_at=workflow.now(),
            outcome="done",
            data=data,
            last_seq=len(events),
        )
        await _record(events, snapshot)
        workflow.upsert_search_attributes([STATUS.value_set("completed")])
        return results


@workflow.defn(name="HandWrittenWaitingCase")
class HandWrittenWaitingCase:
    """The memory floor: a hand-written case that records itself, then waits on its task.

    Started with a case's search attributes and input, it writes the three events
    and the snapshot (one open task) a cli-test case writes before it waits, then
    waits for the ``finish`` signal. What a waiting case of the interpreter holds
    beyond this is the interpreter's own state.
    """

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self, start: StartCase) -> None:
        """Record the case and its open task, then wait."""
        now = workflow.now()
        cid = workflow.info().workflow_id  # the case id, as in CaseWorkflow
        task_id = f"{cid}.review.1"
        events = [
            CaseEvent(
                seq=1,
                at=now,
                kind="case_opened",
                details={"process": "cli-test", "version": 1, "data": start.data},
            ),
            CaseEvent(seq=2, at=now, kind="step_entered", step_id="review", details={"visit": 1}),
            CaseEvent(
                seq=3,
                at=now,
                kind="task_created",
                step_id="review",
                task_id=task_id,
                details={"role": "frontline", "region": "emea"},
            ),
        ]
        task = TaskView(
            task_id=task_id,
            case_id=cid,
            step_id="review",
            kind="task",
            name="Review the request",
            state="open",
            role="frontline",
            region="emea",
            created_at=now,
            outcomes=["accept", "decline"],
        )
        snapshot = CaseView(
            case_id=cid,
            process="cli-test",
            version=1,
            plan_hash="-",
            status="open",
            region="emea",
            opened_by=start.opened_by,
            opened_at=now,
            current_steps=["review"],
            data=start.data,
            tasks=[task],
            last_seq=3,
        )
        await _record(events, snapshot)
        await workflow.wait_condition(lambda: self.done)

    @workflow.signal
    def finish(self) -> None:
        """End the wait."""
        self.done = True
