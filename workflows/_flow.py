"""Parallel, wait and subprocess steps (workflow-side mixin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError

from casework.contracts import (
    CaseResult,
    StartCase,
)
from casework.language.durations import parse_duration
from casework.language.model import (
    ParallelStep,
    SubprocessStep,
    WaitStep,
)
from casework.language.plan import PlanRef
from casework.registry import REGISTRY
from workflows import _btime, _rules
from workflows._data import InvalidData, validate_case_data
from workflows._state import Token
from workflows._tokens import TokensMixin, _secs

OPEN = _rules.OPEN_STATES


#: Events kept per name for a wait step not reached yet (the oldest are dropped).
EARLY_EVENTS_KEPT = 20


class FlowMixin(TokensMixin):
    """Structure: branches, waits on time and events, child cases."""

    # --- structure --------------------------------------------------------------------------

    async def _k_parallel(self, tok: Token, step: ParallelStep, fresh: bool) -> str | None:
        if fresh:
            for branch in step.branches:
                if (
                    branch.when
                    and self.evaluate(branch.when, f"step {step.id}: {branch.id}.when") is not True
                ):
                    self.emit("step_left", step=step.id, branch=branch.id, skipped=True)
                    continue
                child = self.new_token(branch.steps[0].id, parent=tok.id, branch=branch.id)
                tok.children.append(child.id)
        children = [self.st.tokens[c] for c in tok.children]
        for child in children:
            self.spawn(child)
        total = len(children)
        need = {"all": total, "any": 1}.get(step.join, step.n or total)
        need = min(need, total)
        tok.waiting = True
        try:
            await workflow.wait_condition(
                lambda: (
                    sum(c.done and not c.cancelled for c in children) >= need
                    or all(c.done for c in children)
                )
            )
        finally:
            tok.waiting = False
        for child in children:
            if not child.done:
                self.cancel_token(child, f"parallel {step.id} joined ({step.join})")
        for child in children:
            self.st.tokens.pop(child.id, None)
        tok.children = []
        return step.next

    async def _k_wait(self, tok: Token, step: WaitStep, fresh: bool) -> str | None:
        if fresh:
            now, cal, deadline = workflow.now(), self.cal(), None
            if step.duration:
                deadline = _btime.add_duration(cal, now, parse_duration(step.duration))
            elif step.until:
                value = self.evaluate(step.until, f"step {step.id}: until")
                deadline = (
                    value
                    if isinstance(value, dt.datetime)
                    else dt.datetime.fromisoformat(str(value))
                )
            elif step.timeout:
                deadline = _btime.add_duration(cal, now, parse_duration(step.timeout))
            tok.wait = {"deadline": deadline.isoformat() if deadline else None, "event": None}
            kept = self.st.early_events.get(step.event or "")
            if kept:  # the event came before this step was reached: take the oldest
                tok.wait["event"] = kept.pop(0)
                self.emit("event_taken", step=step.id, event=step.event, kept=len(kept))
            self.pause_clocks(tok.id, step.waiting_for)
            if step.waiting_for and self.st.status == "open":
                self.st.status = "waiting"
        raw = tok.wait.get("deadline")
        deadline = dt.datetime.fromisoformat(raw) if raw else None
        timed_out = False
        tok.waiting = True
        try:
            await workflow.wait_condition(
                lambda: tok.wait.get("event") is not None, timeout=_secs(deadline)
            )
        except TimeoutError:
            timed_out = True
        finally:
            tok.waiting = False
        self.resume_clocks(tok.id)
        if self.st.status == "waiting" and not self.st.pausers:
            self.st.status = "open"
        if step.event is None:
            return step.next
        if timed_out:
            self.st.steps[step.id] = {"event": {}, "outcome": "timeout"}
            return step.on_timeout or step.next
        payload = dict(tok.wait["event"])
        self.st.steps[step.id] = {"event": payload, "outcome": "received"}
        values = {
            k: self.evaluate(v, f"step {step.id}: set.{k}", event=payload)
            for k, v in step.set.items()
        }
        self.set_fields(values, actor="system", step=step.id)
        return step.next

    def keep_early_event(self, name: str, payload: dict[str, Any]) -> bool:
        """Keep an event no wait step took, if some wait step of the process waits for it.

        The next wait step for it takes it at once (a customer who answers before
        the agent has asked is not lost); at most ``EARLY_EVENTS_KEPT`` per event.
        """
        if not any(isinstance(s, WaitStep) and s.event == name for s in self.steps_by_id.values()):
            return False
        kept = self.st.early_events.setdefault(name, [])
        kept.append(payload)
        del kept[:-EARLY_EVENTS_KEPT]
        return True

    def deliver_event(self, name: str, payload: dict[str, Any]) -> int:
        """Hand an outside event to the wait steps waiting for it; return how many took it."""
        taken = 0
        for tok in self.live_tokens():
            step = self.steps_by_id.get(tok.step or "")
            if (
                isinstance(step, WaitStep)
                and step.event == name
                and tok.entered
                and "event" in tok.wait
                and tok.wait["event"] is None
            ):
                tok.wait["event"] = payload
                taken += 1
        return taken

    async def _k_subprocess(self, tok: Token, step: SubprocessStep, fresh: bool) -> str | None:
        visit = self.st.visits[step.id]
        child_id = f"{self.st.case_id}-{step.id}-{visit}"
        if fresh or "plan" not in tok.wait:
            try:
                plan = REGISTRY.resolve(step.process, step.version)
            except Exception as exc:  # a worker with the plan may take the retried task
                raise RuntimeError(f"step {step.id}: {exc}") from None
            tok.wait = {"plan": plan.ref.model_dump(), "child": child_id}
        ref = REGISTRY.get(PlanRef.model_validate(tok.wait["plan"]))
        data = {k: self.evaluate(v, f"step {step.id}: input.{k}") for k, v in step.input.items()}
        try:
            data = validate_case_data(ref, data)
        except InvalidData as exc:
            raise ApplicationError(
                f"step {step.id}: input for {step.process}: {exc}",
                type="InvalidData",
                non_retryable=True,
            ) from None
        start = StartCase(
            plan=ref.ref,
            data=data,
            opened_by=self.st.opened_by,
            parent_case_id=self.st.case_id,
        )
        self.emit(
            "subprocess_started",
            step=step.id,
            child_case_id=child_id,
            process=ref.process,
            plan=str(ref.ref),
            wait=step.wait,
        )
        self.inflight += 1
        try:
            if not step.wait:
                await workflow.start_child_workflow(
                    "CaseWorkflow",
                    start,
                    id=child_id,
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                    search_attributes=self.child_search_attributes(ref, data),
                )
                self.st.steps[step.id] = {"result": {"case_id": child_id}}
                return step.next
            tok.waiting = True  # a child case may take days: let the records catch up
            view = await workflow.execute_child_workflow(
                "CaseWorkflow",
                start,
                id=child_id,
                result_type=CaseResult,
                search_attributes=self.child_search_attributes(ref, data),
            )
        except ChildWorkflowError as exc:
            message = getattr(exc.cause, "message", None) or str(exc.cause or exc)
            self.st.steps[step.id] = {"result": {"case_id": child_id, "status": "failed"}}
            self.emit(
                "subprocess_completed",
                step=step.id,
                child_case_id=child_id,
                status="failed",
                error=message,
            )
            if step.on_failure:
                return step.on_failure
            raise ApplicationError(
                f"step {step.id}: subprocess {child_id} failed: {message}",
                type="SubprocessFailed",
                non_retryable=True,
            ) from None
        finally:
            self.inflight -= 1
            tok.waiting = False
        result = {
            "case_id": child_id,
            "status": view.status,
            "outcome": view.outcome,
            "reason": view.reason,
            "data": view.data,
        }
        self.st.steps[step.id] = {"result": result, "outcome": view.outcome}
        self.emit(
            "subprocess_completed",
            step=step.id,
            child_case_id=child_id,
            status=view.status,
            outcome=view.outcome,
        )
        return step.next
