"""``casework case`` and ``casework task`` against the time-skipping server and a real worker."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from casework import client as engine_client
from casework.errors import CaseworkError
from casework.records.tables import effects
from tests.cli._cases_env import Runtime, runtime


@pytest.fixture
async def rt(
    time_env: WorkflowEnvironment,
    task_queue: str,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> AsyncIterator[Runtime]:
    async with runtime(time_env, task_queue, sqlite_url, tmp_path, monkeypatch, capsys) as r:
        yield r


async def _open(rt: Runtime, *extra: str) -> dict[str, Any]:
    res = await rt.cli(
        "case",
        "open",
        "cli-test",
        "--set",
        "customer=ACME",
        "--set",
        "region=emea",
        "--set",
        "amount=12.5",
        "--set",
        "tags=a,b",
        "--set",
        "urgent=yes",
        "--as",
        "alice",
        "--json",
        *extra,
    )
    assert res.code == 0, res.err
    view: dict[str, Any] = json.loads(res.out)
    return view


async def _wait_status(rt: Runtime, case_id: str, status: str) -> dict[str, Any]:
    for _ in range(100):
        res = await rt.cli("case", "show", case_id, "--json")
        assert res.code == 0, res.err
        shown: dict[str, Any] = json.loads(res.out)
        if shown["case"]["status"] == status:
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(f"{case_id} never reached {status}: {shown['case']['status']}")


async def test_open_complete_and_finish(rt: Runtime) -> None:
    view = await _open(rt)
    case_id = view["case_id"]
    assert view["status"] in ("open", "waiting")
    assert view["data"]["amount"] == 12.5
    assert view["data"]["tags"] == ["a", "b"]
    assert view["data"]["urgent"] is True
    task_id = f"{case_id}.review.1"
    assert [t["task_id"] for t in view["tasks"] if t["state"] == "open"] == [task_id]

    res = await rt.cli(
        "task",
        "complete",
        task_id,
        "--set",
        "approved_amount=10",
        "--outcome",
        "accept",
        "--as",
        "alice",
        "--json",
    )
    assert res.code == 0, res.err
    assert json.loads(res.out)["state"] == "completed"

    shown = await _wait_status(rt, case_id, "resolved")
    assert shown["case"]["outcome"] == "accepted"
    with rt.engine.connect() as conn:
        rows = conn.execute(select(effects.c.key, effects.c.activity)).all()
    assert rows == [(f"{case_id}:refund:1", "billing.issue_refund")]

    table = await rt.cli("case", "show", case_id)
    assert table.code == 0
    assert case_id in table.out
    assert "resolved" in table.out


async def test_rejected_action_is_one_line_and_exit_5(rt: Runtime) -> None:
    case_id = (await _open(rt))["case_id"]
    res = await rt.cli("task", "claim", f"{case_id}.review.1", "--as", "carol")
    assert res.code == 5
    lines = res.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "carol" in lines[0]
    assert "frontline" in lines[0]
    # claim by alice, then bob may not complete it
    assert (await rt.cli("task", "claim", f"{case_id}.review.1", "--as", "alice")).code == 0
    res = await rt.cli(
        "task",
        "complete",
        f"{case_id}.review.1",
        "--set",
        "approved_amount=1",
        "--outcome",
        "accept",
        "--as",
        "bob",
    )
    assert res.code == 5
    assert len(res.err.strip().splitlines()) == 1


async def test_cancel_and_priority(rt: Runtime) -> None:
    case_id = (await _open(rt))["case_id"]
    res = await rt.cli("case", "priority", case_id, "high", "--as", "grace", "--json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["priority"] == "high"
    res = await rt.cli(
        "case", "cancel", case_id, "--reason", "duplicate", "--as", "grace", "--json"
    )
    assert res.code == 0, res.err
    await _wait_status(rt, case_id, "cancelled")
    again = await rt.cli("task", "claim", f"{case_id}.review.1", "--as", "alice")
    assert again.code == 5
    assert "error:" in again.err


async def test_clear_errors(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    nobody = await rt.cli("case", "open", "cli-test", "--set", "customer=x")
    assert nobody.code == 78
    assert "no acting person" in nobody.err
    assert "CASEWORK_USER" in nobody.err

    monkeypatch.setenv("CASEWORK_USER", "alice")
    from casework.settings import get_settings

    get_settings.cache_clear()
    bad = await rt.cli("case", "open", "cli-test", "--set", "amount=lots", "--set", "customer=x")
    assert bad.code == 2
    assert "'lots' is not a number" in bad.err
    unknown_field = await rt.cli("case", "open", "cli-test", "--set", "colour=red")
    assert unknown_field.code == 2
    assert "no field 'colour'" in unknown_field.err
    required = await rt.cli("case", "open", "cli-test", "--set", "amount=1")
    assert required.code == 2
    assert "customer" in required.err
    missing = await rt.cli("case", "show", "C-000000-ABCDEF")
    assert missing.code == 4
    assert "not found" in missing.err
    stranger = await rt.cli("case", "open", "cli-test", "--set", "customer=x", "--as", "zed")
    assert stranger.code == 4
    assert "person 'zed' not found" in stranger.err
    process = await rt.cli("case", "open", "no-such-process")
    assert process.code == 4
    bad_task = await rt.cli("task", "claim", "not-a-task-id")
    assert bad_task.code == 4
    for res in (nobody, bad, unknown_field, required, missing, stranger, process, bad_task):
        assert len(res.err.strip().splitlines()) == 1, res.err
        assert "Traceback" not in res.err


async def test_a_taken_case_id(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated id that is taken is drawn again; a chosen one is refused clearly."""
    taken = (await _open(rt))["case_id"]
    draws = itertools.chain([taken, taken], (f"C-261202-F0F0F{i}" for i in range(9)))
    monkeypatch.setattr(engine_client, "new_case_id", lambda now=None: next(draws))
    assert (await _open(rt))["case_id"] == "C-261202-F0F0F0"

    alice = engine_client.actor_for("alice")
    with pytest.raises(CaseworkError, match=f"case {taken} already exists") as caught:
        await engine_client.open_case(
            rt.client, rt.plans["cli-test"], {"customer": "x"}, alice, case_id=taken
        )
    assert caught.value.hint == "use a new case id"
