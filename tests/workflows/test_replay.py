"""Replay the committed histories with the current interpreter (determinism guard)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from casework.contracts import CaseResult
from casework.converter import DATA_CONVERTER
from casework.language.plan import Plan
from casework.records.rebuild import replay_batches
from casework.registry import REGISTRY
from workflows.case import CaseWorkflow

HISTORIES = Path(__file__).parent / "histories"
DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
NAMES = sorted(
    p.name.removesuffix(".json")
    for p in HISTORIES.glob("*.json")
    if not p.name.endswith(".plans.json")
)


def test_histories_are_committed() -> None:
    assert {"complaint", "approvals", "parallel_sla"} <= set(NAMES)


def test_every_shipped_definition_has_a_history() -> None:
    """``python -m tests.workflows.record_shipped`` records one per definition file."""
    processes = {yaml.safe_load(p.read_text())["process"] for p in DEFINITIONS.glob("*.yaml")}
    assert processes
    assert {f"shipped-{p}" for p in processes} <= set(NAMES)
    for p in processes:
        assert (HISTORIES / f"shipped-{p}.plans.json").exists()


def load_history(name: str) -> WorkflowHistory:
    """The committed history ``name``, under the workflow id it ran with when recorded."""
    recorded = json.loads((HISTORIES / f"{name}.json").read_text())
    # histories recorded before cases took their id from the workflow id have none
    return WorkflowHistory.from_json(recorded.pop("workflowId", f"replay-{name}"), recorded)


@pytest.mark.parametrize("name", NAMES)
async def test_replay(name: str) -> None:
    for raw in json.loads((HISTORIES / f"{name}.plans.json").read_text()):
        REGISTRY.put(Plan.model_validate(raw))
    history = load_history(name)
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None


@pytest.mark.parametrize("name", [n for n in NAMES if "shipped-" in n])
async def test_replay_recovers_the_projection(name: str) -> None:
    """``records rebuild`` gets every batch back from the history alone (local activities)."""
    for raw in json.loads((HISTORIES / f"{name}.plans.json").read_text()):
        REGISTRY.put(Plan.model_validate(raw))
    history = load_history(name)
    batches = await replay_batches(history, workflows=[CaseWorkflow])
    seqs = [e.seq for b in batches for e in b.events]
    assert seqs == list(range(1, len(seqs) + 1))
    assert batches[0].events[0].kind == "case_opened"
    assert batches[-1].snapshot.last_seq == seqs[-1]
    completed = history.events[-1]
    if completed.HasField("workflow_execution_completed_event_attributes"):
        [payload] = completed.workflow_execution_completed_event_attributes.result.payloads
        [final] = DATA_CONVERTER.payload_converter.from_payloads([payload], [CaseResult])
        assert batches[-1].snapshot.status == final.status
        assert batches[-1].snapshot.outcome == final.outcome
        assert batches[-1].snapshot.data == final.data
        assert batches[-1].events[-1].kind == "case_ended"
