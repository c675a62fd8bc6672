"""Step executors of the case interpreter (workflow-side mixin).

Each ``_k_<kind>`` method runs one visit of a step for a token and returns the
next step id. ``fresh`` is False when the step was already entered in an
earlier run (continue-as-new): the executor then resumes from ``tok.wait``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from casework.contracts import (
    ActionRequest,
    Notification,
)
from casework.language.model import (
    ActionStep,
    ApprovalStep,
    DecisionStep,
    EndStep,
    EscalateStep,
    NotifyStep,
    ParallelStep,
    SetStep,
    Step,
    SubprocessStep,
    TaskStep,
    WaitStep,
)
from workflows import _expr, _rules
from workflows._flow import FlowMixin
from workflows._human import HumanMixin
from workflows._state import Token
from workflows._tokens import _td

OPEN = _rules.OPEN_STATES


class StepsMixin(HumanMixin, FlowMixin):
    """Runs tokens through the plan's steps."""

    # --- tokens -----------------------------------------------------------------------------
    async def _run_token(self, tok: Token) -> None:
        try:
            while tok.step is not None and not tok.done:
                step = self.steps_by_id[tok.step]
                fresh = not tok.entered
                if fresh:
                    redirect = self._enter(tok, step)
                    if redirect is not None:
                        tok.step = redirect
                        continue
                nxt = await self._execute(tok, step, fresh)
                if tok.done:
                    break
                self.emit("step_left", step=step.id, next=nxt, branch=tok.branch)
                tok.step, tok.entered, tok.wait, tok.waiting = nxt, False, {}, False
            tok.done = True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self.failure is None:
                self.failure = exc

    def _enter(self, tok: Token, step: Step) -> str | None:
        visit = self.st.visits.get(step.id, 0) + 1
        if step.max_visits is not None and visit > step.max_visits:
            if step.on_max_visits is None:
                raise ApplicationError(
                    f"step {step.id}: entered more than max_visits={step.max_visits} times; "
                    "add on_max_visits to the step or fix the loop",
                    type="MaxVisitsExceeded",
                    non_retryable=True,
                )
            self.emit("step_left", step=step.id, next=step.on_max_visits, max_visits_exceeded=True)
            return step.on_max_visits
        self.st.visits[step.id] = visit
        tok.entered = True
        self.emit("step_entered", step=step.id, kind=step.kind, visit=visit, branch=tok.branch)
        return None

    async def _execute(self, tok: Token, step: Step, fresh: bool) -> str | None:
        if isinstance(step, TaskStep):
            return await self._k_task(tok, step, fresh)
        if isinstance(step, ApprovalStep):
            return await self._k_approval(tok, step, fresh)
        if isinstance(step, ActionStep):
            return await self._k_action(step)
        if isinstance(step, DecisionStep):
            for i, when in enumerate(step.when):
                if self.evaluate(when.condition, f"step {step.id}: when[{i}]") is True:
                    return when.next
            return step.otherwise
        if isinstance(step, ParallelStep):
            return await self._k_parallel(tok, step, fresh)
        if isinstance(step, WaitStep):
            return await self._k_wait(tok, step, fresh)
        if isinstance(step, SubprocessStep):
            return await self._k_subprocess(tok, step, fresh)
        if isinstance(step, NotifyStep):
            return await self._k_notify(step)
        if isinstance(step, EscalateStep):
            return await self._k_escalate(step)
        if isinstance(step, SetStep):
            values = {
                k: self.evaluate(v, f"step {step.id}: values.{k}") for k, v in step.values.items()
            }
            self.set_fields(values, actor="system", step=step.id)
            return step.next
        assert isinstance(step, EndStep)
        self.finish(step.status, step.outcome, step.reason, actor="system", step=step.id)
        tok.done = True
        return None

    # --- automated steps --------------------------------------------------------------------

    async def _k_action(self, step: ActionStep) -> str | None:
        visit = self.st.visits[step.id]
        key = f"{self.st.case_id}:{step.id}:{visit}"
        data = {k: self.evaluate(v, f"step {step.id}: input.{k}") for k, v in step.input.items()}
        r = step.retry
        retry = RetryPolicy(
            initial_interval=_td(r.initial_interval),
            backoff_coefficient=r.backoff,
            maximum_interval=_td(r.max_interval),
            maximum_attempts=r.max_attempts,
        )
        try:
            result = await self.activity(
                step.activity,
                ActionRequest(
                    key=key, case_id=self.st.case_id, step_id=step.id, input=_jsonable_input(data)
                ),
                timeout=_td(step.timeout),
                retry=retry,
            )
        except ActivityError as exc:
            cause = exc.cause or exc
            message = getattr(cause, "message", None) or str(cause)
            self.st.steps[step.id] = {"result": {}, "error": message}
            self.emit(
                "action_failed",
                step=step.id,
                activity=step.activity,
                error=message,
                next=step.on_failure,
            )
            if step.on_failure is not None:
                return step.on_failure
            raise ApplicationError(
                f"step {step.id}: action {step.activity} failed after {r.max_attempts} attempts: "
                f"{message} (add on_failure to the step to handle it)",
                type="ActionFailed",
                non_retryable=True,
            ) from None
        res = result if isinstance(result, dict) else {"value": result}
        self.st.steps[step.id] = {"result": res}
        self.emit("action_completed", step=step.id, activity=step.activity, key=key)
        values = {
            k: self.evaluate(v, f"step {step.id}: set.{k}", result=res) for k, v in step.set.items()
        }
        self.set_fields(values, actor="system", step=step.id)
        return step.next

    async def _k_notify(self, step: NotifyStep) -> str | None:
        visit = self.st.visits[step.id]
        key = f"{self.st.case_id}:{step.id}:{visit}"
        tpl = self.plan.definition.templates.get(step.template)
        variables = self.activation()
        subject = _expr.render(tpl.subject, variables) if tpl else ""
        body = _expr.render(tpl.body, variables) if tpl else ""
        to, d = step.to, self.st.data
        recipient: str | None = None
        if to.customer:
            recipient = d.get("customer_email") or d.get("customer")
        elif to.person:
            recipient = str(self.evaluate(to.person, f"step {step.id}: to.person"))
        elif to.assignee_of:
            done = [t for t in self.st.tasks.values() if t.step_id == to.assignee_of]
            recipient = (done[-1].assignee or done[-1].completed_by) if done else None
        elif to.role:
            region = d.get("region")
            recipient = f"role:{to.role}@{region}" if region else f"role:{to.role}"
        if recipient is None:
            self.emit("notification_sent", step=step.id, skipped="no recipient", key=key)
            return step.next
        await self.activity(
            "notify.send",
            Notification(
                key=key,
                case_id=self.st.case_id,
                step_id=step.id,
                channel=step.channel,
                recipient=str(recipient),
                subject=subject,
                body=body,
            ),
        )
        self.emit(
            "notification_sent",
            step=step.id,
            recipient=str(recipient),
            channel=step.channel,
            template=step.template,
            key=key,
        )
        return step.next

    async def _k_escalate(self, step: EscalateStep) -> str | None:
        ladder = self.plan.ladder
        number = step.level
        if number is None and ladder is not None:
            number = next(
                (lv.level for lv in ladder.levels if lv.level not in self.st.fired_levels), None
            )
        if number is not None and ladder is not None:
            await self.fire_level(
                number, reason=step.reason or "escalated by the process", step=step.id
            )
        else:
            self.st.escalation_level += 1
            self.emit(
                "escalation_level",
                step=step.id,
                level=self.st.escalation_level,
                reason=step.reason or "escalated by the process",
            )
        return step.next


def _jsonable_input(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in data.items()}
