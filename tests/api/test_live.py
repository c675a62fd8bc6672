"""Endpoints that act on real cases: the CaseWorkflow and activities on the time-skipping server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from casework.api.app import create_app
from casework.converter import DATA_CONVERTER
from casework.language.compiler import load_plans
from casework.settings import Settings
from tests.api._live import act, eventually, in_records, open_ticket
from tests.api.conftest import DEFINITIONS, POLICIES, auth


@pytest.fixture
async def live(
    api_settings: Settings,
    db_engine: Engine,
    time_env: WorkflowEnvironment,
    tokens: dict[str, str],
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on an app whose cases run on a real worker."""
    from workers.worker import build_worker

    config = time_env.client.config()
    config["data_converter"] = DATA_CONVERTER
    client = Client(**config)
    plans = load_plans(DEFINITIONS, POLICIES)
    worker = build_worker(
        client, api_settings, plans, engine=db_engine, task_queue=api_settings.task_queue
    )
    app = create_app(api_settings, engine=db_engine, temporal_client=client)
    transport = httpx.ASGITransport(app=app)
    async with worker, httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


def _error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error", "message", "hint"}
    for word in words:
        assert word in body["message"], body
    return body


async def test_task_life_cycle_and_rejections(
    live: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    alice, bob, lee = tokens["alice"], tokens["bob"], tokens["lee"]
    case = await open_ticket(live, alice)
    case_id = case["case_id"]
    assert case["status"] == "open"
    assert case["opened_by"] == "alice"
    task_id = f"{case_id}.triage.1"

    # the inbox of an eligible person shows the task once it is projected
    async def in_inbox() -> Any:
        items = (await live.get("/tasks", headers=auth(alice))).json()["items"]
        return [t for t in items if t["task_id"] == task_id]

    (task,) = await eventually(in_inbox)
    assert task["case_process"] == "api_ticket"
    bob_inbox = (await live.get("/tasks", headers=auth(bob))).json()["items"]
    assert task_id not in [t["task_id"] for t in bob_inbox]  # bob is in another region

    # not eligible -> 403 with the validator's reason
    _error(await act(live, bob, task_id, "claim"), 403, "region")
    # bad form / missing outcome -> 422
    _error(
        await act(
            live,
            alice,
            task_id,
            "complete",
            form={"summary": "x", "minutes": "abc"},
            outcome="resolved",
        ),
        422,
        "minutes",
    )
    _error(await act(live, alice, task_id, "complete", form={"summary": "x"}), 422, "outcome")
    _error(
        await act(live, alice, task_id, "complete", form={"summary": "x"}, outcome="nope"),
        422,
        "nope",
    )
    # claim, then a second claim is a conflict
    claimed = await act(live, alice, task_id, "claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["state"] == "claimed"
    assert claimed.json()["assignee"] == "alice"
    _error(await act(live, alice, task_id, "claim"), 409, "already claimed")
    _error(await act(live, lee, task_id, "release"), 403, "only the assignee")
    # complete with the escalate outcome: the approval comes next
    done = await act(
        live,
        alice,
        task_id,
        "complete",
        form={"summary": "burns", "minutes": 5},
        outcome="escalate",
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"
    assert done.json()["completed_by"] == "alice"
    _error(await act(live, alice, task_id, "complete", outcome="escalate"), 409, "completed")

    review = f"{case_id}.review.1"
    _error(await act(live, alice, review, "approve"), 403)
    _error(await act(live, lee, review, "complete"), 422, "approval")
    approved = await act(live, lee, review, "approve", comment="ok")
    assert approved.status_code == 200, approved.text

    detail = await in_records(live, alice, case_id, status="resolved")
    assert detail["case"]["outcome"] == "resolved"
    assert detail["case"]["data"]["customer"] == "ACME"
    assert {t["task_id"] for t in detail["tasks"]} == {task_id, review}
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[0] == "case_opened"
    assert "task_completed" in kinds
    seqs = [e["seq"] for e in detail["timeline"]]
    assert seqs == list(range(1, len(seqs) + 1))

    timeline = await live.get(f"/cases/{case_id}/timeline?after_seq=2&limit=3", headers=auth(bob))
    assert timeline.status_code == 200
    assert [e["seq"] for e in timeline.json()["events"]] == [3, 4, 5]
    assert timeline.json()["next_after_seq"] == 5

    listed = (await live.get("/cases?status=resolved&process=api_ticket", headers=auth(bob))).json()
    assert [c["case_id"] for c in listed["items"]] == [case_id]
    assert (await live.get("/cases?status=open", headers=auth(bob))).json()["items"] == []

    # a finished case takes no more actions
    _error(
        await live.post(f"/cases/{case_id}/cancel", json={"reason": "late"}, headers=auth(alice)),
        409,
    )
    _error(await act(live, lee, review, "approve"), 409)


async def test_case_actions(live: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    alice, bob, lee = tokens["alice"], tokens["bob"], tokens["lee"]
    case_id = (await open_ticket(live, alice, priority="low"))["case_id"]
    task_id = f"{case_id}.triage.1"

    sent = await live.post(
        f"/cases/{case_id}/signals/customer_replied",
        json={"payload": {"message": "any news?"}},
        headers=auth(bob),
    )
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"case_id": case_id, "event": "customer_replied", "accepted": True}

    high = await live.post(
        f"/cases/{case_id}/priority", json={"priority": "high"}, headers=auth(bob)
    )
    assert high.status_code == 200, high.text
    assert high.json()["priority"] == "high"
    _error(
        await live.post(f"/cases/{case_id}/priority", json={"priority": "high"}, headers=auth(bob)),
        409,
        "already",
    )
    assert (
        await live.post(f"/cases/{case_id}/priority", json={"priority": "huge"}, headers=auth(bob))
    ).status_code == 422

    moved = await live.post(
        f"/tasks/{task_id}/reassign", json={"assignee": "lee"}, headers=auth(lee)
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee"] == "lee"
    _error(
        await live.post(f"/tasks/{task_id}/reassign", json={"assignee": "bob"}, headers=auth(bob)),
        403,
        "may not reassign",
    )

    async def mine() -> Any:
        items = (await live.get("/tasks?mine=true", headers=auth(lee))).json()["items"]
        return [t["task_id"] for t in items]

    assert await eventually(mine) == [task_id]
    workload = (await live.get("/workload", headers=auth(alice))).json()
    assert any(row["person"] == "lee" and row["total"] == 1 for row in workload)

    _error(
        await live.post(f"/cases/{case_id}/cancel", json={"reason": "dup"}, headers=auth(bob)),
        403,
        "may not cancel",
    )
    cancelled = await live.post(
        f"/cases/{case_id}/cancel", json={"reason": "duplicate"}, headers=auth(alice)
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    detail = await in_records(live, alice, case_id, status="cancelled")
    assert "signal_received" in [e["kind"] for e in detail["timeline"]]


async def test_open_case_errors_and_live_detail(
    live: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    alice = tokens["alice"]
    _error(
        await live.post("/cases", json={"process": "nope", "data": {}}, headers=auth(alice)),
        404,
        "nope",
    )
    _error(
        await live.post(
            "/cases", json={"process": "api_ticket", "version": 9, "data": {}}, headers=auth(alice)
        ),
        404,
        "api_ticket@9",
    )
    bad = await live.post(
        "/cases",
        json={"process": "api_ticket", "data": {"title": "x", "region": "mars"}},
        headers=auth(alice),
    )
    _error(bad, 422, "mars")
    case_id = (await open_ticket(live, alice))["case_id"]
    detail = (await live.get(f"/cases/{case_id}", headers=auth(alice))).json()
    assert detail["live"]["case_id"] == case_id
    assert detail["live"]["current_steps"] == ["triage"]
    _error(await live.get("/cases/C-000000-000000", headers=auth(alice)), 404)
    _error(
        await live.post(
            "/cases/C-000000-000000/signals/customer_replied", json={}, headers=auth(alice)
        ),
        404,
    )
    _error(await act(live, alice, "C-000000-000000.triage.1", "claim"), 404)
    _error(await act(live, alice, f"{case_id}.nope.1", "claim"), 404, "not found")
