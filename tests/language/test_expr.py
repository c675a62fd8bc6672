"""CEL: compile, type-check, evaluate (also inside the workflow sandbox)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from casework.converter import DATA_CONVERTER
from casework.language import _celcheck as ck
from casework.language.expr import (
    ExpressionError,
    check_expr,
    coerce_fields,
    compile_expr,
    evaluate,
    variables_for,
)
from casework.language.model import FieldSpec
from tests.language._expr_workflow import ExprWorkflow
from tests.language._util import definition, fixture_workspace


@pytest.fixture(scope="module")
def env_vars() -> dict[str, ck.T]:
    return variables_for(definition(fixture_workspace(), "complaint").model)


def test_compile_is_cached() -> None:
    assert compile_expr("case.amount > 1.0") is compile_expr("case.amount > 1.0")


def test_syntax_error_has_position() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expr("case.amount > ")
    assert (info.value.line, info.value.column) == (1, 13)
    assert "syntax error" in str(info.value)


@pytest.mark.parametrize(
    ("text", "activation", "expected"),
    [
        ("case.amount > 100", {"case": {"amount": 150.5}}, True),
        ("case.n > 2.5", {"case": {"n": 3}}, True),
        ("case.n + 0.5", {"case": {"n": 1}}, 1.5),
        ("case.x == null", {"case": {}}, True),
        ("case.x != null", {"case": {"x": 0}}, True),
        ("has(case.x)", {"case": {}}, False),
        ("has(case.x) ? case.x : 'none'", {"case": {"x": "a"}}, "a"),
        ("steps.triage.outcome", {"steps": {}}, None),
        ("steps['ask-customer'].visits", {"steps": {"ask-customer": {"visits": 2}}}, 2),
        ("case.region in ['uk', 'us']", {"case": {"region": "us"}}, True),
        ("'a' == 1", {}, False),
        ("[1, 2.5, 'x', null, true]", {}, [1, 2.5, "x", None, True]),
        ("{'a': {'b': [1]}}", {}, {"a": {"b": [1]}}),
        ("size(case.tags)", {"case": {"tags": ["a", "b"]}}, 2),
        ("case.tags.exists(t, t == 'b')", {"case": {"tags": ["a", "b"]}}, True),
        ("form.category", {"form": {"category": "billing"}}, "billing"),
        ("'GBP'", {}, "GBP"),
    ],
)
def test_evaluate_plain_values(text: str, activation: dict[str, object], expected: object) -> None:
    value = evaluate(text, activation)
    assert value == expected
    assert type(value) is type(expected)


def test_timestamps_and_durations() -> None:
    now = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    later = evaluate("now + duration('90m')", {"now": now})
    assert later == now + dt.timedelta(minutes=90)
    assert type(later) is dt.datetime
    assert later.tzinfo is not None
    assert evaluate("now > timestamp('2025-12-31T00:00:00Z')", {"now": now}) is True
    assert evaluate("now - timestamp('2026-01-01T08:00:00Z')", {"now": now}) == dt.timedelta(
        hours=1
    )


def test_evaluation_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="'\\+' cannot be applied to string and int"):
        evaluate("'a' + 1", {})
    with pytest.raises(ExpressionError, match=r"undeclared reference to 'steps'$"):
        evaluate("steps.x == null", {})
    with pytest.raises(ExpressionError, match="cannot be applied to null and int"):
        evaluate("case.x < 1", {"case": {}})
    with pytest.raises(ExpressionError):
        evaluate("1 / 0", {})


def test_coerce_fields() -> None:
    fields = {"at": FieldSpec(type="datetime"), "amount": FieldSpec(type="money")}
    out = coerce_fields(fields, {"at": "2026-01-01T10:00:00Z", "amount": 5, "other": 1})
    assert out == {"at": dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC), "amount": 5.0, "other": 1}


def _codes(text: str, variables: dict[str, ck.T], expect: ck.T | None = ck.BOOL) -> list[str]:
    return [i.code for i in check_expr(text, variables, expect)]


def test_unknown_field_did_you_mean(env_vars: dict[str, ck.T]) -> None:
    [issue] = check_expr("case.regon == 'uk'", env_vars, ck.BOOL)
    assert (issue.code, issue.column) == ("E402", 6)
    assert issue.hint == "did you mean 'region'?"


def test_dashed_step_id_hint(env_vars: dict[str, ck.T]) -> None:
    issues = check_expr("steps.ask-customer.visits > 1", env_vars, ck.BOOL)
    assert "steps['ask-customer']" in issues[0].hint


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("case.amount == 'x'", "E403"),
        ("case.amount && true", "E403"),
        ("case.region in 'uk'", "E403"),
        ("!case.amount", "E403"),
        ("case.customer - 1", "E403"),
        ("case.amount", "E403"),
        ("cse.amount > 1", "E402"),
        ("nosuch(1)", "E402"),
        ("steps.triage.form.categry == 'x'", "E402"),
        ("case.amount >", "E401"),
    ],
)
def test_type_errors(env_vars: dict[str, ck.T], text: str, code: str) -> None:
    assert code in _codes(text, env_vars)


@pytest.mark.parametrize(
    "text",
    [
        "case.amount > 100",
        "case.amount > 100.0 && case.region == 'uk'",
        "case.priority in ['high', 'urgent']",
        "steps.triage.outcome == 'reject' || steps.decide.visits >= 2",
        "has(case.notes) ? size(case.notes) > 3 : false",
        "now - duration('1h') > now",
        "steps['ask-customer'].event.message.contains('refund')",
        "[1, 2].exists(x, x > 1)",
        "case.amount == null",
        "dyn(case.amount) > 1",
    ],
)
def test_valid_expressions_pass(env_vars: dict[str, ck.T], text: str) -> None:
    assert check_expr(text, env_vars, ck.BOOL) == []


async def test_evaluates_in_workflow_sandbox(time_env: WorkflowEnvironment) -> None:
    client = time_env.client
    queue = f"expr-{uuid.uuid4().hex[:8]}"
    config = client.config()
    config["data_converter"] = DATA_CONVERTER
    client = type(client)(**config)
    async with Worker(client, task_queue=queue, workflows=[ExprWorkflow]):
        try:
            result = await client.execute_workflow(
                ExprWorkflow.run,
                args=[
                    [
                        "case.amount > 100.0",
                        "case.missing == null",
                        "now > timestamp('2000-01-01T00:00:00Z')",
                        "'a' + 1",
                    ],
                    {"amount": 150.0},
                ],
                id=f"expr-{uuid.uuid4().hex}",
                task_queue=queue,
            )
        except WorkflowFailureError as exc:  # pragma: no cover - shows the cause on failure
            raise AssertionError(str(exc.cause)) from exc
    assert result[:3] == [True, True, True]
    assert str(result[3]).startswith("error: ")


def test_deep_nesting_is_an_expression_error() -> None:
    deep = "(" * 900 + "1" + ")" * 900
    with pytest.raises(ExpressionError, match="nested too deeply"):
        evaluate(deep, {})
    [issue] = check_expr("!" * 1500 + "true", {})
    assert issue.code == "E401"
