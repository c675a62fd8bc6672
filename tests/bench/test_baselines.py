"""The hand-written baselines of ``bench/engine.py`` do what the interpreter does.

The benchmark compares the interpreter with them; if the engine's timeline or
records write changes, these tests say the baselines no longer match it.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from casework.contracts import CaseEvent, StartCase
from casework.language.compiler import load_plans
from casework.language.plan import Plan
from casework.registry import REGISTRY
from casework.search_attributes import initial_search_attributes
from casework.settings import PROJECT_ROOT
from tests.workflows.helpers import Fakes, stable, start_case
from workers.worker import workflow_runner
from workflows.case import CaseWorkflow

DEFINITIONS = (
    PROJECT_ROOT / "tests" / "stack" / "five-actions.yaml",
    PROJECT_ROOT / "tests" / "cli" / "_cli_test.yaml",
)


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def handwritten() -> ModuleType:
    """``bench/_handwritten.py``."""
    return _module("_handwritten")


@pytest.fixture
def plans(tmp_path: Path) -> dict[str, Plan]:
    """The benchmark's definitions (and the shipped ones the policies name), compiled
    and registered."""
    for f in [*(PROJECT_ROOT / "definitions").glob("*.yaml"), *DEFINITIONS]:
        shutil.copy(f, tmp_path / f.name.lstrip("_").replace("_", "-"))
    compiled = {p.process: p for p in load_plans(tmp_path, PROJECT_ROOT / "policies")}
    for plan in compiled.values():
        REGISTRY.put(plan)
    return compiled


def _shape(events: list[CaseEvent]) -> list[tuple[Any, ...]]:
    # what the records hold, but for the instants, the plan hash and the case id in keys
    def details(e: CaseEvent) -> dict[str, Any]:
        d = {k: v for k, v in e.details.items() if k != "plan_hash"}
        if "key" in d:
            d["key"] = d["key"].split(":", 1)[1]
        return d

    return [(e.seq, e.kind, e.step_id, e.task_id is not None, details(e)) for e in events]


def _worker(client: Client, fakes: Fakes, handwritten: ModuleType, queue: str) -> Worker:
    return Worker(
        client,
        task_queue=queue,
        workflows=[
            CaseWorkflow,
            handwritten.HandWrittenCase,
            handwritten.HandWrittenRecordedCase,
            handwritten.HandWrittenWaitingCase,
        ],
        activities=fakes.activities(),
        workflow_runner=workflow_runner(False),
    )


async def test_the_recorded_baseline_writes_the_interpreters_records(
    client: Client, fakes: Fakes, handwritten: ModuleType, plans: dict[str, Plan], task_queue: str
) -> None:
    queue = task_queue
    five = plans["five-actions"]
    async with _worker(client, fakes, handwritten, queue):
        case = await start_case(client, five, queue, {"customer": "acme"})
        await case.result()
        plain = await client.execute_workflow(
            "HandWrittenCase", "C-PLAIN", id="C-PLAIN", task_queue=queue
        )
        recorded = await client.execute_workflow(
            "HandWrittenRecordedCase",
            "C-REC",
            id="C-REC",
            task_queue=queue,
            search_attributes=initial_search_attributes(five, {"customer": "acme"}),
        )
        described = await client.get_workflow_handle("C-REC").describe()
    assert recorded.keys() == plain.keys()
    calls = {
        cid: [(n, r.key.split(":", 1)[1]) for n, r in fakes.actions if r.case_id == cid]
        for cid in ("C-PLAIN", "C-REC", case.id)
    }
    assert calls["C-REC"] == calls["C-PLAIN"] == calls[case.id]
    assert _shape(fakes.events("C-REC")) == _shape(fakes.events(case.id))
    (batch,) = [b for b in fakes.batches if b.case_id == "C-REC"]
    assert batch.snapshot.status == "completed"
    assert described.typed_search_attributes.get(handwritten.STATUS) == "completed"


async def test_the_waiting_baseline_records_what_a_waiting_case_does(
    client: Client, fakes: Fakes, handwritten: ModuleType, plans: dict[str, Plan], task_queue: str
) -> None:
    queue = task_queue
    cli = plans["cli-test"]
    data = {"customer": "w0", "region": "emea", "priority": "normal"}
    fakes.eligible = {"frontline": ["alice"]}
    async with _worker(client, fakes, handwritten, queue):
        case = await start_case(client, cli, queue, data)
        floor = await client.start_workflow(
            "HandWrittenWaitingCase",
            StartCase(plan=cli.ref, data=data, opened_by="olga"),
            id="C-FLOOR",
            task_queue=queue,
            search_attributes=initial_search_attributes(cli, data),
        )
        await stable(lambda: _count(fakes, case.id))
        await stable(lambda: _count(fakes, floor.id))
        await floor.signal("finish")
        await floor.result()
    ours = [(e.kind, e.step_id) for e in fakes.events(floor.id)]
    assert ours == [(e.kind, e.step_id) for e in fakes.events(case.id)]
    (snapshot,) = [b.snapshot for b in fakes.batches if b.case_id == floor.id]
    (task,) = snapshot.tasks
    assert (task.state, task.role, task.region) == ("open", "frontline", "emea")


async def _count(fakes: Fakes, case_id: str) -> int:
    return len(fakes.events(case_id))
