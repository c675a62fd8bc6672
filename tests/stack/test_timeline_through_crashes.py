"""Worker kills and a records outage mid-run: the live timeline still equals the history.

Cases of a small process (actions with effects, short timers, sets) run on a real
dev server against a throwaway PostgreSQL records database. The first worker is
SIGKILLed mid-run, the records database stops accepting connections, the second
worker is SIGKILLed during the outage, then the database comes back and a third
worker finishes the cases. Each case's records timeline must then be contiguous,
end at the workflow result's ``last_seq`` and equal, event for event, the
timeline rebuilt from its Temporal history into a second fresh database; every
effect must be written exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from casework.client import WORKFLOW_TYPE, new_case_id
from casework.contracts import CaseResult, CaseView, StartCase
from casework.records.db import make_engine, upgrade
from casework.records.queries import case_timeline
from casework.records.rebuild import rebuild_case
from casework.records.tables import cases, effects
from casework.registry import REGISTRY
from casework.settings import PROJECT_ROOT
from casework.stack import free_port
from tests.fixtures.database import PG_SERVER, _postgres_error
from tests.stack._stack_env import HERE, StackEnv

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]

CASES = 20
ACTIONS = ("crm", "refund", "crm_again")
RETRY = "retry: {max_attempts: 100, initial_interval: 1s, max_interval: 1s}"
DEFINITION = f"""\
process: timeline-crash
version: 1
title: Actions and timers (timeline through crashes)
owner: QA
case:
  fields:
    customer: {{type: string, required: true}}
    stage: {{type: string}}
outcomes:
  done: {{}}
steps:
  - id: crm
    kind: action
    activity: crm.update_customer
    input: {{customer: case.customer}}
    timeout: 5s
    {RETRY}
  - id: pause_1
    kind: wait
    for: 2s
  - id: mark_1
    kind: set
    values: {{stage: "'one'"}}
  - id: pause_2
    kind: wait
    for: 2s
  - id: mark_2
    kind: set
    values: {{stage: "'two'"}}
  - id: pause_3
    kind: wait
    for: 2s
  - id: mark_3
    kind: set
    values: {{stage: "'three'"}}
  - id: pause_4
    kind: wait
    for: 2s
  - id: refund
    kind: action
    activity: billing.issue_refund
    input: {{amount: "1"}}
    timeout: 5s
    {RETRY}
  - id: pause_5
    kind: wait
    for: 1s
  - id: crm_again
    kind: action
    activity: crm.update_customer
    input: {{customer: case.customer}}
    timeout: 5s
    {RETRY}
  - id: finish
    kind: end
    status: completed
    outcome: done
"""


@dataclass
class PgStackEnv(StackEnv):
    """A stack env whose records live in a PostgreSQL database."""

    pg_url: str = ""

    @property
    def records_url(self) -> str:
        """The PostgreSQL records database of the test."""
        return self.pg_url


def _create_database(admin: Engine) -> str:
    name = f"casework_t_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    upgrade(f"{PG_SERVER}/{name}")
    return name


def _allow_connections(admin: Engine, name: str, allow: bool) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )


@asynccontextmanager
async def pg_stack(tmp_path: Path) -> AsyncIterator[tuple[PgStackEnv, Engine, str, str]]:
    """A dev server, the test definitions and two migrated PostgreSQL databases.

    Yields the env, the admin engine (on ``postgres``), the records database name
    and the rebuild database name. Always re-allows connections, kills every
    worker, stops the server and drops both databases.
    """
    problem = _postgres_error()
    if problem is not None:
        if os.environ.get("CASEWORK_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required but unreachable: {problem}")
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable: {problem}")
    admin = make_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    names: list[str] = []
    env: PgStackEnv | None = None
    try:
        names.append(_create_database(admin))
        names.append(_create_database(admin))
        env = PgStackEnv(root=tmp_path, port=free_port(), pg_url=f"{PG_SERVER}/{names[0]}")
        env.definitions.mkdir()
        for f in (PROJECT_ROOT / "definitions").glob("*.yaml"):
            shutil.copy(f, env.definitions / f.name)
        shutil.copy(HERE / "five-actions.yaml", env.definitions / "five-actions.yaml")
        (env.definitions / "timeline-crash.yaml").write_text(DEFINITION)
        await env.start_server()
        yield env, admin, names[0], names[1]
    finally:
        if env is not None:
            for proc in env.workers:
                if proc.poll() is None:
                    proc.kill()
            for proc in env.workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(20)
        try:
            if names:
                _allow_connections(admin, names[0], True)
        finally:
            if env is not None and env.server is not None:
                env.server.stop()
            with admin.connect() as conn:
                for name in names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


async def _poll(what: str, check: Callable[[], Awaitable[bool]], within: float) -> float:
    """Wait until ``check()`` is true; return the seconds it took."""
    t0 = time.monotonic()
    while not await check():
        if time.monotonic() - t0 > within:
            raise AssertionError(f"{what}: not reached within {within}s")
        await asyncio.sleep(0.2)
    return time.monotonic() - t0


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()  # SIGKILL: no graceful shutdown, whatever is in flight is lost
    proc.wait(20)


def _row(event: Any) -> tuple[Any, ...]:
    return (event.seq, event.kind, event.actor, event.step_id, event.task_id, event.details)


@pytest.mark.timeout(120)
async def test_timeline_equals_history_through_kills_and_outage(tmp_path: Path) -> None:
    t_start = time.monotonic()
    async with pg_stack(tmp_path) as (env, admin, records_db, rebuild_db):
        plan = env.plans()["timeline-crash"]
        records = make_engine(env.records_url, connect_args={"connect_timeout": 2})
        rebuilt = make_engine(f"{PG_SERVER}/{rebuild_db}")
        try:
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

            def effect_count() -> int:
                with records.connect() as conn:
                    return int(conn.execute(select(func.count()).select_from(effects)).scalar_one())

            async def first_actions_done() -> bool:
                return await asyncio.to_thread(effect_count) >= CASES

            took = await _poll("first action of every case", first_actions_done, 30)
            _kill(first)
            before_kill = effect_count()
            print(f"kill 1 after {took:.1f}s with {before_kill} effects")
            assert 0 < before_kill < CASES * len(ACTIONS), "the first kill must land mid-run"

            # The worker checks the schema when it starts, so the next one starts
            # before the outage; the outage then hits it with the cases mid-flight.
            second = await env.ready_worker()
            _allow_connections(admin, records_db, False)
            t_outage = time.monotonic()

            async def seqs() -> dict[str, int]:
                views = await asyncio.gather(
                    *[h.query("state", result_type=CaseView) for h in handles]
                )
                return {v.case_id: v.last_seq for v in views}

            at_outage = await seqs()

            async def most_moved_on() -> bool:
                now = await seqs()
                return sum(now[cid] >= at_outage[cid] + 3 for cid in ids) >= CASES // 2

            # Cases do not wait for the records: their timers and sets run on (an action
            # writes its effect to the records, so a case may wait in one meanwhile).
            took = await _poll("cases move on during the outage", most_moved_on, 20)
            during = await seqs()
            _kill(second)
            _allow_connections(admin, records_db, True)
            print(f"outage {time.monotonic() - t_outage:.1f}s (progress after {took:.1f}s)")
            # No worker runs now: the records are as the outage left them.
            with records.connect() as conn:
                projected = dict(conn.execute(select(cases.c.case_id, cases.c.last_seq)).all())
            lagging = sum(projected.get(cid, 0) < during[cid] for cid in ids)
            assert lagging >= CASES // 2, "the outage must hold the records back"

            await env.ready_worker()
            t_recover = time.monotonic()
            results = await asyncio.wait_for(asyncio.gather(*[h.result() for h in handles]), 75)
            print(f"all cases done {time.monotonic() - t_recover:.1f}s after the last worker")
            assert {r.status for r in results} == {"completed"}
            # the full last state of each closed case (the result is only a CaseResult)
            finals = await asyncio.gather(
                *[h.query("state", result_type=CaseView) for h in handles]
            )

            known = REGISTRY.plans()
            REGISTRY.put(plan)  # the rebuild replays the histories on the workflow code
            try:
                for cid in ids:
                    await rebuild_case(client, rebuilt, cid)
            finally:  # leave the process-wide registry as other tests expect it
                REGISTRY.clear()
                for known_plan in known:
                    REGISTRY.put(known_plan)
            for final in finals:
                cid = final.case_id
                live = case_timeline(records, cid, limit=500).items
                assert [e.seq for e in live] == list(range(1, final.last_seq + 1)), cid
                history = case_timeline(rebuilt, cid, limit=500).items
                assert [_row(e) for e in live] == [_row(e) for e in history], cid
            with records.connect() as conn:
                case_rows = conn.execute(select(cases.c.case_id, cases.c.status, cases.c.last_seq))
                stored = {r.case_id: (r.status, r.last_seq) for r in case_rows}
                keys = conn.execute(select(effects.c.key)).scalars().all()
            assert stored == {f.case_id: ("completed", f.last_seq) for f in finals}
            assert len(keys) == CASES * len(ACTIONS), "every effect written exactly once"
            assert set(keys) == {f"{cid}:{step}:1" for cid in ids for step in ACTIONS}
        finally:
            records.dispose()
            rebuilt.dispose()
    print(f"total {time.monotonic() - t_start:.1f}s")
