"""SLA clocks and the escalation ladder of a case (workflow-side mixin)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
from datetime import timedelta
from typing import Any

from temporalio import workflow

from casework import sla
from casework.contracts import Notification, StartCase
from casework.language.policies import PRIORITIES, Calendar
from casework.registry import REGISTRY
from workflows._engine import EngineBase

_EPS = timedelta(milliseconds=1)


class SlaMixin(EngineBase):
    """Clock start/pause/stop, priority changes, and levels firing exactly once."""

    def clock_cal(self, c: sla.SlaClock) -> Calendar | None:
        """The calendar a clock counts in (the one it started with)."""
        return self.plan.calendars.get(c.calendar) if c.calendar else None

    def _put(self, c: sla.SlaClock) -> None:
        self.st.clocks = self.st.clocks.replace(c)

    def start_clocks(self) -> None:
        """Start first_response and resolution at case open."""
        policy = self.plan.sla
        if policy is None:
            return
        now = workflow.now()
        self.st.clocks = sla.open_clocks(policy, self.st.data.get("priority"), now, self.cal())
        for c in self.st.clocks.clocks():
            self.emit(
                "sla_started",
                clock=c.name,
                target_seconds=c.target_seconds,
                business=c.business,
                calendar=c.calendar,
                deadline=c.deadline,
            )

    def stop_clock(self, name: str) -> None:
        """Stop a clock: met, or breached when late."""
        c = self.st.clocks.get(name)
        if c is None or c.stopped_at is not None:
            return
        now = workflow.now()
        new = sla.stop(c, now, self.clock_cal(c))
        self._put(new)
        if name == "first_response":
            self.st.first_response_at = now
        if new.result == "met":
            self.emit("sla_met", clock=name, elapsed_seconds=new.elapsed_seconds)
        elif c.breached_at is None:
            self.emit("sla_breached", clock=name, deadline=new.breached_at)
        self.wake_sla()

    def pause_clocks(self, token: int, waiting_for: str | None) -> None:
        """Pause the clocks while ``token`` waits on someone the policy pauses for."""
        policy = self.plan.sla
        if policy is None or not sla.pauses_for(policy, waiting_for) or token in self.st.pausers:
            return
        self.st.pausers.append(token)
        now = workflow.now()
        for c in self.st.clocks.clocks():
            new = sla.pause(c, now, self.clock_cal(c))
            self._put(new)
            if new.pauses == 1 and c.pauses == 0:
                self.emit("sla_paused", clock=c.name, waiting_for=waiting_for)
        self.wake_sla()

    def resume_clocks(self, token: int) -> None:
        """End ``token``'s pause; the clocks run again when no pause is left."""
        if token not in self.st.pausers:
            return
        self.st.pausers.remove(token)
        now = workflow.now()
        for c in self.st.clocks.clocks():
            new = sla.resume(c, now, self.clock_cal(c))
            self._put(new)
            if c.pauses == 1 and new.pauses == 0:
                self.emit("sla_resumed", clock=c.name, deadline=new.deadline)
        self.wake_sla()

    def apply_priority(self, priority: str, *, actor: str, reason: str | None) -> None:
        """Change the priority and recompute the clocks' targets (elapsed time is kept)."""
        old = self.st.data.get("priority")
        self.st.data["priority"] = priority
        policy, now = self.plan.sla, workflow.now()
        for c in self.st.clocks.clocks() if policy else []:
            target = sla.target_for(policy, priority, c.name)  # type: ignore[arg-type]
            if target is not None:
                self._put(sla.change_target(c, target, now, self.clock_cal(c)))
        self.emit("priority_changed", actor=actor, old=old, new=priority, reason=reason)
        self.wake_sla()

    # --- the loop ---------------------------------------------------------------------------

    def _due_items(self) -> list[tuple[dt.datetime, int, str, Any]]:
        items: list[tuple[dt.datetime, int, str, Any]] = []
        for c in self.st.clocks.clocks():
            if c.since is None or c.stopped_at is not None:
                continue
            if not c.at_risk and c.at_risk_at is not None:
                items.append((c.at_risk_at, 0, "risk", c.name))
            if c.breached_at is None and c.deadline is not None:
                items.append((c.deadline, 1, "breach", c.name))
        for level in self.plan.ladder.levels if self.plan.ladder else []:
            if level.level in self.st.fired_levels:
                continue
            lc = self.st.clocks.get(level.clock)
            due = sla.level_due_at(level, self.st.clocks, self.clock_cal(lc) if lc else None)
            if due is not None:
                items.append((due, 2, "level", level.level))
        return items

    def wake_sla(self) -> None:
        """Have the SLA loop look at the clocks again (starting it if it is not running)."""
        self.sla_dirty = True
        if self.sla_task is None and not self.closing:
            self.sla_task = asyncio.create_task(self.sla_loop())

    async def sla_loop(self) -> None:
        """Fire at-risk, breach and ladder levels at their instants, each exactly once.

        It returns when nothing is left to fire; a clock change starts it again
        (:meth:`wake_sla`).
        """
        try:
            await self._watch_clocks()
        finally:
            self.sla_task = None

    async def _watch_clocks(self) -> None:
        while not self.closing:
            items = self._due_items()
            if not items:
                return
            now = workflow.now()
            due = sorted(i for i in items if i[0] <= now + _EPS)
            if due:
                for at, _, kind, key in due:
                    if not self.closing:
                        await self._fire(at, kind, key)
                continue
            self.sla_dirty = False
            wait_s = (min(items)[0] - now).total_seconds()
            timeout = math.ceil(wait_s * 1000) / 1000
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self.sla_dirty or self.closing, timeout=timeout
                )

    async def _fire(self, at: dt.datetime, kind: str, key: Any) -> None:
        c = self.st.clocks.get(key) if kind != "level" else None
        if kind == "risk" and c is not None and not c.at_risk:
            self._put(c.model_copy(update={"at_risk": True}))
            self.emit("sla_at_risk", clock=key, due_at=at)
        elif kind == "breach" and c is not None and c.breached_at is None:
            self._put(c.model_copy(update={"breached_at": at, "at_risk": True}))
            self.emit("sla_breached", clock=key, deadline=at)
        elif kind == "level":
            await self.fire_level(int(key), reason="sla", due_at=at)

    async def fire_level(
        self,
        number: int,
        *,
        reason: str | None,
        due_at: dt.datetime | None = None,
        step: str | None = None,
    ) -> None:
        """Fire escalation level ``number`` now: it is marked fired before its actions run."""
        ladder = self.plan.ladder
        level = next((lv for lv in ladder.levels if lv.level == number), None) if ladder else None
        if level is None or number in self.st.fired_levels:
            return
        self.st.fired_levels.append(number)
        self.st.escalation_level = max(self.st.escalation_level, number)
        self.emit(
            "escalation_level",
            step=step,
            level=number,
            name=level.name,
            clock=level.clock,
            reason=reason,
            due_at=due_at,
        )
        for i, act in enumerate(level.actions):
            key = f"{self.st.case_id}:escalation:{number}:{i}"
            if act.notify:
                await self.notify_role(
                    act.notify,
                    key,
                    f"Case {self.st.case_id} escalated",
                    f"Escalation level {number} ({level.name or reason}).",
                    step,
                )
            elif act.reassign:
                for t in list(self.open_tasks()):
                    t.role, t.assignee, t.state, t.claimed_at = (
                        act.reassign.role,
                        None,
                        "open",
                        None,
                    )
                    t.person = None
                    if act.reassign.team:
                        t.team = act.reassign.team
                    self.emit(
                        "task_reassigned",
                        step=t.step_id,
                        task=t.task_id,
                        role=act.reassign.role,
                        reason=f"escalation level {number}",
                    )
            elif act.raise_priority:
                cur = self.st.data.get("priority") or "normal"
                idx = PRIORITIES.index(cur) if cur in PRIORITIES else 1
                if idx + 1 < len(PRIORITIES):
                    self.apply_priority(
                        PRIORITIES[idx + 1], actor="system", reason=f"escalation level {number}"
                    )
            elif act.start_process:
                await self._start_escalation(act.start_process, number, reason)

    async def notify_role(
        self, role: str, key: str, subject: str, body: str, step: str | None
    ) -> None:
        """Send a message to everyone with ``role`` (in the case's region)."""
        region = self.st.data.get("region")
        recipient = f"role:{role}@{region}" if region else f"role:{role}"
        await self.activity(
            "notify.send",
            Notification(
                key=key,
                case_id=self.st.case_id,
                step_id=step,
                channel="internal",
                recipient=recipient,
                subject=subject,
                body=body,
            ),
        )
        self.emit("notification_sent", step=step, recipient=recipient, channel="internal", key=key)

    async def _start_escalation(self, process: str, number: int, reason: str | None) -> None:
        try:
            plan = REGISTRY.resolve(process)
        except Exception:
            self.emit(
                "escalation_level", level=number, error=f"process {process!r} is not deployed"
            )
            return
        fields = plan.definition.case.fields
        offered = {
            "parent_case": self.st.case_id,
            "region": self.st.data.get("region"),
            "priority": self.st.data.get("priority"),
            "reason": reason or "sla",
            "customer": self.st.data.get("customer"),
        }
        data = {k: v for k, v in offered.items() if k in fields and v is not None}
        child_id = f"{self.st.case_id}-escalation-{number}"
        self.inflight += 1
        try:
            await workflow.start_child_workflow(
                "CaseWorkflow",
                StartCase(
                    plan=plan.ref,
                    data=data,
                    opened_by="system",
                    parent_case_id=self.st.case_id,
                ),
                id=child_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        finally:
            self.inflight -= 1
        self.emit(
            "subprocess_started",
            child_case_id=child_id,
            process=process,
            plan=str(plan.ref),
            wait=False,
        )
