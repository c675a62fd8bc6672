"""The detaching runner: workflows see their first activation's pieces, as copies."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Interceptor, OutboundInterceptor, StartWorkflowInput
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    UnsandboxedWorkflowRunner,
    Worker,
    WorkflowInstance,
    WorkflowInstanceDetails,
)

from workers._runner import DetachingRunner, detached, detached_map

HEADER = Payload(metadata={"encoding": b"json/plain"}, data=b'"from the caller"')


@workflow.defn(name="ShowsItsStart")
class ShowsItsStart:
    @workflow.run
    async def run(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "memo": workflow.memo_value("team", type_hint=str),
            "header": workflow.info().headers["probe"].data.decode(),
        }


class _Recording(UnsandboxedWorkflowRunner):
    """Keeps every ``det`` it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[WorkflowInstanceDetails] = []

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        self.given.append(det)
        return super().create_instance(det)


class _Header(Interceptor):
    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _HeaderOut(next)


class _HeaderOut(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> Any:
        input.headers = {**input.headers, "probe": HEADER}
        return await super().start_workflow(input)


def test_copies_are_equal_and_apart() -> None:
    copy = detached(HEADER)
    assert copy == HEADER
    assert copy is not HEADER
    copies = detached_map({"a": HEADER})
    assert copies == {"a": HEADER}
    assert copies["a"] is not HEADER


async def test_a_workflow_runs_from_copies_of_its_start(
    time_env: WorkflowEnvironment, task_queue: str
) -> None:
    inner = _Recording()
    config = time_env.client.config()
    config["interceptors"] = [_Header()]
    client = type(time_env.client)(**config)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ShowsItsStart],
        workflow_runner=DetachingRunner(inner),
    ):
        result = await client.execute_workflow(
            ShowsItsStart.run,
            "x",
            id=f"wf-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
            memo={"team": "billing"},
        )
    assert result == {"name": "x", "memo": "billing", "header": '"from the caller"'}
    (det,) = inner.given
    assert det.interceptor_classes[0].__name__ == "_DetachedHeaders"
    assert det.info.headers == {"probe": HEADER}
    assert det.last_failure is None
