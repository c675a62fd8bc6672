"""apply_batch and the records.project activity: idempotent, ordered by last_seq."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from temporalio.testing import ActivityEnvironment

from activities import _db
from activities.records import project
from casework.errors import RecordsError
from casework.records.db import make_engine
from casework.records.projection import apply_batch
from casework.records.tables import case_events, cases, sla_clocks, tasks
from tests.records.factories import batch, clock, task, view


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_first_batch_writes_everything(db_engine: Engine) -> None:
    snap = view(last_seq=3, tasks=[task("C-260504-000001")], clocks=[clock()])
    assert apply_batch(db_engine, batch(snap, range(1, 4))) == 3
    with db_engine.connect() as conn:
        row = conn.execute(select(cases)).one()
        assert row.last_seq == 3
        assert row.data == {"priority": "normal", "amount": 12.5}
        assert row.resolution_due == snap.clocks[0].deadline
        assert conn.execute(select(tasks.c.state)).scalar_one() == "open"
        assert conn.execute(select(sla_clocks.c.state)).scalar_one() == "running"
    assert _count(db_engine, case_events) == 3


def test_replayed_batch_is_a_no_op(db_engine: Engine) -> None:
    b = batch(view(last_seq=2), range(1, 3))
    assert apply_batch(db_engine, b) == 2
    assert apply_batch(db_engine, b) == 0
    assert _count(db_engine, case_events) == 2
    assert _count(db_engine, cases) == 1


def test_out_of_order_batches_keep_the_newest_snapshot(db_engine: Engine) -> None:
    cid = "C-260504-000001"
    old = view(last_seq=2, status="open", tasks=[task(cid, state="open")])
    new = view(
        last_seq=4,
        status="resolved",
        tasks=[task(cid, state="completed", completed_by="bob")],
        clocks=[clock(state="met")],
    )
    assert apply_batch(db_engine, batch(new, [3, 4])) == 2
    assert apply_batch(db_engine, batch(old, [1, 2])) == 2
    with db_engine.connect() as conn:
        row = conn.execute(select(cases.c.status, cases.c.last_seq)).one()
        assert (row.status, row.last_seq) == ("resolved", 4)
        assert conn.execute(select(tasks.c.state)).scalar_one() == "completed"
        seqs = conn.execute(select(case_events.c.seq).order_by(case_events.c.seq)).scalars()
        assert list(seqs) == [1, 2, 3, 4]


def test_overlapping_batches_insert_each_event_once(db_engine: Engine) -> None:
    apply_batch(db_engine, batch(view(last_seq=3), range(1, 4)))
    assert apply_batch(db_engine, batch(view(last_seq=5), range(2, 6))) == 2
    assert _count(db_engine, case_events) == 5


def test_mismatched_snapshot_is_refused(db_engine: Engine) -> None:
    b = batch(view(case_id="C-1"), [1]).model_copy(update={"case_id": "C-2"})
    with pytest.raises(RecordsError, match="snapshot"):
        apply_batch(db_engine, b)


def test_batch_is_all_or_nothing(db_engine: Engine) -> None:
    good = batch(view(last_seq=1), [1])
    apply_batch(db_engine, good)
    bad = batch(view(last_seq=2).model_copy(update={"title": None}), [2])
    with pytest.raises(Exception, match=r"(?i)null|not null|constraint"):
        apply_batch(db_engine, bad)
    assert _count(db_engine, case_events) == 1


async def test_activity_retries_while_the_database_is_down(db_url: str, tmp_path: Path) -> None:
    env = ActivityEnvironment()
    snap = view(last_seq=1)
    down = make_engine(
        "postgresql://postgres@127.0.0.1:1/nothing"
        if db_url.startswith("postgresql")
        else f"sqlite:///{tmp_path}"  # a directory: SQLite cannot open it
    )
    with _db.use_engine(down), pytest.raises(OperationalError):
        await env.run(project, batch(snap, [1]))
    up = make_engine(db_url)
    try:
        with _db.use_engine(up):
            assert await env.run(project, batch(snap, [1])) == 1
            assert await env.run(project, batch(snap, [1])) == 0
    finally:
        up.dispose()
        down.dispose()


def test_concurrent_batches_converge(db_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    cid = "C-260504-000001"
    batches = [
        batch(view(last_seq=n, tasks=[task(cid, s) for s in ("a", "b", "c")]), range(1, n + 1))
        for n in range(1, 9)
    ]
    engine = make_engine(db_url)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            written = sum(pool.map(lambda b: apply_batch(engine, b), batches))
        assert written == 8
        with engine.connect() as conn:
            assert conn.execute(select(cases.c.last_seq)).scalar_one() == 8
        assert _count(engine, case_events) == 8
        assert _count(engine, tasks) == 3
    finally:
        engine.dispose()
