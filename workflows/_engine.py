"""Core of the case interpreter: state, events, views, activities, projection.

Workflow-side code (it calls ``temporalio.workflow``); the workflow class in
:mod:`workflows.case` mixes in this base, the SLA mixin and the step executors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

from casework import search_attributes, sla
from casework.contracts import CaseEvent, CaseResult, CaseView, ProjectionBatch, TaskView
from casework.language.model import ParallelStep, Step
from casework.language.plan import Plan
from casework.language.policies import Calendar
from workflows import _expr
from workflows._config import ENGINE
from workflows._state import CaseState, Token

_STEP_DEFAULTS: dict[str, Any] = {
    "outcome": None,
    "reason": None,
    "actor": None,
    "form": {},
    "result": {},
    "decision": None,
    "event": {},
}
PROJECT_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=0)
PROJECT_LOCAL_TIMEOUT = timedelta(seconds=5)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def index_steps(steps: list[Step], into: dict[str, Step]) -> dict[str, Step]:
    """Map every step id (also inside parallel branches) to its step."""
    for step in steps:
        into[step.id] = step
        if isinstance(step, ParallelStep):
            for branch in step.branches:
                index_steps(branch.steps, into)
    return into


class EngineBase:
    """State, events, projection and activity helpers shared by the mixins."""

    plan: Plan
    st: CaseState
    steps_by_id: dict[str, Step]

    def _setup(self, plan: Plan, state: CaseState) -> None:
        self.plan = plan
        self.st = state
        self.steps_by_id = index_steps(list(plan.definition.steps), {})
        self.runners: dict[int, asyncio.Task[None]] = {}
        self.inflight = 0
        self.activities = 0
        self.from_outside = False
        self.projecting = False
        self.closing = False
        self.sla_dirty = False
        # the projector and the SLA loop run only while they have work: a case waiting on
        # people holds no coroutines of theirs (about 4.5 KB each in a worker)
        self.projector_task: asyncio.Task[None] | None = None
        self.sla_task: asyncio.Task[None] | None = None
        self.failure: BaseException | None = None
        self.end_request: tuple[str, str | None, str | None, str] | None = None
        # recent recorded events as JSON: a third of the memory of the models
        self.tail: list[str] = []
        # history length of the workflow task that answers an Update (see emit)
        self.answering_at: int | None = None
        self.projected_seq = state.pending[0].seq - 1 if state.pending else state.seq

    # --- basics -------------------------------------------------------------------------

    def cal(self) -> Calendar | None:
        """The business calendar of the case's region."""
        return self.plan.calendar_for(self.st.data.get("region"))

    def emit(
        self,
        kind: str,
        /,
        *,
        actor: str = "system",
        step: str | None = None,
        task: str | None = None,
        **details: Any,
    ) -> None:
        """Append an event to the timeline (projected later by the projector)."""
        if workflow.current_update_info() is not None:
            self.from_outside = True  # someone waits for this Update's answer
            self.answering_at = workflow.info().get_current_history_length()
        self.st.seq += 1
        self.st.pending.append(
            CaseEvent(
                seq=self.st.seq,
                at=workflow.now(),
                kind=kind,
                actor=actor,
                step_id=step,
                task_id=task,
                details=_jsonable({k: v for k, v in details.items() if v is not None}),
            )
        )
        self.wake_projector()
        self.upsert_unless_answering()

    def activation(self, **extra: Any) -> dict[str, Any]:
        """CEL variables for the case as it is now."""
        steps = {
            sid: {
                **_STEP_DEFAULTS,
                **self.st.steps.get(sid, {}),
                "visits": self.st.visits.get(sid, 0),
            }
            for sid in self.steps_by_id
        }
        base: dict[str, Any] = {
            "case": dict(self.st.data),
            "steps": steps,
            "now": workflow.now(),
            "opened_by": self.st.opened_by,
            "event": {},
            "result": {},
            "form": {},
        }
        base.update(extra)
        return base

    def evaluate(self, text: str, where: str, **extra: Any) -> Any:
        """Evaluate CEL; a failure fails the case with a clear message."""
        try:
            return _expr.evaluate(text, self.activation(**extra), where=where)
        except _expr.ExprError as exc:
            raise ApplicationError(str(exc), type="ExpressionFailed", non_retryable=True) from None

    def set_fields(self, values: dict[str, Any], *, actor: str, step: str | None) -> None:
        """Assign case fields and record each change."""
        for name, value in values.items():
            if self.st.data.get(name) != value:
                self.st.data[name] = _jsonable(value)
                self.emit("field_set", actor=actor, step=step, field=name, value=_jsonable(value))

    def open_tasks(self) -> Iterator[TaskView]:
        """Tasks still waiting for people."""
        return (t for t in self.st.tasks.values() if t.state in ("open", "claimed"))

    def view(self) -> CaseView:
        """The case as the ``state`` query shows it."""
        st, d = self.st, self.st.data
        assignee = next((t.assignee for t in self.open_tasks() if t.assignee), None)
        now = workflow.now()
        return CaseView(
            case_id=st.case_id,
            process=self.plan.process,
            version=self.plan.version,
            plan_hash=self.plan.hash,
            title=self.plan.definition.title,
            status=st.status,
            priority=d.get("priority"),
            region=d.get("region"),
            team=d.get("team"),
            assignee=assignee,
            customer=d.get("customer"),
            channel=d.get("channel"),
            opened_by=st.opened_by,
            opened_at=st.opened_at,
            first_response_at=st.first_response_at,
            resolved_at=st.resolved_at,
            closed_at=st.closed_at,
            outcome=st.outcome,
            reason=st.reason,
            escalation_level=st.escalation_level,
            sla_state=sla.case_sla_state(st.clocks, now),
            parent_case_id=st.parent_case_id,
            current_steps=[
                t.step for t in st.tokens.values() if t.step and not t.done and not t.children
            ],
            data=dict(d),
            tasks=list(st.tasks.values()),
            clocks=[sla.to_view(c, now) for c in st.clocks.clocks()],
            last_seq=st.seq,
        )

    def result(self) -> CaseResult:
        """What the case returns when it ends."""
        st = self.st
        fields = {"outcome": st.outcome, "reason": st.reason}
        # fields left unset stay out of the stored result (casework.converter); the
        # case id is the workflow id and the close time the completion event's
        return CaseResult(
            status=st.status,
            data=dict(st.data),
            **{name: value for name, value in fields.items() if value is not None},
        )

    def timeline(self) -> list[CaseEvent]:
        """Events of this run still held: the recent projected tail and the unprojected ones."""
        return [*(CaseEvent.model_validate_json(e) for e in self.tail), *self.st.pending]

    # --- search attributes ------------------------------------------------------------------

    def upsert_search_attributes(self) -> None:
        """Upsert the ``Case*`` search attributes that changed since the last upsert."""
        if not ENGINE.search_attributes:
            return
        wanted = search_attributes.case_values(
            process=self.plan.process,
            version=self.plan.version,
            status=self.st.status,
            data=self.st.data,
            assignee=next((t.assignee for t in self.open_tasks() if t.assignee), None),
            sla_state=sla.case_sla_state(self.st.clocks, workflow.now()),
        )
        changes = search_attributes.updates(self.st.search_attributes, wanted)
        if changes:
            workflow.upsert_search_attributes(changes)

    def upsert_unless_answering(self) -> None:
        """Upsert what changed, unless this workflow task answers an Update.

        An upsert there makes the person wait for it (4 ms of a 19 ms claim here):
        what changed is upserted in the next workflow task (the completion of the
        Update's records write, or any later event).
        """
        if self.answering_at != workflow.info().get_current_history_length():
            self.upsert_search_attributes()

    def child_search_attributes(self, plan: Plan, data: dict[str, Any]) -> TypedSearchAttributes:
        """What a child case starts with (empty when search attributes are switched off)."""
        if not ENGINE.search_attributes:
            return TypedSearchAttributes.empty
        return search_attributes.initial_search_attributes(plan, data)

    # --- activities and projection ----------------------------------------------------------

    async def activity(
        self,
        name: str,
        arg: Any,
        *,
        timeout: timedelta = timedelta(seconds=30),  # noqa: ASYNC109 - not an asyncio timeout
        retry: RetryPolicy | None = None,
        result_type: type | None = None,
    ) -> Any:
        """Run an activity by name, counted as work in flight (no continue-as-new meanwhile)."""
        self.inflight += 1
        self.activities += 1
        try:
            return await workflow.execute_activity(
                name,
                arg,
                start_to_close_timeout=timeout,
                retry_policy=retry,
                result_type=result_type,
            )
        finally:
            self.inflight -= 1
            self.activities -= 1

    def settled(self) -> bool:
        """True when no activity is in flight and every position waits (people, events,
        timers, child cases): the moment to bring the records up to date."""
        return self.activities == 0 and all(t.waiting for t in self.live_tokens())

    def wake_projector(self) -> None:
        """Start the projector if events wait for it and it is not running."""
        if self.projector_task is None and self.st.pending:
            self.projector_task = asyncio.create_task(self.projector())

    async def projector_stopped(self) -> None:
        """Wait for a running projector to return (it does once the case is closing)."""
        if self.projector_task is not None:
            await self.projector_task

    async def projector(self) -> None:
        """Send pending events with a snapshot to ``records.project``.

        A batch goes when the case settles or closes, or when the pending events
        fill a batch; a chain of automatic steps is so recorded in one batch, as a
        local activity whose input stays out of the history (``casework records
        rebuild`` replays the history to recover the batches). It returns when no
        event is left; the next event starts it again (:meth:`wake_projector`).
        """
        try:
            await self._project_pending()
        finally:
            self.projector_task = None

    async def _project_pending(self) -> None:
        while self.st.pending:
            await workflow.wait_condition(
                lambda: (
                    self.closing
                    or (
                        bool(self.st.pending)
                        and (self.settled() or len(self.st.pending) >= ENGINE.projection_batch)
                    )
                )
            )
            if not self.st.pending:
                return
            batch = self.st.pending[: ENGINE.projection_batch]
            self.projecting = True
            try:
                # built in the call: a waiting case keeps no snapshot alive
                await self._project(
                    ProjectionBatch(case_id=self.st.case_id, events=batch, snapshot=self.view())
                )
            except Exception as exc:
                # never die quietly: a dead projector would leave the case waiting forever
                self.failure = RuntimeError(f"records projection failed: {exc!r}")
                return
            finally:
                self.projecting = False
            del self.st.pending[: len(batch)]
            self.upsert_unless_answering()  # what an Update's answer left out
            self.projected_seq = batch[-1].seq
            self.tail = [*self.tail, *(e.model_dump_json() for e in batch)][-ENGINE.timeline_tail :]
            del batch

    async def _project(self, batch: ProjectionBatch) -> None:
        # A local activity holds the workflow task, so an Update's answer and queries
        # would wait for the records write, and a flood of signals would write once per
        # workflow task: batches following an Update or a signal go as a regular
        # activity (the signals arriving meanwhile join the next batch). Internal
        # progress gets one quick local attempt; if the records fail, a regular
        # activity retries until they are back while the case goes on.
        outside, self.from_outside = self.from_outside, False
        if not outside:
            try:
                await workflow.execute_local_activity(
                    "records.project",
                    batch,
                    start_to_close_timeout=PROJECT_LOCAL_TIMEOUT,
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
                return
            except (ActivityError, ApplicationError, TimeoutError):  # a local one raises its cause
                pass
        await workflow.execute_activity(
            "records.project",
            batch,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=PROJECT_RETRY,
        )

    async def flush(self, *, bounded: bool = False) -> None:
        """Wait until every event so far is projected.

        Args:
            bounded: Only wait for the events recorded when the flush started (a flood
                of signals cannot hold off continue-as-new; the rest is carried).
        """
        if bounded:
            target = self.st.seq
            await workflow.wait_condition(
                lambda: (
                    not self.projecting and (self.projected_seq >= target or not self.st.pending)
                )
            )
            return
        await workflow.wait_condition(lambda: not self.st.pending and not self.projecting)

    # --- tokens -----------------------------------------------------------------------------

    def new_token(
        self, step: str | None, *, parent: int | None = None, branch: str | None = None
    ) -> Token:
        """Create a position at ``step``."""
        tok = Token(id=self.st.next_token, step=step, parent=parent, branch=branch)
        self.st.next_token += 1
        self.st.tokens[tok.id] = tok
        return tok

    def live_tokens(self) -> list[Token]:
        """Positions still running."""
        return [t for t in self.st.tokens.values() if not t.done]

    def quiescent(self) -> bool:
        """True when every position waits on people, events or timers and nothing is in flight."""
        return self.inflight == 0 and all(t.waiting for t in self.live_tokens())
