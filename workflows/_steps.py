"""Step executors of the case interpreter (workflow-side mixin).

Each ``_k_<kind>`` method runs one visit of a step for a token and returns the
next step id. ``fresh`` is False when the step was already entered in an
earlier run (continue-as-new): the executor then resumes from ``tok.wait``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

from casework.contracts import (
    ActionRequest,
    CaseView,
    EligibleQuery,
    Notification,
    RouteQuery,
    StartCase,
    TaskView,
)
from casework.language.durations import parse_duration
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
    is_ident,
)
from casework.language.plan import PlanRef
from casework.registry import REGISTRY
from workflows import _btime, _expr, _rules
from workflows._data import InvalidData, validate_case_data
from workflows._sla import SlaMixin
from workflows._state import Token

OPEN = _rules.OPEN_STATES


def _secs(deadline: dt.datetime | None) -> float | None:
    if deadline is None:
        return None
    return max(0.0, math.ceil((deadline - workflow.now()).total_seconds() * 1000) / 1000)


def _td(text: str) -> timedelta:
    return timedelta(seconds=parse_duration(text).seconds)


class StepsMixin(SlaMixin):
    """Runs tokens through the plan's steps."""

    # --- tokens -----------------------------------------------------------------------------

    def spawn(self, tok: Token) -> None:
        """Start (or restart after continue-as-new) the coroutine running ``tok``."""
        if tok.id not in self.runners and not tok.done:
            self.runners[tok.id] = asyncio.create_task(self._run_token(tok))

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

    def cancel_token(self, tok: Token, why: str) -> None:
        """Cancel a position and everything under it (tasks cancelled, timers dropped)."""
        for child_id in tok.children:
            child = self.st.tokens.get(child_id)
            if child is not None and not child.done:
                self.cancel_token(child, why)
        task_id = tok.wait.get("task")
        task = self.st.tasks.get(task_id) if task_id else None
        if task is not None and task.state in OPEN:
            task.state = "cancelled"
            self.emit("task_cancelled", step=task.step_id, task=task.task_id, reason=why)
        self.resume_clocks(tok.id)
        tok.done = tok.cancelled = True
        tok.waiting = False
        runner = self.runners.pop(tok.id, None)
        if runner is not None and runner is not asyncio.current_task():
            runner.cancel()

    def finish(
        self, status: str, outcome: str | None, reason: str | None, *, actor: str, step: str | None
    ) -> None:
        """End the case: stop clocks, cancel what is still open, record the end."""
        if self.closing:
            return
        now = workflow.now()
        self.st.status, self.st.outcome, self.st.reason = status, outcome, reason
        if status == "resolved":
            self.st.resolved_at = now
        self.st.closed_at = now
        for tok in self.live_tokens():
            if tok.parent is None:
                self.cancel_token(tok, f"case {status}")
        for name in ("first_response", "resolution"):
            self.stop_clock(name)
        self.emit(
            "case_ended", actor=actor, step=step, status=status, outcome=outcome, reason=reason
        )
        self.closing = True

    # --- human tasks ------------------------------------------------------------------------

    def _team(self, text: str | None, where: str) -> str | None:
        if text is None:
            return None
        if is_ident(text):
            return text
        value = self.evaluate(text, where)
        return None if value is None else str(value)

    async def _k_task(self, tok: Token, step: TaskStep, fresh: bool) -> str | None:
        if fresh:
            visit, a, now = self.st.visits[step.id], step.assign, workflow.now()
            tid = f"{self.st.case_id}.{step.id}.{visit}"
            region = self.evaluate(a.region, f"step {step.id}: assign.region") if a.region else None
            person = self.evaluate(a.person, f"step {step.id}: assign.person") if a.person else None
            due = (
                _btime.add_duration(self.cal(), now, parse_duration(step.due)) if step.due else None
            )
            task = TaskView(
                task_id=tid,
                case_id=self.st.case_id,
                step_id=step.id,
                kind="task",
                name=step.name or step.id,
                state="open",
                role=a.role,
                team=self._team(a.team, f"step {step.id}: assign.team"),
                region=None if region is None else str(region),
                skills=list(a.skills),
                person=None if person is None else str(person),
                created_at=now,
                due_at=due,
                outcomes=[o.outcome for o in step.outcomes] or ["done"],
            )
            self.st.tasks[tid] = task
            tok.wait = {"task": tid, "overdue": False, "reminders": 0}
            self.emit(
                "task_created",
                step=step.id,
                task=tid,
                role=task.role,
                team=task.team,
                region=task.region,
                person=task.person,
                due_at=due,
            )
            if a.routing is not None:
                await self._route(task, a.routing)
        tid = tok.wait["task"]
        while self.st.tasks[tid].state in OPEN:
            task = self.st.tasks[tid]
            deadline = self._task_deadline(task, step, tok)
            tok.waiting = True
            try:
                await workflow.wait_condition(
                    lambda: self.st.tasks[tid].state not in OPEN, timeout=_secs(deadline)
                )
            except TimeoutError:
                tok.waiting = False
                nxt = await self._task_timeout(tok, step, task)
                if nxt is not None:
                    return nxt
            finally:
                tok.waiting = False
        return self._task_done(step, self.st.tasks[tid])

    def _task_deadline(self, task: TaskView, step: TaskStep, tok: Token) -> dt.datetime | None:
        if task.due_at is None:
            return None
        if not tok.wait.get("overdue"):
            return task.due_at
        if step.remind_every is None:
            return None
        every = parse_duration(step.remind_every)
        n = int(tok.wait.get("reminders", 0)) + 1
        return _btime.add(self.cal(), task.due_at, every.seconds * n, every.business)

    async def _task_timeout(self, tok: Token, step: TaskStep, task: TaskView) -> str | None:
        if not tok.wait.get("overdue"):
            if step.on_timeout is not None:
                task.state = "expired"
                self.emit("task_expired", step=step.id, task=task.task_id, next=step.on_timeout)
                return step.on_timeout
            tok.wait["overdue"] = True
            self.emit("task_reminded", step=step.id, task=task.task_id, overdue=True, reminder=0)
            return None
        n = int(tok.wait.get("reminders", 0)) + 1
        tok.wait["reminders"] = n
        key = f"{self.st.case_id}:{step.id}:{self.st.visits[step.id]}:r{n}"
        subject = f"Reminder: {task.name} is overdue ({self.st.case_id})"
        body = f"Task {task.task_id} was due at {task.due_at.isoformat() if task.due_at else ''}."
        if task.assignee or task.person:
            await self.activity(
                "notify.send",
                Notification(
                    key=key,
                    case_id=self.st.case_id,
                    step_id=step.id,
                    channel="internal",
                    recipient=str(task.assignee or task.person),
                    subject=subject,
                    body=body,
                ),
            )
        elif task.role:
            await self.notify_role(task.role, key, subject, body, step.id)
        self.emit("task_reminded", step=step.id, task=task.task_id, overdue=True, reminder=n)
        return None

    def _task_done(self, step: TaskStep, task: TaskView) -> str | None:
        self.st.steps[step.id] = {
            "outcome": task.outcome,
            "reason": task.reason,
            "actor": task.completed_by,
            "form": dict(task.form),
        }
        marked = getattr(self, "_first_response_marked", None)
        if marked is None:
            marked = any(
                isinstance(s, TaskStep) and s.first_response for s in self.steps_by_id.values()
            )
            self._first_response_marked = marked
        if step.first_response or not marked:
            self.stop_clock("first_response")
        values = {
            k: self.evaluate(v, f"step {step.id}: set.{k}", form=dict(task.form))
            for k, v in step.set.items()
        }
        self.set_fields(values, actor=task.completed_by or "system", step=step.id)
        route = next((r for r in step.outcomes if r.outcome == task.outcome), None)
        return route.next if route is not None and route.next else step.next

    async def _route(self, task: TaskView, rule_name: str) -> None:
        rule = self.plan.routing.get(rule_name)
        if rule is None:
            return
        person = await self.activity(
            "directory.route",
            RouteQuery(
                key=task.task_id,
                rule=rule.name,
                strategy=rule.strategy,
                role=task.role or rule.role,
                team=(task.team or self.st.data.get("team")) if "team" in rule.within else None,
                region=(task.region or self.st.data.get("region")) if "region" in rule.within else None,
                skills=sorted(set(rule.skills) | set(task.skills)),
            ),
            result_type=str,
        )
        if person and task.state == "open":
            task.assignee, task.state, task.claimed_at = str(person), "claimed", workflow.now()
            self.emit(
                "task_claimed",
                step=task.step_id,
                task=task.task_id,
                assignee=task.assignee,
                routed_by=rule.name,
            )

    # --- approvals --------------------------------------------------------------------------

    def earlier_approvers(self, step_id: str) -> set[str]:
        """People who approved another approval step of this case (four-eyes)."""
        return {p for s, people in self.st.approved_by.items() if s != step_id for p in people}

    async def _k_approval(self, tok: Token, step: ApprovalStep, fresh: bool) -> str | None:
        if fresh:
            await self._open_approval(tok, step)
        tid = tok.wait["task"]
        task = self.st.tasks[tid]
        decision: str | None = tok.wait.get("decision")
        while decision is None:
            tok.waiting = True
            try:
                await workflow.wait_condition(
                    lambda: _rules.decide(step, task, tid in self.st.vetoed) is not None,
                    timeout=None if tok.wait.get("overdue") else _secs(task.due_at),
                )
                decision = _rules.decide(step, task, tid in self.st.vetoed)
            except TimeoutError:
                tok.wait["overdue"] = True
                if step.auto_decision is not None:
                    decision = step.auto_decision
                    self.emit(
                        "approval_decided", step=step.id, task=tid, decision=decision, auto=True
                    )
                    tok.wait["decision"] = decision
                    break
                self.emit("task_reminded", step=step.id, task=tid, overdue=True, reminder=0)
            finally:
                tok.waiting = False
        else:
            pass
        if task.state in OPEN:
            if not tok.wait.get("decision"):
                self.emit(
                    "approval_decided",
                    step=step.id,
                    task=tid,
                    decision=decision,
                    votes=len(task.votes),
                )
            task.state, task.outcome, task.completed_at = "completed", decision, workflow.now()
        if decision == "approved":
            self.st.approved_by[step.id] = [v.actor for v in task.votes if v.decision == "approved"]
        form: dict[str, Any] = {}
        for v in task.votes:
            form.update(task.form if v.actor == task.completed_by else {})
        self.st.steps[step.id] = {
            "decision": decision,
            "outcome": decision,
            "actor": task.completed_by,
            "form": dict(task.form),
            "requester": self.st.steps.get(step.id, {}).get("requester"),
        }
        return step.on.get(decision) or step.next  # type: ignore[call-overload]

    async def _open_approval(self, tok: Token, step: ApprovalStep) -> None:
        visit, now, where = self.st.visits[step.id], workflow.now(), f"step {step.id}"
        tid = f"{self.st.case_id}.{step.id}.{visit}"
        requester = self.st.opened_by
        if step.requester:
            requester = str(self.evaluate(step.requester, f"{where}: requester"))
        ap = step.approvers
        region = team = None
        people: list[str] | None = None
        if ap is not None:
            region = self.evaluate(ap.region, f"{where}: approvers.region") if ap.region else None
            team = ap.team
            if ap.people:
                raw = self.evaluate(ap.people, f"{where}: approvers.people")
                people = [str(p) for p in (raw if isinstance(raw, list) else [raw])]
        pool: list[str] = []
        if people is not None or step.decide in ("all", "quorum"):
            found = await self.activity(
                "directory.eligible",
                EligibleQuery(
                    role=ap.role if ap else None,
                    team=team,
                    region=None if region is None else str(region),
                    people=people,
                ),
                result_type=list[str],
            )
            pool = [str(p) for p in found or []]
            if step.four_eyes:
                banned = self.earlier_approvers(step.id) | {requester}
                pool = [p for p in pool if p not in banned]
        due = _btime.add_duration(self.cal(), now, parse_duration(step.due)) if step.due else None
        task = TaskView(
            task_id=tid,
            case_id=self.st.case_id,
            step_id=step.id,
            kind="approval",
            name=step.name or step.id,
            state="open",
            role=ap.role if ap else None,
            team=team,
            region=None if region is None else str(region),
            eligible=pool,
            created_at=now,
            due_at=due,
            outcomes=list(step.on),
        )
        self.st.tasks[tid] = task
        self.st.steps[step.id] = {**self.st.steps.get(step.id, {}), "requester": requester}
        tok.wait = {"task": tid}
        self.emit(
            "task_created",
            step=step.id,
            task=tid,
            kind="approval",
            role=task.role,
            eligible=pool,
            decide=step.decide,
            quorum=step.quorum,
            due_at=due,
        )
        if (
            step.decide == "quorum"
            and (people is not None or pool)
            and len(pool) < (step.quorum or 1)
        ):
            tok.wait["decision"] = "rejected"
            self.emit(
                "approval_decided",
                step=step.id,
                task=tid,
                decision="rejected",
                reason=f"quorum {step.quorum} cannot be reached with {len(pool)} approvers",
            )

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
            case_id=child_id,
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
                )
                self.st.steps[step.id] = {"result": {"case_id": child_id}}
                return step.next
            view = await workflow.execute_child_workflow(
                "CaseWorkflow", start, id=child_id, result_type=CaseView
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


def _jsonable_input(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in data.items()}
