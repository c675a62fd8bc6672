"""``casework records rebuild --all`` on a real dev server: lost records come back whole."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from casework.client import WORKFLOW_TYPE, new_case_id
from casework.contracts import CaseResult, StartCase
from casework.records.db import make_engine, upgrade
from casework.records.tables import case_events, cases, tasks
from casework.settings import PROJECT_ROOT
from tests.stack._stack_env import records_engine, stack_env

pytestmark = pytest.mark.devserver


def _records(engine: Engine) -> dict[str, Any]:
    """What the records hold, but for the instants of writing."""
    with engine.connect() as conn:
        return {
            "cases": sorted(
                conn.execute(select(cases.c.case_id, cases.c.status, cases.c.last_seq)).all()
            ),
            "events": sorted(
                conn.execute(
                    select(
                        case_events.c.case_id,
                        case_events.c.seq,
                        case_events.c.kind,
                        case_events.c.step_id,
                        case_events.c.task_id,
                        case_events.c.details,
                    )
                ).all()
            ),
            "tasks": sorted(conn.execute(select(tasks.c.task_id, tasks.c.state)).all()),
        }


async def _rebuild_all(env: dict[str, str], url: str) -> subprocess.CompletedProcess[str]:
    """``casework records rebuild --all`` into the records database at ``url``."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "casework.cli.main", "records", "rebuild", "--all"],
        env={**env, "CASEWORK_DATABASE_URL": url},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.timeout(180)
async def test_rebuild_all_restores_every_case(tmp_path: Path) -> None:
    async with stack_env(tmp_path) as env:
        plans = env.plans()
        engine = records_engine(env)
        await env.ready_worker()
        client = await env.client()
        starts = [("five-actions", {"customer": f"c{i}"}) for i in range(3)]
        starts += [("cli-test", {"customer": f"w{i}", "region": "emea"}) for i in range(2)]
        handles = []
        for process, data in starts:
            cid = new_case_id()
            handles.append(
                await client.start_workflow(
                    WORKFLOW_TYPE,
                    StartCase(plan=plans[process].ref, data=data),
                    id=cid,
                    task_queue=env.task_queue,
                    result_type=CaseResult,
                )
            )
        await asyncio.gather(*[h.result() for h in handles[:3]])

        def settled() -> dict[str, Any] | None:
            held = _records(engine)
            waiting = [t for t in held["tasks"] if t.state == "open"]
            return held if len(held["cases"]) == 5 and len(waiting) == 2 else None

        deadline = time.monotonic() + 60
        while (before := settled()) is None:
            assert time.monotonic() < deadline, _records(engine)
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the visibility store lists new workflows a moment later
        before = _records(engine)

        # the records are lost: rebuild into a new, empty database from Temporal alone
        fresh = f"sqlite:///{tmp_path / 'rebuilt.db'}"
        upgrade(fresh)
        rebuilt = make_engine(fresh)
        run = await _rebuild_all(env.env(), fresh)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "rebuilt 5 case(s)" in run.stdout, run.stdout
        assert _records(rebuilt) == before
        # and again: a second rebuild finds nothing new and changes nothing
        again = await _rebuild_all(env.env(), fresh)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "0 new event(s)" in again.stdout, again.stdout
        assert _records(rebuilt) == before
        rebuilt.dispose()
        engine.dispose()
