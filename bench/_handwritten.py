"""A hand-written Temporal workflow doing what a 5-action definition does (benchmark baseline)."""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from casework.contracts import ActionRequest

#: The activities, in order, that both the baseline and the 5-action definition call.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("update_crm", "crm.update_customer"),
    ("refund", "billing.issue_refund"),
    ("enroll", "training.enroll"),
    ("publish", "policies.publish_change"),
    ("update_crm_again", "crm.update_customer"),
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
