"""Each lint error kind, made on purpose in a copy of the shipped files, is reported at its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casework.language.lint import all_diagnostics
from casework.language.loader import load_workspace
from tests.language._probe import edit
from tests.language._util import SHIPPED_DEFINITIONS, SHIPPED_POLICIES

P = "  - id: lint_probe\n"


def step(*lines: str) -> str:
    """A probe step: ``- id: lint_probe`` then ``lines`` as its keys (4-space indent)."""
    return P + "".join(f"    {line}\n" for line in lines)


def _decision(condition: str) -> str:
    return step(
        "kind: decision",
        "when:",
        f'  - if: "{condition}"',
        "    next: '{first}'",
        "otherwise: '{first}'",
    )


SET_X = "values: {resolution: \"'x'\"}"

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # (case name, edit() arguments, expected code, text on the expected line)
    (
        "unknown field",
        {
            "before_steps": step(
                "kind: notify",
                "to: {customer: true}",
                "template: acknowledgement",
                "nxt: '{first}'",
            )
        },
        "V101",
        "nxt:",
    ),
    ("unknown kind", {"before_steps": step("kind: tsk")}, "V104", "kind: tsk"),
    ("missing kind", {"before_steps": step("name: no kind")}, "V105", "- id: lint_probe"),
    (
        "missing field",
        {"before_steps": step("kind: notify", "to: {customer: true}")},
        "V102",
        "- id: lint_probe",
    ),
    (
        "bad field type",
        {
            "before_steps": step(
                "kind: task", "assign: {role: frontline}", "form:", "  x: {type: strng}"
            )
        },
        "E501",
        "type: strng",
    ),
    ("bad duration", {"before_steps": step("kind: wait", "for: 3 days")}, "V103", "for: 3 days"),
    ("duplicate key", {"before_steps": step("kind: set", "kind: end")}, "Y002", "kind: end"),
    (
        "duplicate step id",
        {"before_steps": "  - id: '{first}'\n    kind: set\n    " + SET_X + "\n"},
        "E201",
        "id: acknowledge",
    ),
    (
        "missing target",
        {"before_steps": step("kind: set", SET_X, "next: nowhere")},
        "E202",
        "next: nowhere",
    ),
    (
        "branch jump",
        {
            "before_steps": step(
                "kind: parallel",
                "branches:",
                "  - id: b1",
                "    steps:",
                "      - id: lint_inner",
                "        kind: set",
                "        " + SET_X,
                "        next: lint_probe",
            )
        },
        "E203",
        "next: lint_probe",
    ),
    ("unreachable", {"append": step("kind: end")}, "W204", "- id: lint_probe"),
    ("last step not an end", {"append": step("kind: set", SET_X)}, "E205", "- id: lint_probe"),
    (
        "loop without exit",
        {
            "before_steps": step("kind: set", SET_X, "next: lint_b")
            + "  - id: lint_b\n    kind: set\n"
            "    values: {resolution: \"'y'\"}\n    next: lint_probe\n"
        },
        "E206",
        "- id: lint_probe",
    ),
    (
        "loop without guard",
        {
            "before_steps": step(
                "kind: decision",
                "when:",
                "  - if: \"case.priority == 'high'\"",
                "    next: lint_probe",
                "otherwise: '{first}'",
            )
        },
        "E207",
        "- id: lint_probe",
    ),
    (
        "unknown role",
        {"before_steps": step("kind: task", "assign: {role: frontlin}")},
        "E301",
        "role: frontlin",
    ),
    (
        "unknown sla policy",
        {"replace": ("policy: complaint-standard", "policy: complaint-standrd")},
        "E302",
        "policy: complaint-standrd",
    ),
    (
        "unknown ladder",
        {"before_steps": step("kind: escalate", "ladder: nope-ladder")},
        "E303",
        "ladder: nope-ladder",
    ),
    (
        "unknown routing rule",
        {"before_steps": step("kind: task", "assign: {role: frontline, routing: nope-routing}")},
        "E304",
        "nope-routing",
    ),
    (
        "unknown approval rule",
        {"before_steps": step("kind: approval", "rule: nope-rule")},
        "E305",
        "rule: nope-rule",
    ),
    (
        "approval without approvers",
        {"before_steps": step("kind: approval")},
        "E305",
        "kind: approval",
    ),
    (
        "unknown activity",
        {"before_steps": step("kind: action", "activity: billing.issue_refnd")},
        "E307",
        "activity: billing.issue_refnd",
    ),
    (
        "unknown process",
        {"before_steps": step("kind: subprocess", "process: customer-feedbak")},
        "E308",
        "process: customer-feedbak",
    ),
    (
        "unknown template",
        {"before_steps": step("kind: notify", "to: {customer: true}", "template: acknowledgment")},
        "E309",
        "template: acknowledgment",
    ),
    (
        "unknown event",
        {"before_steps": step("kind: wait", "event: customer_replyed")},
        "E310",
        "event: customer_replyed",
    ),
    (
        "unknown end outcome",
        {"append": step("kind: end", "outcome: resolvd")},
        "E311",
        "outcome: resolvd",
    ),
    (
        "unknown reason",
        {
            "before_steps": step(
                "kind: task",
                "assign: {role: frontline}",
                "outcomes:",
                "  - {outcome: resolved, reasons: [fixd]}",
            )
        },
        "E312",
        "reasons: [fixd]",
    ),
    (
        "unknown set field",
        {"before_steps": step("kind: set", "values: {resolutoin: \"'x'\"}")},
        "E313",
        "resolutoin",
    ),
    (
        "expression syntax",
        {"before_steps": _decision("case.priority ==")},
        "E401",
        "case.priority ==",
    ),
    (
        "expression unknown field",
        {"before_steps": _decision("case.regon == 'emea'")},
        "E402",
        "case.regon",
    ),
    (
        "expression type",
        {"before_steps": _decision("case.amount == 'ten'")},
        "E403",
        "case.amount == 'ten'",
    ),
    (
        "parallel writes",
        {
            "before_steps": step(
                "kind: parallel",
                "branches:",
                "  - id: b1",
                "    steps:",
                "      - {id: lint_s1, kind: set, values: {resolution: \"'a'\"}}",
                "  - id: b2",
                "    steps:",
                "      - {id: lint_s2, kind: set, values: {resolution: \"'b'\"}}",
            )
        },
        "E502",
        "lint_s2",
    ),
    (
        "quorum too large",
        {
            "before_steps": step(
                "kind: approval",
                "approvers: {role: senior-management}",
                "decide: quorum",
                "quorum: 99",
            )
        },
        "E503",
        "quorum: 99",
    ),
    (
        "template placeholder",
        {"replace": ("${case.summary}", "${case.sumary}")},
        "E314",
        "body: |",
    ),
    (
        "assignee of a missing task",
        {
            "before_steps": step(
                "kind: notify", "to: {assignee_of: nope}", "template: acknowledgement"
            )
        },
        "E202",
        "assignee_of: nope",
    ),
    (
        "quorum too large in a region",
        {
            "before_steps": step(
                "kind: approval",
                "approvers: {role: coordinator, region: case.region}",
                "decide: quorum",
                "quorum: 4",
            )
        },
        "W505",
        "quorum: 4",
    ),
    (
        "sla priority",
        {
            "replace": (
                "values: [low, normal, high, urgent]",
                "values: [low, normal, high, urgent, critical]",
            )
        },
        "E504",
        "priority:",
    ),
]


@pytest.mark.parametrize(
    ("edits", "code", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_is_located(tmp_path: Path, edits: dict[str, Any], code: str, needle: str) -> None:
    probe = edit(tmp_path, **edits)
    diags = probe.diagnostics()
    mine = [d for d in diags if d.path == str(probe.file)]
    lines = [d.line for d in mine if d.code == code]
    expected = probe.line(needle, after=probe.line("steps:") if "before_steps" in edits else 0)
    assert expected in lines, "\n".join(d.render() for d in mine)
    hit = next(d for d in mine if d.code == code and d.line == expected)
    assert hit.column >= 1
    assert hit.render().startswith(f"{probe.file}:{expected}:{hit.column}: ")


def test_unknown_kind_and_field_have_did_you_mean(tmp_path: Path) -> None:
    probe = edit(tmp_path, before_steps=P + "    kind: tsk\n")
    [d] = [d for d in probe.diagnostics() if d.code == "V104"]
    assert d.hint == "did you mean 'task'?"
    probe = edit(
        tmp_path / "b", before_steps=P + "    kind: set\n    values: {x: '1'}\n    nxt: a\n"
    )
    [d] = [d for d in probe.diagnostics() if d.code == "V101"]
    assert d.message == "unknown field 'nxt' in set step 'lint_probe'"
    assert d.hint == "did you mean 'next'?"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    probe = edit(
        tmp_path,
        before_steps=P + "    kind: task\n    assign: {role: frontlin}\n"
        "  - id: lint_b\n    kind: notify\n    to: {customer: true}\n    template: nope\n",
    )
    codes = {d.code for d in probe.diagnostics()}
    assert {"E301", "E309"} <= codes


def test_duplicate_policy_names(tmp_path: Path) -> None:
    probe = edit(
        tmp_path,
        "sla.yaml",
        sub="policies",
        replace=("name: escalation-tiers", "name: complaint-standard"),
    )
    assert probe.codes_at("V107") == [
        probe.line("name: complaint-standard", after=probe.line("name: complaint-standard"))
    ]


def test_duplicate_process_version(tmp_path: Path) -> None:
    probe = edit(
        tmp_path,
        "training-update.yaml",
        replace=("process: training-update", "process: training-onboarding"),
    )
    assert "V108" in {d.code for d in probe.diagnostics()}


def test_unknown_role_in_policy(tmp_path: Path) -> None:
    probe = edit(
        tmp_path,
        "approval.yaml",
        sub="policies",
        replace=("role: coordinator", "role: coordinater"),
    )
    assert probe.codes_at("E301") == [probe.line("role: coordinater")]


def test_approval_rule_region_expression_is_checked(tmp_path: Path) -> None:
    probe = edit(
        tmp_path,
        "approval.yaml",
        sub="policies",
        replace=("region: case.region", "region: case.regon"),
    )
    target = probe.root / "definitions" / "policy-change-approval.yaml"
    hits = [d for d in probe.diagnostics() if d.path == str(target) and d.code == "E402"]
    assert hits, "no E402 for the rule's region"
    assert "approval rule 'peer-review' region" in hits[0].message
    assert hits[0].hint == "did you mean 'region'?"


def test_shipped_files_are_clean() -> None:
    ws = load_workspace([SHIPPED_DEFINITIONS, SHIPPED_POLICIES])
    diags = all_diagnostics(ws)
    assert [d.render() for d in diags if d.severity == "error"] == []
    assert len(ws.definitions) >= 5
