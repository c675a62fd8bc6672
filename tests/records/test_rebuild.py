"""Rebuilding records from Temporal histories, across continue-as-new."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, func, select
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from casework.contracts import ProjectionBatch
from casework.converter import DATA_CONVERTER
from casework.errors import NotFoundError
from casework.records import rebuild as rebuild_module
from casework.records.queries import get_case
from casework.records.rebuild import rebuild
from casework.records.tables import case_events, tasks
from tests.records.factories import batch, task, view
from tests.records.probe_workflow import RebuildProbe


def _pydantic_client(env: WorkflowEnvironment) -> Client:
    config = env.client.config()
    config["data_converter"] = DATA_CONVERTER
    return Client(**config)


@activity.defn(name="records.project")
async def lost_projection(batch: ProjectionBatch) -> int:
    """Pretend to project: the records stay empty, as after losing the database."""
    return 0


async def test_rebuild_one_case_across_runs(
    time_env: WorkflowEnvironment,
    task_queue: str,
    db_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = _pydantic_client(time_env)
    case_id = f"C-260504-{uuid.uuid4().hex[:6].upper()}"
    b1 = batch(view(case_id=case_id, last_seq=2), [1, 2])
    b2 = batch(view(case_id=case_id, last_seq=3, tasks=[task(case_id)]), [3])
    b3 = batch(
        view(
            case_id=case_id, last_seq=5, status="resolved", tasks=[task(case_id, state="completed")]
        ),
        [4, 5],
    )
    async with Worker(
        client, task_queue=task_queue, workflows=[RebuildProbe], activities=[lost_projection]
    ):
        await client.execute_workflow(
            RebuildProbe.run, args=[[b1, b2], [b3]], id=case_id, task_queue=task_queue
        )
    result = await rebuild(client, db_engine, case_id, workflows=[RebuildProbe])
    assert (result.runs, result.batches, result.new_events) == (2, 3, 5)
    detail = get_case(db_engine, case_id)
    assert (detail.status, detail.last_seq) == ("resolved", 5)
    with db_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_events)).scalar_one() == 5
        assert conn.execute(select(tasks.c.state)).scalar_one() == "completed"
    again = await rebuild(client, db_engine, case_id, workflows=[RebuildProbe])
    assert (again.batches, again.new_events) == (3, 0)

    # --all lists case workflows through visibility (the time-skipping server has none)
    async def listed(_client: Client, *, query: str | None = None) -> list[str]:
        return [case_id]

    monkeypatch.setattr(rebuild_module, "case_ids", listed)
    everything = await rebuild(client, db_engine, all_cases=True, workflows=[RebuildProbe])
    assert (everything.cases, everything.runs, everything.batches) == ([case_id], 2, 3)


async def test_rebuild_unknown_case(time_env: WorkflowEnvironment, db_engine: Engine) -> None:
    client = _pydantic_client(time_env)
    with pytest.raises(NotFoundError, match="C-000000-000000"):
        await rebuild(client, db_engine, "C-000000-000000")
    with pytest.raises(ValueError, match="not both"):
        await rebuild(client, db_engine)


async def test_rebuild_command(
    time_env: WorkflowEnvironment,
    task_queue: str,
    records_settings: str,
    db_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    from casework.cli.main import main
    from casework.settings import get_settings

    client = _pydantic_client(time_env)
    case_id = f"C-260504-{uuid.uuid4().hex[:6].upper()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[RebuildProbe], activities=[lost_projection]
    ):
        await client.execute_workflow(
            RebuildProbe.run,
            args=[[batch(view(case_id=case_id, last_seq=2), [1, 2])], []],
            id=case_id,
            task_queue=task_queue,
        )
    monkeypatch.setattr(rebuild_module, "_default_workflows", lambda: [RebuildProbe])
    monkeypatch.setenv("CASEWORK_TEMPORAL_ADDRESS", client.service_client.config.target_host)
    get_settings.cache_clear()
    try:
        code = await asyncio.to_thread(main, ["records", "rebuild", case_id])
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert code == 0
    assert "rebuilt 1 case(s): 1 run(s), 1 batch(es), 2 new event(s)" in out
    assert get_case(db_engine, case_id).last_seq == 2


async def test_rebuild_of_a_history_that_does_not_replay() -> None:
    from pathlib import Path

    from temporalio.client import WorkflowHistory

    from casework.errors import RecordsError
    from casework.records.rebuild import replay_batches

    text = (Path(__file__).parents[1] / "workflows/histories/complaint.json").read_text()
    history = WorkflowHistory.from_json("C-REPLAY", text)
    with pytest.raises(RecordsError, match="C-REPLAY does not replay on this code: ") as info:
        await replay_batches(history, workflows=[RebuildProbe])
    assert "\n" not in str(info.value)
