"""compile_plan and load_plans: explicit nexts, merged approvals, embedded policies, stable hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casework.errors import DefinitionError
from casework.language.compiler import compile_plan, load_plans
from casework.language.model import ApprovalStep, ParallelStep, TaskStep
from casework.language.plan import Plan, seal
from tests.language._util import (
    FIXTURE_DEFINITIONS,
    FIXTURE_POLICIES,
    definition,
    fixture_workspace,
)


def _plan() -> Plan:
    ws = fixture_workspace()
    assert ws.diagnostics == []
    return compile_plan(definition(ws, "complaint").model, ws.policies)


def test_every_next_is_explicit() -> None:
    steps = {s.id: s for s in _plan().definition.steps}
    assert steps["acknowledge"].next == "triage"
    assert steps["refund"].next == "close-upheld"
    assert steps["close-upheld"].next is None
    assert steps["investigate"].next == "decide"
    par = steps["investigate"]
    assert isinstance(par, ParallelStep)
    check = par.branches[1].steps
    assert [s.next for s in check] == ["note", None]
    assert par.branches[0].steps[0].next is None


def test_start_and_task_outcomes_are_explicit() -> None:
    plan = _plan()
    assert plan.definition.start == "acknowledge"
    steps = {s.id: s for s in plan.definition.steps}
    triage = steps["triage"]
    assert isinstance(triage, TaskStep)
    assert [(o.outcome, o.next) for o in triage.outcomes] == [
        ("investigate", "route"),
        ("reject", "close-rejected"),
    ]
    par = steps["investigate"]
    assert isinstance(par, ParallelStep)
    check = par.branches[1].steps[0]
    assert isinstance(check, TaskStep)
    assert [(o.outcome, o.next) for o in check.outcomes] == [("done", "note")]


def test_approval_rule_is_merged() -> None:
    step = next(s for s in _plan().definition.steps if isinstance(s, ApprovalStep))
    assert step.approvers is not None
    assert step.approvers.role == "manager"
    assert (step.decide, step.quorum, step.veto, step.four_eyes) == (
        "quorum",
        2,
        ["director"],
        True,
    )
    assert step.on == {"approved": "refund", "rejected": "investigate"}


def test_step_values_win_over_rule() -> None:
    ws = fixture_workspace()
    d = definition(ws, "complaint").model
    steps = [
        s.model_copy(update={"quorum": 1, "four_eyes": False, "on": {}})
        if isinstance(s, ApprovalStep)
        else s
        for s in d.steps
    ]
    plan = compile_plan(d.model_copy(update={"steps": steps}), ws.policies)
    step = next(s for s in plan.definition.steps if isinstance(s, ApprovalStep))
    assert (step.quorum, step.four_eyes) == (1, False)
    assert step.on == {"approved": "refund", "rejected": "refund"}


def test_policies_are_embedded() -> None:
    plan = _plan()
    assert plan.sla is not None
    assert plan.sla.name == "standard"
    assert plan.ladder is not None
    assert plan.ladder.name == "complaints"
    assert sorted(plan.calendars) == ["uk", "us"]
    assert plan.region_calendars == {"uk": "uk", "us": "us"}
    assert plan.default_calendar == "uk"
    assert list(plan.routing) == ["agents-rr"]
    cal = plan.calendar_for("us")
    assert cal is not None
    assert cal.timezone == "America/New_York"
    cal = plan.calendar_for("mars")
    assert cal is not None
    assert cal.name == "uk"


def test_hash_is_deterministic_and_round_trips() -> None:
    a, b = _plan(), _plan()
    assert a.hash == b.hash
    assert len(a.hash) == 64
    assert seal(a.model_dump(mode="json")).hash == a.hash
    assert Plan.model_validate_json(a.model_dump_json()) == a


def test_hash_changes_with_content() -> None:
    ws = fixture_workspace()
    d = definition(ws, "complaint").model
    other = compile_plan(d.model_copy(update={"title": "Other"}), ws.policies)
    assert other.hash != _plan().hash


def test_unknown_policy_raises_definition_error() -> None:
    ws = fixture_workspace()
    d = definition(ws, "complaint").model
    assert d.sla is not None
    bad = d.model_copy(update={"sla": d.sla.model_copy(update={"policy": "nope"})})
    with pytest.raises(DefinitionError, match="unknown SLA policy 'nope'"):
        compile_plan(bad, ws.policies)


def test_load_plans() -> None:
    plans = load_plans(FIXTURE_DEFINITIONS, FIXTURE_POLICIES)
    assert [p.process for p in plans] == ["complaint"]


def test_load_plans_reports_every_error(tmp_path: Path) -> None:
    defs = tmp_path / "definitions"
    shutil.copytree(FIXTURE_DEFINITIONS, defs)
    f = defs / "complaint.yaml"
    f.write_text(
        f.read_text().replace("  - id: refund\n    kind: action", "  - id: refund\n    kind: acton")
    )
    with pytest.raises(DefinitionError) as info:
        load_plans(defs, FIXTURE_POLICIES)
    assert [d.code for d in info.value.diagnostics] == ["V104"]
    assert "did you mean 'action'?" in info.value.render()
