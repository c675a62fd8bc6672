"""Parallel joins with cancellation, waits and events, subprocesses, failures, loops."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from casework.contracts import OutsideEvent, TaskAction
from tests.fixtures.temporal import own_time_env
from tests.workflows.helpers import (
    Fakes,
    actor,
    definition,
    finished,
    make_plan,
    running,
    start_case,
    wait_for,
    wait_task,
)
from workflows.case import CaseWorkflow

FRED = actor("fred", "frontline")

#: Timers skipped by the test itself: a server of its own (see tests/fixtures/temporal.py).
time_env = pytest.fixture(own_time_env)


def _branch(bid: str, when: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {
        "id": bid,
        "steps": [{"id": f"{bid}-work", "kind": "task", "assign": {"role": "frontline"}}],
    }
    if when:
        b["when"] = when
    return b


@pytest.mark.parametrize(
    ("join", "n", "complete", "cancelled"),
    [
        ("all", None, ["a", "b", "c"], []),
        ("any", None, ["b"], ["a", "c"]),
        ("n", 2, ["a", "c"], ["b"]),
    ],
)
async def test_parallel_joins(
    client: Client,
    task_queue: str,
    fakes: Fakes,
    join: str,
    n: int | None,
    complete: list[str],
    cancelled: list[str],
) -> None:
    par: dict[str, Any] = {
        "id": "fan",
        "kind": "parallel",
        "join": join,
        "branches": [
            _branch("a"),
            _branch("b"),
            _branch("c"),
            _branch("d", when="case.amount > 1000.0"),
        ],
    }
    if n:
        par["n"] = n
    plan = make_plan(definition([par, {"id": "done", "kind": "end"}], process=f"par-{join}"))
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann", "amount": 5.0})
        await wait_for(h, lambda v: len(v.tasks) == 3)
        for b in complete:
            await h.execute_update(
                CaseWorkflow.complete, TaskAction(task_id=f"{h.id}.{b}-work.1", actor=FRED)
            )
        final = await finished(h)
    states = {t.step_id[0]: t.state for t in final.tasks}
    assert "d" not in states  # skipped branch: its when was false
    assert sorted(k for k, v in states.items() if v == "completed") == complete
    assert sorted(k for k, v in states.items() if v == "cancelled") == cancelled
    skipped = [e for e in fakes.events(h.id) if e.details.get("skipped")]
    assert [e.details["branch"] for e in skipped] == ["d"]


async def test_wait_event_and_timeout(client: Client, task_queue: str, fakes: Fakes) -> None:
    plan = make_plan(
        definition(
            [
                {
                    "id": "ask",
                    "kind": "wait",
                    "event": "customer_replied",
                    "timeout": "3d",
                    "on_timeout": "gave-up",
                    "waiting_for": "customer",
                    "set": {"flag": "event.confirmed", "note": "event.comment"},
                },
                {"id": "pause", "kind": "wait", "for": "1h"},
                {"id": "done", "kind": "end", "status": "resolved"},
                {"id": "gave-up", "kind": "end", "status": "closed", "outcome": "done"},
            ],
            process="waiter",
            events={
                "customer_replied": {
                    "fields": {
                        "confirmed": {"type": "boolean", "required": True},
                        "comment": {"type": "text"},
                    }
                },
                "note_added": {"fields": {"text": {"type": "text"}}},
            },
        )
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        await wait_for(h, lambda v: v.status == "waiting")
        await h.signal("nonsense", OutsideEvent(payload={}))
        await h.signal("customer_replied", OutsideEvent(payload={"confirmed": "yes"}))
        await h.signal(
            "customer_replied", OutsideEvent(payload={"confirmed": True, "comment": "thanks"})
        )
        final = await finished(h)
        h2 = await start_case(client, plan, task_queue, {"customer": "Bob"})
        timed_out = await finished(h2)
    assert final.status == "resolved"
    assert final.data["flag"] is True
    assert final.data["note"] == "thanks"
    signals = [e.details for e in fakes.events(h.id) if e.kind == "signal_received"]
    assert "unknown event" in signals[0]["ignored"]
    assert "expected true or false" in signals[1]["ignored"]
    assert signals[2]["delivered"] == 1
    assert final.closed_at is not None
    assert (final.closed_at - final.opened_at).total_seconds() >= 3600
    assert timed_out.status == "closed"
    assert timed_out.closed_at is not None
    assert (timed_out.closed_at - timed_out.opened_at).total_seconds() == pytest.approx(
        3 * 86400, abs=2
    )


async def test_subprocess_wait_and_fire_and_forget(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    child = make_plan(
        definition(
            [
                {"id": "work", "kind": "set", "values": {"note": "'child of ' + case.parent_case"}},
                {"id": "done", "kind": "end", "status": "completed", "outcome": "done"},
            ],
            process="child-proc",
        )
    )
    parent = make_plan(
        definition(
            [
                {
                    "id": "sub",
                    "kind": "subprocess",
                    "process": "child-proc",
                    "input": {"customer": "case.customer", "parent_case": "'P'"},
                },
                {"id": "copy", "kind": "set", "values": {"note": "steps.sub.result.data.note"}},
                {
                    "id": "later",
                    "kind": "subprocess",
                    "process": "child-proc",
                    "wait": False,
                    "input": {"customer": "case.customer", "parent_case": "'Q'"},
                },
                {"id": "done", "kind": "end", "status": "completed"},
            ],
            process="parent-proc",
        )
    )
    assert child.process == "child-proc"
    async with running(client, task_queue, fakes):
        h = await start_case(client, parent, task_queue, {"customer": "Ann"})
        final = await finished(h)
        later = client.get_workflow_handle_for(CaseWorkflow.run, f"{h.id}-later-1")
        other = await finished(later)
    assert final.data["note"] == "child of P"
    assert other.status == "completed"
    assert other.parent_case_id == h.id
    assert other.data["note"] == "child of Q"


async def test_action_failure_paths(client: Client, task_queue: str, fakes: Fakes) -> None:
    handled = make_plan(
        definition(
            [
                {
                    "id": "pay",
                    "kind": "action",
                    "activity": "test.fail",
                    "on_failure": "fallback",
                    "retry": {"max_attempts": 2, "initial_interval": "1s"},
                },
                {"id": "ok", "kind": "end", "status": "completed"},
                {"id": "fallback", "kind": "end", "status": "failed", "outcome": "done"},
            ],
            process="act-handled",
        )
    )
    unhandled = make_plan(
        definition(
            [
                {"id": "pay", "kind": "action", "activity": "test.fail"},
                {"id": "ok", "kind": "end", "status": "completed"},
            ],
            process="act-unhandled",
        )
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, handled, task_queue, {"customer": "Ann"})
        assert (await h.result()).status == "failed"
        h2 = await start_case(client, unhandled, task_queue, {"customer": "Ann"})
        with pytest.raises(WorkflowFailureError) as info:
            await h2.result()
    assert "add on_failure" in str(info.value.cause)
    assert fakes.kinds(h2.id)[-1] == "case_ended"


async def test_max_visits_and_bad_input(client: Client, task_queue: str, fakes: Fakes) -> None:
    loop = make_plan(
        definition(
            [
                {
                    "id": "again",
                    "kind": "task",
                    "assign": {"role": "frontline"},
                    "max_visits": 2,
                    "on_max_visits": "stop",
                    "next": "again",
                },
                {"id": "stop", "kind": "end", "status": "closed"},
            ],
            process="looper",
        )
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, loop, task_queue, {"customer": "Ann"})
        for visit in (1, 2):
            tid = f"{h.id}.again.{visit}"
            await wait_task(h, tid)
            await h.execute_update(CaseWorkflow.complete, TaskAction(task_id=tid, actor=FRED))
        assert (await h.result()).status == "closed"
        bad = await start_case(client, loop, task_queue, {"customer": 42})
        with pytest.raises(WorkflowFailureError) as info:
            await bad.result()
    assert "field customer: expected text" in str(info.value.cause)


async def test_task_timeout_reminders_and_routing(
    client: Client, task_queue: str, fakes: Fakes, time_env: WorkflowEnvironment
) -> None:
    plan = make_plan(
        definition(
            [
                {
                    "id": "slow",
                    "kind": "task",
                    "assign": {"role": "frontline", "routing": "rr"},
                    "due": "1h",
                    "remind_every": "1h",
                },
                {
                    "id": "quick",
                    "kind": "task",
                    "assign": {"role": "frontline"},
                    "due": "2h",
                    "on_timeout": "late",
                },
                {"id": "done", "kind": "end"},
                {"id": "late", "kind": "end", "status": "closed"},
            ],
            process="reminders",
        ),
        routing=[
            {"name": "rr", "strategy": "round_robin", "role": "frontline", "within": ["region"]}
        ],
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        view = await wait_for(h, lambda v: bool(v.tasks) and v.tasks[0].assignee is not None)
        assert view.tasks[0].assignee == "rita"
        assert view.tasks[0].state == "claimed"
        assert fakes.routes[0].region == "emea"
        assert fakes.routes[0].key == f"{h.id}.slow.1"
        await time_env.sleep(3 * 3600 + 60)  # due after 1h, then reminders at 2h and 3h
        await wait_for(h, lambda v: len(fakes.notes) >= 2)
        await h.execute_update(
            CaseWorkflow.complete,
            TaskAction(task_id=f"{h.id}.slow.1", actor=actor("rita", "frontline")),
        )
        final = await finished(h)
    assert final.status == "closed"
    assert final.tasks[1].state == "expired"
    assert fakes.notes[0].recipient == "rita"
    assert [n.key for n in fakes.notes] == [f"{h.id}:slow:1:r1", f"{h.id}:slow:1:r2"]
    reminded = [e.details.get("reminder") for e in fakes.events(h.id) if e.kind == "task_reminded"]
    assert reminded == [0, 1, 2]


async def test_an_event_before_its_wait_step_is_kept(
    client: Client, task_queue: str, fakes: Fakes
) -> None:
    """A customer who replies before the agent asks: the next wait step takes the reply."""
    plan = make_plan(
        definition(
            [
                {"id": "ask", "kind": "task", "assign": {"role": "frontline"}},
                {
                    "id": "await_reply",
                    "kind": "wait",
                    "event": "customer_replied",
                    "timeout": "3d",
                    "on_timeout": "gave_up",
                    "set": {"note": "event.comment"},
                },
                {"id": "fine", "kind": "end", "status": "resolved", "outcome": "done"},
                {"id": "gave_up", "kind": "end", "status": "closed"},
            ],
            process="early-reply",
            events={"customer_replied": {"fields": {"comment": {"type": "text"}}}},
        )
    )
    async with running(client, task_queue, fakes):
        h = await start_case(client, plan, task_queue, {"customer": "Ann"})
        await wait_task(h, f"{h.id}.ask.1")
        await h.signal("customer_replied", OutsideEvent(payload={"comment": "already sorted"}))
        await h.signal("bogus_event", OutsideEvent())
        fred = actor("fred", "frontline")
        await h.execute_update(
            CaseWorkflow.complete, TaskAction(task_id=f"{h.id}.ask.1", actor=fred)
        )
        final = await finished(h)
    assert (final.status, final.data["note"]) == ("resolved", "already sorted")
    received = [e for e in fakes.events(h.id) if e.kind == "signal_received"]
    assert [e.details.get("kept") for e in received] == [True, None]
    assert "event_taken" in fakes.kinds(h.id)
