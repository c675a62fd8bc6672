"""A workflow runner that lets a cached case drop its first activation.

With the upb protobuf runtime (protobuf's default since 4.21), a sub-message, map
or repeated field taken from a parsed message keeps the whole message's arena
alive. The SDK keeps a few such pieces of a workflow's first activation for as
long as the workflow stays cached: its headers (twice), memo, last completion
result and continued failure. So every cached case held on to the activation
that started it, input and search attributes included: about 10 KB per waiting
case (bench/README.md, "What changed on 2026-12-02", item 11). Copies of those
pieces, each in an arena of its own, let the activation go.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from google.protobuf.message import Message
from temporalio.worker import (
    ExecuteWorkflowInput,
    WorkflowInboundInterceptor,
    WorkflowInstance,
    WorkflowInstanceDetails,
    WorkflowRunner,
)
from temporalio.workflow import _Definition

M = TypeVar("M", bound=Message)


def detached(message: M) -> M:
    """A copy of ``message`` that shares no arena with it."""
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def detached_map(messages: Mapping[str, M]) -> dict[str, M]:
    """:func:`detached` copies of every value of ``messages``."""
    return {key: detached(value) for key, value in messages.items()}


class _DetachedHeaders(WorkflowInboundInterceptor):
    """Replaces the run's headers, a map of the first activation, by copies."""

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        # the instance keeps this very input object for the whole run
        input.headers = detached_map(input.headers)
        return await self.next.execute_workflow(input)


def detached_details(det: WorkflowInstanceDetails) -> WorkflowInstanceDetails:
    """``det`` with no piece of the activation it was made from."""
    info = dataclasses.replace(
        det.info, headers=detached_map(det.info.headers), raw_memo=detached_map(det.info.raw_memo)
    )
    return dataclasses.replace(
        det,
        info=info,
        last_completion_result=detached(det.last_completion_result),
        last_failure=None if det.last_failure is None else detached(det.last_failure),
        interceptor_classes=[_DetachedHeaders, *det.interceptor_classes],
    )


class DetachingRunner(WorkflowRunner):
    """Runs workflows with ``inner``, from :func:`detached_details`."""

    def __init__(self, inner: WorkflowRunner) -> None:
        """Wrap ``inner`` (the sandboxed or the unsandboxed runner)."""
        self.inner = inner

    def prepare_workflow(self, defn: _Definition) -> None:
        """Prepare ``defn`` as ``inner`` does."""
        self.inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        """An instance of ``inner`` made from copies of the activation's pieces."""
        return self.inner.create_instance(detached_details(det))

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        """Pass ``types`` on to ``inner``."""
        self.inner.set_worker_level_failure_exception_types(types)
