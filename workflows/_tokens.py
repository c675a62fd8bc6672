"""Positions (tokens) of the interpreter: spawn, cancel, finish the case."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from datetime import timedelta

from temporalio import workflow

from casework.language.durations import parse_duration
from workflows import _rules
from workflows._sla import SlaMixin
from workflows._state import Token

OPEN = _rules.OPEN_STATES


def _secs(deadline: dt.datetime | None) -> float | None:
    if deadline is None:
        return None
    return max(0.0, math.ceil((deadline - workflow.now()).total_seconds() * 1000) / 1000)


def _td(text: str) -> timedelta:
    return timedelta(seconds=parse_duration(text).seconds)


class TokensMixin(SlaMixin):
    """Starting and cancelling positions, and ending the case."""

    async def _run_token(self, tok: Token) -> None:
        raise NotImplementedError

    def spawn(self, tok: Token) -> None:
        """Start (or restart after continue-as-new) the coroutine running ``tok``."""
        if tok.id not in self.runners and not tok.done:
            self.runners[tok.id] = asyncio.create_task(self._run_token(tok))

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
