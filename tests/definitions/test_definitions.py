"""Structural checks of the shipped process definitions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from casework.language.compiler import compile_plan
from casework.language.lint import all_diagnostics
from casework.language.loader import Workspace
from casework.language.model import (
    ActionStep,
    ApprovalStep,
    DecisionStep,
    EndStep,
    NotifyStep,
    ParallelStep,
    ProcessDefinition,
    Step,
    SubprocessStep,
    TaskStep,
    WaitStep,
)
from tests.definitions.conftest import DEFINITIONS

EXPECTED = {
    "complaint-handling",
    "escalation",
    "policy-change-approval",
    "training-update",
    "training-onboarding",
    "customer-feedback",
}
CATALOG = {
    "surveys.record",
    "billing.issue_refund",
    "crm.update_customer",
    "policies.publish_change",
    "training.enroll",
}


def _definitions(ws: Workspace) -> dict[str, ProcessDefinition]:
    return {d.model.process: d.model for d in ws.definitions}


def _scopes(steps: list[Step]) -> Iterator[tuple[list[Step], Step]]:
    """Yield (the step list a step belongs to, the step), nested branches included."""
    for step in steps:
        yield steps, step
        if isinstance(step, ParallelStep):
            for branch in step.branches:
                yield from _scopes(branch.steps)


def _targets(step: Step) -> list[str]:
    out = [step.next, step.on_max_visits]
    if isinstance(step, TaskStep):
        out += [step.on_timeout, *(o.next for o in step.outcomes)]
    elif isinstance(step, DecisionStep):
        out += [w.next for w in step.when] + [step.otherwise]
    elif isinstance(step, ApprovalStep):
        out += list(step.on.values())
    elif isinstance(step, WaitStep):
        out += [step.on_timeout]
    elif isinstance(step, ActionStep | SubprocessStep):
        out += [step.on_failure]
    return [t for t in out if t is not None]


def _roles(d: ProcessDefinition) -> Iterator[str]:
    yield from d.roles
    for _, step in _scopes(d.steps):
        if isinstance(step, TaskStep) and step.assign.role:
            yield step.assign.role
        elif isinstance(step, ApprovalStep):
            if step.approvers and step.approvers.role:
                yield step.approvers.role
            yield from step.veto
        elif isinstance(step, NotifyStep) and step.to.role:
            yield step.to.role


def test_every_file_loads(shipped: Workspace) -> None:
    problems = [d.render() for d in shipped.diagnostics]
    assert problems == []
    assert set(_definitions(shipped)) == EXPECTED


def test_files_start_with_schema_comment() -> None:
    for path in sorted(DEFINITIONS.glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/definition.schema.json", path


def test_lint_is_clean(shipped: Workspace) -> None:
    errors = [d.render() for d in all_diagnostics(shipped, catalog=CATALOG)]
    assert errors == []


@pytest.mark.parametrize("process", sorted(EXPECTED))
def test_targets_exist_in_scope(shipped: Workspace, process: str) -> None:
    d = _definitions(shipped)[process]
    top = {s.id for s in d.steps}
    all_ids = [s.id for _, s in _scopes(d.steps)]
    assert len(all_ids) == len(set(all_ids)), "duplicate step ids"
    for siblings, step in _scopes(d.steps):
        local = {s.id for s in siblings}
        for target in _targets(step):
            # A jump stays inside its own list: no jumping into or out of a branch.
            assert target in local, f"{process}: {step.id} -> {target} is not a step of its list"
    if d.start is not None:
        assert d.start in top
    assert isinstance(d.steps[-1], EndStep), f"{process}: the last top-level step is not an end"


@pytest.mark.parametrize("process", sorted(EXPECTED))
def test_roles_are_in_directory(shipped: Workspace, process: str) -> None:
    known = set(shipped.policies.directory.roles)
    d = _definitions(shipped)[process]
    for role in _roles(d):
        assert role in known, f"{process}: role {role!r} is not in the directory"


@pytest.mark.parametrize("process", sorted(EXPECTED))
def test_references_exist(shipped: Workspace, process: str) -> None:
    p = shipped.policies
    d = _definitions(shipped)[process]
    # Only the training-update subprocess runs without an SLA of its own.
    assert d.sla is not None or process == "training-update", f"{process} has no SLA binding"
    if d.sla is not None:
        assert d.sla.policy in p.sla_policies
        assert d.sla.escalation is None or d.sla.escalation in p.ladders
        assert d.sla.calendar is None or d.sla.calendar in p.calendars
    for _, step in _scopes(d.steps):
        if isinstance(step, TaskStep) and step.assign.routing:
            assert step.assign.routing in p.routing_rules, step.id
        elif isinstance(step, ApprovalStep) and step.rule:
            assert step.rule in p.approval_rules, step.id
        elif isinstance(step, SubprocessStep):
            assert step.process in EXPECTED, step.id
        elif isinstance(step, ActionStep):
            assert step.activity in CATALOG, step.id
        elif isinstance(step, NotifyStep):
            assert step.template in d.templates, step.id
        elif isinstance(step, WaitStep) and step.event:
            assert step.event in d.events, step.id
        elif isinstance(step, EndStep) and step.outcome:
            assert step.outcome in d.outcomes, step.id
            if step.reason:
                assert step.reason in d.outcomes[step.outcome].reasons, step.id


@pytest.mark.parametrize("process", sorted(EXPECTED))
def test_compiles(shipped: Workspace, process: str) -> None:
    d = _definitions(shipped)[process]
    plan = compile_plan(d, shipped.policies)
    assert plan.hash == compile_plan(d, shipped.policies).hash
    assert (plan.sla is None) == (d.sla is None)


def test_complaint_handling_shape(shipped: Workspace) -> None:
    d = _definitions(shipped)["complaint-handling"]
    fields = d.case.fields
    for name, kind in {
        "customer": "string",
        "customer_email": "email",
        "channel": "enum",
        "region": "enum",
        "priority": "enum",
        "summary": "text",
        "order_id": "string",
        "amount": "money",
        "departments": "list",
        "resolution": "text",
        "confirmed": "boolean",
    }.items():
        assert fields[name].type == kind, name
    assert fields["amount"].currency == "GBP"
    assert fields["priority"].default == "normal"
    assert {"customer", "channel", "region", "summary"} <= {
        k for k, v in fields.items() if v.required
    }
    steps = {s.id: s for _, s in _scopes(d.steps)}
    triage = steps["triage"]
    assert isinstance(triage, TaskStep)
    assert triage.first_response
    assert [o.outcome for o in triage.outcomes] == ["investigate", "resolve_now", "reject"]
    assert triage.outcomes[2].reasons
    investigate = steps["investigate"]
    assert isinstance(investigate, ParallelStep)
    assert {b.id: b.when for b in investigate.branches} == {
        "billing": "'billing' in case.departments",
        "tech_support": "'tech-support' in case.departments",
        "sales": "'sales' in case.departments",
    }
    wait = steps["await_reply"]
    assert isinstance(wait, WaitStep)
    assert (wait.event, wait.waiting_for, wait.timeout) == ("customer_replied", "customer", "3bd")
    propose = steps["propose"]
    assert propose.max_visits == 3
    assert propose.on_max_visits == "escalate_unaccepted"
    feedback = steps["feedback"]
    assert isinstance(feedback, SubprocessStep)
    assert (feedback.process, feedback.wait) == ("customer-feedback", False)
    assert d.sla is not None
    assert (d.sla.policy, d.sla.escalation) == ("complaint-standard", "complaint-ladder")
    assert set(d.events["customer_replied"].fields) == {"confirmed", "comment"}
    assert {"acknowledgement", "proposal", "closure"} <= set(d.templates)


def test_policy_change_shape(shipped: Workspace) -> None:
    d = _definitions(shipped)["policy-change-approval"]
    steps = {s.id: s for _, s in _scopes(d.steps)}
    peer, senior = steps["peer_review"], steps["senior_approval"]
    assert isinstance(peer, ApprovalStep)
    assert isinstance(senior, ApprovalStep)
    assert peer.on["changes_requested"] == "revise"
    revise = steps["revise"]
    assert isinstance(revise, TaskStep)
    assert revise.assign.person == "opened_by"
    assert revise.max_visits == 3
    rules = shipped.policies.approval_rules
    assert peer.rule is not None
    assert senior.rule is not None
    assert (rules[peer.rule].decide, rules[peer.rule].quorum) == ("quorum", 2)
    assert rules[senior.rule].four_eyes
    assert rules[senior.rule].veto == ["regional-manager"]
    roll_out = steps["roll_out"]
    assert isinstance(roll_out, ParallelStep)
    assert len(roll_out.branches) == 3
    training = steps["training_update"]
    assert isinstance(training, SubprocessStep)
    assert training.process == "training-update"


def test_onboarding_shape(shipped: Workspace) -> None:
    d = _definitions(shipped)["training-onboarding"]
    steps = {s.id: s for _, s in _scopes(d.steps)}
    modules = steps["modules"]
    assert isinstance(modules, ParallelStep)
    assert {b.id for b in modules.branches} == {"product", "systems", "policies", "soft_skills"}
    for branch in modules.branches:
        task = branch.steps[0]
        assert isinstance(task, TaskStep)
        assert task.assign.person == "case.new_hire"
        assert task.remind_every is not None
    assessment = steps["assessment"]
    assert (assessment.max_visits, assessment.on_max_visits) == (2, "not_passed")
    passed = steps["passed"]
    assert isinstance(passed, DecisionStep)
    assert "80" in passed.when[0].condition
    assert d.sla is not None
    assert shipped.policies.sla_policies[d.sla.policy].time == "calendar"


def test_feedback_shape(shipped: Workspace) -> None:
    d = _definitions(shipped)["customer-feedback"]
    steps = {s.id: s for _, s in _scopes(d.steps)}
    wait = steps["await_answer"]
    assert isinstance(wait, WaitStep)
    assert (wait.event, wait.timeout, wait.on_timeout) == ("survey_answered", "5d", "no_response")
    record = steps["record"]
    assert isinstance(record, ActionStep)
    assert record.activity == "surveys.record"
    assert {"score", "comment", "subject_case_id"} <= set(record.input)
    score = d.events["survey_answered"].fields["score"]
    assert (score.type, score.min, score.max) == ("integer", 1, 5)
    end = steps["no_response"]
    assert isinstance(end, EndStep)
    assert (end.status, end.outcome) == ("closed", "no_response")
