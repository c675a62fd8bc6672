"""Human task and approval steps (workflow-side mixin)."""

from __future__ import annotations

import datetime as dt

from temporalio import workflow

from casework.contracts import (
    EligibleQuery,
    Notification,
    RouteQuery,
    TaskView,
)
from casework.language.durations import parse_duration
from casework.language.model import (
    ApprovalStep,
    TaskStep,
    is_ident,
)
from workflows import _btime, _rules
from workflows._state import Token
from workflows._tokens import TokensMixin, _secs

OPEN = _rules.OPEN_STATES


class HumanMixin(TokensMixin):
    """Tasks people complete and approvals they vote on."""

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
                region=(task.region or self.st.data.get("region"))
                if "region" in rule.within
                else None,
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
