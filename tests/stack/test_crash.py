"""Crash a worker with SIGKILL mid-run and restart the dev server: nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casework.client import WORKFLOW_TYPE, new_case_id
from casework.contracts import CaseResult, StartCase
from casework.records.tables import effects
from tests.stack._stack_env import records_engine, stack_env

pytestmark = pytest.mark.devserver

CASES = 100
STEPS = ("update_crm", "refund", "enroll", "publish", "update_crm_again")


@pytest.mark.timeout(240)  # ~60 s on an idle 2-core box; recovery waits for lost activity timeouts
async def test_sigkill_worker_midway_every_effect_once(tmp_path: Path) -> None:
    async with stack_env(tmp_path) as env:
        plan = env.plans()["five-actions"]
        engine = records_engine(env)
        first = await env.ready_worker()
        client = await env.client()
        ids = [new_case_id() + f"{i:03d}" for i in range(CASES)]
        handles = await asyncio.gather(
            *[
                client.start_workflow(
                    WORKFLOW_TYPE,
                    StartCase(plan=plan.ref, data={"customer": f"cust-{i}"}),
                    id=cid,
                    task_queue=env.task_queue,
                    result_type=CaseResult,
                )
                for i, cid in enumerate(ids)
            ]
        )

        def done_effects() -> int:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(effects)).scalar_one())

        deadline = time.monotonic() + 60
        t0 = time.monotonic()
        while done_effects() < CASES and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        written_before_kill = done_effects()
        print(f"first {written_before_kill} effects after {time.monotonic() - t0:.1f}s")
        first.kill()  # SIGKILL: no graceful shutdown, activities in flight are lost
        first.wait()
        assert 0 < written_before_kill < CASES * len(STEPS), "the kill must land mid-run"
        t_kill = time.monotonic()
        env.start_worker()
        results = await asyncio.wait_for(asyncio.gather(*[h.result() for h in handles]), 100)
        print(
            f"before kill {written_before_kill} effects; recovery {time.monotonic() - t_kill:.1f}s"
        )
        assert {r.status for r in results} == {"completed"}
        with engine.connect() as conn:
            keys = conn.execute(select(effects.c.key)).scalars().all()
        assert len(keys) == CASES * len(STEPS)
        assert set(keys) == {f"{cid}:{step}:1" for cid in ids for step in STEPS}
        engine.dispose()


async def test_dev_server_restart_loses_no_case(tmp_path: Path) -> None:
    from casework.client import actor_for, case_state, open_case, task_action
    from casework.contracts import TaskAction
    from casework.settings import Settings

    async with stack_env(tmp_path) as env:
        plan = env.plans()["cli-test"]
        settings = Settings(
            task_queue=env.task_queue,
            database_url=env.records_url,
            definitions_dir=env.definitions,
            temporal_address=f"127.0.0.1:{env.port}",
        )
        await env.ready_worker()
        client = await env.client()
        alice = actor_for("alice", settings)
        views = await asyncio.gather(
            *[
                open_case(
                    client, plan, {"customer": f"c{i}", "region": "emea"}, alice, settings=settings
                )
                for i in range(10)
            ]
        )
        ids = [v.case_id for v in views]
        assert env.stop_workers() == [0], "SIGTERM shuts a worker down cleanly"
        assert env.server is not None
        env.server.kill()  # a crash, not a clean stop
        await env.start_server()
        await env.ready_worker()
        client = await env.client()
        for cid in ids:
            assert (await case_state(client, cid)).status in ("open", "waiting")
        for cid in ids:
            await task_action(
                client,
                "complete",
                TaskAction(
                    task_id=f"{cid}.review.1",
                    actor=alice,
                    form={"approved_amount": 1},
                    outcome="accept",
                ),
            )
        for cid in ids:
            handle = client.get_workflow_handle(cid, result_type=CaseResult)
            result = await asyncio.wait_for(handle.result(), 60)
            assert result.status == "resolved"
