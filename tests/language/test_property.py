"""Property: whatever the YAML, the loader and linter answer with located diagnostics only."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.errors import DefinitionError, Diagnostic
from casework.language.compiler import compile_plan
from casework.language.expr import compile_expr
from casework.language.lint import lint_definition
from casework.language.loader import LoadedDefinition, load_text, load_workspace
from casework.language.model import ProcessDefinition
from tests.language._util import SHIPPED_DEFINITIONS, SHIPPED_POLICIES

_WS = load_workspace([SHIPPED_DEFINITIONS, SHIPPED_POLICIES])
_NOW = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
compile_expr("true")  # builds the CEL parser now: celpy raises the recursion limit once
_TEXTS = [f.read_text() for f in sorted(SHIPPED_DEFINITIONS.glob("*.yaml"))]
_TOKENS = [
    ":",
    "- ",
    "  ",
    "\n",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "!!python/object:os.system ",
    "!x ",
    "---\n",
    "'",
    '"',
    "#",
    "kind: ",
    "next: ",
    "id: ",
    "steps:",
    "tsk",
    "if: ",
    "case.",
    "==",
    "&&",
    "\t",
    "0",
    "null",
    "true",
    "on: ",
    "<<: ",
    "\\u0000",
    "é",
]
_CATALOG = {
    "billing.issue_refund",
    "crm.update_customer",
    "policies.publish_change",
    "training.enroll",
    "surveys.record",
}
_PROCESSES = {d.model.process: {d.model.version} for d in _WS.definitions}


def _check(diags: list[Diagnostic]) -> None:
    for d in diags:
        assert isinstance(d.line, int)
        assert d.line >= 0
        assert d.column >= 0
        assert d.code
        assert d.message
        assert "\n" not in d.message
        assert "\n" not in d.hint
        assert d.render().startswith(f"{d.path}:{d.line}:{d.column}: ")


def _check_raised(exc: DefinitionError) -> None:
    if not exc.diagnostics:
        raise AssertionError("DefinitionError without diagnostics")
    _check(exc.diagnostics)


def _load_and_lint(text: str) -> None:
    try:
        loaded = load_text(text, "probe.yaml")
    except DefinitionError as exc:  # allowed, but it must carry diagnostics
        _check_raised(exc)
        return
    _check(loaded.diagnostics)
    if isinstance(loaded.model, ProcessDefinition):
        found = lint_definition(
            LoadedDefinition("probe.yaml", loaded.model, loaded.data, loaded.locations),
            _WS.policies,
            processes=_PROCESSES,
            catalog=_CATALOG,
        )
        _check(found)
        if not [d for d in found if d.severity == "error"]:
            try:
                compile_plan(loaded.model, _WS.policies, path="probe.yaml")
            except DefinitionError as exc:
                _check_raised(exc)


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_TEXTS))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "replace", "swap", "indent"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            token = draw(st.sampled_from(_TOKENS))
            lines[i] = lines[i][:pos] + token + lines[i][pos:]
        elif op == "replace":
            pos = draw(st.integers(0, max(0, len(lines[i]) - 1)))
            lines[i] = lines[i][:pos] + draw(st.text(max_size=3)) + lines[i][pos + 1 :]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = "  " + lines[i]
    return "".join(lines)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["task", "end", "next", "steps", "case.region", "1h", "2bd", "x"]),
)
_KEYS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(
        [
            "process",
            "version",
            "title",
            "owner",
            "case",
            "fields",
            "steps",
            "id",
            "kind",
            "next",
            "type",
            "assign",
            "role",
            "when",
            "if",
            "otherwise",
            "branches",
            "outcomes",
            "outcome",
            "for",
            "event",
            "values",
            "set",
        ]
    ),
)
_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_shipped_files(text: str) -> None:
    _load_and_lint(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TREES)
def test_random_structures(tree: Any) -> None:
    _load_and_lint(yaml.safe_dump(tree))


@settings(max_examples=60, deadline=None)
@given(_TREES)
def test_random_definition_bodies(steps: Any) -> None:
    doc = {
        "process": "p",
        "version": 1,
        "title": "t",
        "owner": "o",
        "case": {"fields": {}},
        "steps": steps,
    }
    _load_and_lint(yaml.safe_dump(doc))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    _load_and_lint(text)


_EXPR_ATOMS = st.sampled_from(
    [
        "case",
        "steps",
        "form",
        "now",
        "case.region",
        "case.amount",
        "1",
        "2.5",
        "'x'",
        "null",
        "true",
        "[1, 2]",
        "{'a': 1}",
        "size",
        "has",
        "(",
        ")",
        "[",
        "]",
        ".",
        ",",
        "==",
        "!=",
        "<",
        "&&",
        "||",
        "!",
        "-",
        "+",
        "*",
        "/",
        "%",
        "in",
        "?",
        ":",
        "exists",
        "x",
        " ",
        "timestamp",
        "duration('1h')",
        "'\\\\'",
        '"',
        "b'x'",
        "0x1F",
        "1u",
        "int",
        "e",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_EXPR_ATOMS, min_size=1, max_size=12).map("".join))
def test_random_expressions(text: str) -> None:
    from casework.language.expr import ExpressionError, check_expr, evaluate, variables_for

    definition = _WS.definitions[0].model
    for issue in check_expr(text, variables_for(definition)):
        assert issue.line >= 1
        assert issue.code in ("E401", "E402", "E403")
    with contextlib.suppress(ExpressionError):
        evaluate(text, {"case": {"region": "emea", "amount": 5.0}, "steps": {}, "now": _NOW})
