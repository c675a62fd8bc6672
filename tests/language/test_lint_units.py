"""Lint details on small hand-written definitions."""

from __future__ import annotations

from casework.errors import Diagnostic
from casework.language.lint import FALLBACK_CATALOG, default_catalog, lint_definition
from casework.language.loader import LoadedDefinition, load_text
from casework.language.model import ProcessDefinition
from casework.language.policyset import PolicySet
from tests.language._util import fixture_workspace

HEAD = (
    "process: p\nversion: 1\ntitle: T\nowner: o\nroles: [agent]\n"
    "case: {fields: {region: {type: string}, n: {type: integer}}}\n"
    "outcomes: {ok: {reasons: [fine]}}\n"
)


def _lint(text: str, policies: PolicySet | None = None) -> list[Diagnostic]:
    loaded = load_text(HEAD + text, "x.yaml")
    assert loaded.diagnostics == []
    assert isinstance(loaded.model, ProcessDefinition)
    d = LoadedDefinition("x.yaml", loaded.model, loaded.data, loaded.locations)
    return lint_definition(d, policies or PolicySet(), catalog=set(FALLBACK_CATALOG))


def _codes(diags: list[Diagnostic]) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in diags]


def test_clean_definition() -> None:
    assert _lint("steps:\n  - {id: s, kind: set, values: {n: '1'}}\n  - {id: e, kind: end}\n") == []


def test_start_inside_a_branch() -> None:
    text = (
        "start: inner\nsteps:\n  - id: p\n    kind: parallel\n    branches:\n"
        "      - id: b\n        steps:\n          - {id: inner, kind: set, values: {n: '1'}}\n"
        "  - {id: e, kind: end}\n"
    )
    assert ("E203", 8) in _codes(_lint(text))


def test_nested_parallel_and_branch_end() -> None:
    text = (
        "steps:\n  - id: p\n    kind: parallel\n    branches:\n"
        "      - id: b\n        steps:\n"
        "          - id: q\n            kind: parallel\n            branches:\n"
        "              - id: c\n                steps:\n"
        "                  - {id: deep, kind: set, values: {n: '2'}}\n"
        "          - {id: after, kind: set, values: {region: \"'x'\"}}\n"
        "  - {id: e, kind: end}\n"
    )
    assert _lint(text) == []


def test_decision_loop_guarded() -> None:
    text = (
        "steps:\n  - id: work\n    kind: task\n    max_visits: 3\n    on_max_visits: e\n"
        "    assign: {role: agent}\n"
        "  - id: check\n    kind: decision\n    when:\n      - {if: 'case.n > 1', next: work}\n"
        "    otherwise: e\n  - {id: e, kind: end, outcome: ok, reason: fine}\n"
    )
    assert _lint(text) == []


def test_unguarded_loop_is_located_at_its_first_step() -> None:
    text = (
        "steps:\n  - id: work\n    kind: task\n    assign: {role: agent}\n"
        "  - id: check\n    kind: decision\n    when:\n      - {if: 'case.n > 1', next: work}\n"
        "    otherwise: e\n  - {id: e, kind: end}\n"
    )
    assert _codes(_lint(text)) == [("E207", 9)]


def test_on_max_visits_needs_max_visits() -> None:
    text = (
        "steps:\n  - {id: s, kind: set, values: {n: '1'}, on_max_visits: e}\n"
        "  - {id: e, kind: end}\n"
    )
    assert _codes(_lint(text)) == [("W208", 9)]


def test_unknown_reason_on_end() -> None:
    text = "steps:\n  - {id: e, kind: end, outcome: ok, reason: fin}\n"
    [d] = _lint(text)
    assert (d.code, d.hint) == ("E312", "did you mean 'fine'?")


def test_expression_position_in_quoted_value() -> None:
    text = (
        "steps:\n  - id: d\n    kind: decision\n    when:\n"
        "      - if: \"case.regon == 'x'\"\n        next: e\n    otherwise: e\n"
        "  - {id: e, kind: end}\n"
    )
    [d] = _lint(text)
    assert (d.code, d.line, d.column) == ("E402", 12, 19)


def test_set_type_mismatch() -> None:
    text = "steps:\n  - {id: s, kind: set, values: {n: \"'text'\"}}\n  - {id: e, kind: end}\n"
    [d] = _lint(text)
    assert d.code == "E403"
    assert "expected int, got string" in d.message


def test_policies_of_the_fixture() -> None:
    ws = fixture_workspace()
    text = (
        "steps:\n  - {id: t, kind: task, assign: {role: manager, routing: agents-rr}}\n"
        "  - {id: e, kind: end}\n"
    )
    assert _lint(text, ws.policies) == []


def test_default_catalog() -> None:
    assert "billing.issue_refund" in default_catalog()
