"""CEL expressions: compile (cached), type-check against a definition, evaluate.

Evaluation is deterministic and safe inside the Temporal workflow sandbox
(import this module through ``workflow.unsafe.imports_passed_through()``).
Differences from strict CEL, chosen for process owners:

* a field missing from a map (or a field of ``null``) reads as ``null``, so
  ``case.x == null`` works when ``x`` was never set; ``has(case.x)`` still
  tells whether the key is present;
* ``==``/``!=`` with ``null`` or between values of different types give
  false/true instead of an error;
* ``int`` and ``double`` mix freely in comparisons and arithmetic.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, Evaluator, base_functions

from casework.errors import CaseworkError
from casework.language import _celcheck as ck
from casework.language._celcheck import Issue, T
from casework.language.model import FieldSpec, ProcessDefinition

__all__ = [
    "CompiledExpr",
    "ExpressionError",
    "Issue",
    "T",
    "check_expr",
    "coerce_fields",
    "compile_expr",
    "evaluate",
    "field_type",
    "from_cel",
    "steps_type",
    "to_cel",
    "variables_for",
]


class ExpressionError(CaseworkError):
    """An expression failed to parse or to evaluate.

    Attributes:
        expression: The expression text.
        line: 1-based line inside the expression (0 when unknown).
        column: 1-based column inside the expression (0 when unknown).
    """

    def __init__(self, expression: str, message: str, *, line: int = 0, column: int = 0) -> None:
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        super().__init__(f"expression {shown!r}: {message}")
        self.expression = expression
        self.line = line
        self.column = column
        self.reason = message


# -- the runtime ---------------------------------------------------------------


class _LenientMap(celtypes.MapType):
    """A CEL map where a missing string key reads as null."""

    def __getitem__(self, key: Any) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            if isinstance(key, str):
                return None
            raise


def _is_null(v: Any) -> bool:
    return v is None or isinstance(v, celtypes.NullType)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool | celtypes.BoolType)


def _promote(a: Any, b: Any) -> tuple[Any, Any]:
    mixed = _is_num(a) and _is_num(b) and type(a) is not type(b)
    if mixed and (isinstance(a, celtypes.DoubleType) or isinstance(b, celtypes.DoubleType)):
        return celtypes.DoubleType(a), celtypes.DoubleType(b)
    return a, b


def _numeric(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def call(a: Any, b: Any) -> Any:
        if isinstance(a, CELEvalError):
            return a
        if isinstance(b, CELEvalError):
            return b
        return fn(*_promote(a, b))

    return call


def _eq(a: Any, b: Any) -> Any:
    if isinstance(a, CELEvalError):
        return a
    if isinstance(b, CELEvalError):
        return b
    if _is_null(a) or _is_null(b):
        return celtypes.BoolType(_is_null(a) and _is_null(b))
    a, b = _promote(a, b)
    try:
        return base_functions["_==_"](a, b)
    except TypeError:
        return celtypes.BoolType(False)


def _ne(a: Any, b: Any) -> Any:
    same = _eq(a, b)
    return same if isinstance(same, CELEvalError) else celtypes.BoolType(not same)


_FUNCTIONS: dict[str, Any] = {
    "_==_": _eq,
    "_!=_": _ne,
    "_<_": _numeric(base_functions["_<_"]),
    "_<=_": _numeric(base_functions["_<=_"]),
    "_>_": _numeric(base_functions["_>_"]),
    "_>=_": _numeric(base_functions["_>=_"]),
    "_+_": _numeric(operator.add),
    "_-_": _numeric(operator.sub),
    "_*_": _numeric(operator.mul),
    "_/_": _numeric(base_functions["_/_"]),
}


class _Evaluator(Evaluator):
    """celpy's evaluator where a missing map key (or a field of null) reads as null,
    except inside ``has()``, which keeps telling whether the key is present."""

    _has_depth = 0

    def macro_has_eval(self, exprlist: lark.Tree[Any]) -> Any:
        self._has_depth += 1
        try:
            return super().macro_has_eval(exprlist)
        finally:
            self._has_depth -= 1

    def member_dot(self, tree: lark.Tree[Any]) -> Any:
        member_tree, token = tree.children
        member = self.visit(member_tree)
        name = str(token)
        if isinstance(member, celtypes.MapType) and not isinstance(member, celtypes.MessageType):
            key = celtypes.StringType(name)
            if key in member:
                return dict.__getitem__(member, key)
            if self._has_depth:
                return CELEvalError(
                    f"no such member in mapping: {name!r}", KeyError, None, tree=tree
                )
            return None
        if member is None and not self._has_depth:
            return None
        if isinstance(member, CELEvalError):
            return member
        return super().member_dot(tree)


class _Runner(celpy.InterpretedRunner):
    def evaluate(self, context: Any) -> Any:
        return _Evaluator(ast=self.ast, activation=self.new_activation()).evaluate(context)


@functools.cache
def _env() -> celpy.Environment:
    """The CEL environment, built on first use (building the parser takes ~1 s)."""
    return celpy.Environment(runner_class=_Runner)


@dataclass(frozen=True, slots=True)
class CompiledExpr:
    """A parsed expression, ready to check and evaluate.

    Attributes:
        text: The source text.
        tree: celpy's lark parse tree.
    """

    text: str
    tree: lark.Tree[Any]
    runner: Any
    #: Variables the expression reads (only those are converted for evaluation).
    roots: frozenset[str] = frozenset()
    roots_sorted: tuple[str, ...] = ()
    #: A plain dotted path (``form.category``): evaluated without the interpreter.
    path: tuple[str, ...] | None = None
    #: A simple literal (``'GBP'``, ``42``, ``true``): its value.
    constant: Any = None
    is_constant: bool = False

    def __repr__(self) -> str:
        return f"CompiledExpr({self.text!r})"


@functools.lru_cache(maxsize=8192)
def compile_expr(text: str) -> CompiledExpr:
    """Parse ``text`` (cached by text).

    Raises:
        ExpressionError: On a syntax error, with its line and column inside ``text``.
    """
    try:
        tree = _env().compile(text)
    except CELParseError as exc:
        line = int(getattr(exc, "line", 0) or 0)
        column = int(getattr(exc, "column", 0) or 0)
        raise ExpressionError(
            text, _syntax_message(text, line, column), line=line, column=column
        ) from None
    except (lark.exceptions.LarkError, RecursionError) as exc:
        raise ExpressionError(text, f"syntax error: {type(exc).__name__}") from None
    runner = _env().program(tree, functions=_FUNCTIONS)
    roots = frozenset(str(n.children[0]) for n in tree.find_data("ident"))
    stripped = text.strip()
    path = tuple(stripped.split(".")) if _PATH.match(stripped) else None
    if path is not None and path[0] in _KEYWORDS:
        path = None
    is_constant, constant = _literal(stripped)
    return CompiledExpr(
        text, tree, runner, roots, tuple(sorted(roots)), path, constant, is_constant
    )


_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_KEYWORDS = frozenset({"true", "false", "null", "in"})


def _literal(text: str) -> tuple[bool, Any]:
    if text in ("true", "false"):
        return True, text == "true"
    if text == "null":
        return True, None
    if _NUMBER.match(text):
        return True, float(text) if "." in text else int(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and "\\" not in text:
        inner = text[1:-1]
        if text[0] not in inner:
            return True, inner
    return False, None


def _walk_path(path: tuple[str, ...], activation: Mapping[str, Any]) -> Any:
    value: Any = activation.get(path[0])
    for part in path[1:]:
        if not isinstance(value, Mapping):
            if value is None:
                return None
            raise ExpressionError(".".join(path), f"'.{part}' on a {type(value).__name__} value")
        value = value.get(part)
    return from_cel(to_cel(value))


def _syntax_message(text: str, line: int, column: int) -> str:
    lines = text.splitlines() or [""]
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    rest = here[column - 1 :].strip() if column > 0 else ""
    if not rest and line >= len(lines):
        return "syntax error: the expression ends too early"
    return f"syntax error at '{rest[:12]}'"


def to_cel(value: Any) -> Any:
    """Convert plain Python data (and pydantic models) to CEL values."""
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return celtypes.TimestampType(aware.astimezone(dt.UTC))
    if isinstance(value, dt.date):
        return celtypes.TimestampType(
            dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        )
    if isinstance(value, dt.timedelta):
        return celtypes.DurationType(value)
    if isinstance(value, Mapping):
        return _LenientMap({celtypes.StringType(str(k)): to_cel(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return celtypes.ListType([to_cel(v) for v in value])
    if isinstance(value, bytes):
        return celtypes.BytesType(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return to_cel(dump(mode="json"))
    return celtypes.StringType(str(value))


def from_cel(value: Any) -> Any:
    """Convert a CEL value back to plain Python (str, int, float, bool, list, dict, None, datetime).

    Durations become :class:`datetime.timedelta`, bytes stay bytes.
    """
    if value is None or isinstance(value, celtypes.NullType):
        return None
    if isinstance(value, bool | celtypes.BoolType):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=dt.UTC if value.tzinfo is None else value.tzinfo,
        ).astimezone(dt.UTC)
    if isinstance(value, dt.timedelta):
        return dt.timedelta(days=value.days, seconds=value.seconds, microseconds=value.microseconds)
    if isinstance(value, Mapping):
        return {str(from_cel(k)): from_cel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [from_cel(v) for v in value]
    if isinstance(value, bytes):
        return bytes(value)
    return str(value)


def evaluate(expr: CompiledExpr | str, activation: Mapping[str, Any]) -> Any:
    """Evaluate an expression with plain-Python variables.

    Args:
        expr: A compiled expression or its text (compiled and cached).
        activation: Variables, e.g. ``{"case": {...}, "steps": {...}, "now": datetime}``.

    Returns:
        The value as plain Python.

    Raises:
        ExpressionError: When it cannot be parsed or evaluation fails (no such overload...).
    """
    compiled = compile_expr(expr) if isinstance(expr, str) else expr
    if compiled.is_constant:
        return compiled.constant
    if compiled.path is not None and compiled.path[0] in activation:
        return _walk_path(compiled.path, activation)
    context = {k: to_cel(activation[k]) for k in compiled.roots if k in activation}
    try:
        value = compiled.runner.evaluate(context)
    except CELEvalError as exc:
        raise ExpressionError(compiled.text, _eval_message(exc)) from None
    except RecursionError:
        raise ExpressionError(compiled.text, "the expression is nested too deeply") from None
    except (TypeError, ValueError, ArithmeticError, KeyError, OverflowError) as exc:
        raise ExpressionError(compiled.text, f"{type(exc).__name__}: {exc}") from None
    if isinstance(value, CELEvalError):
        raise ExpressionError(compiled.text, _eval_message(value))
    return from_cel(value)


_OVERLOAD = re.compile(r"no matching overload for Token\('RULE', '(\w+)'\) applied to '\((.*)\)'")
_CLASS = re.compile(r"celtypes\.(\w+)Type|class '(\w+)'")
_TYPE_NAMES = {
    "String": "string",
    "Int": "int",
    "Uint": "uint",
    "Double": "double",
    "Bool": "bool",
    "Timestamp": "timestamp",
    "Duration": "duration",
    "List": "list",
    "Map": "map",
    "Bytes": "bytes",
    "NoneType": "null",
}


def _eval_message(exc: CELEvalError) -> str:
    first = str(exc.args[0] if exc.args else "evaluation failed").splitlines()[0]
    first = first.split(" (in activation", 1)[0]  # celpy appends its whole activation
    m = _OVERLOAD.search(first)
    if m:
        op = ck.OPERATORS.get(m.group(1), m.group(1))
        kinds = [_TYPE_NAMES.get(a or b, (a or b).lower()) for a, b in _CLASS.findall(m.group(2))]
        return f"'{op}' cannot be applied to {' and '.join(kinds)}"
    return first if len(first) <= 200 else first[:197] + "..."


# -- types of the variables ------------------------------------------------------

_SCALARS: dict[str, T] = {
    "string": ck.STRING,
    "text": ck.STRING,
    "email": ck.STRING,
    "phone": ck.STRING,
    "enum": ck.STRING,
    "integer": ck.INT,
    "number": ck.DOUBLE,
    "money": ck.DOUBLE,
    "boolean": ck.BOOL,
    "date": ck.TIMESTAMP,
    "datetime": ck.TIMESTAMP,
}


def field_type(spec: FieldSpec) -> T:
    """The CEL type of a schema field."""
    if spec.type == "list":
        return ck.list_of(_SCALARS.get(spec.items or "", ck.DYN))
    return _SCALARS.get(spec.type, ck.DYN)


def _fields(fields: Mapping[str, FieldSpec], label: str) -> T:
    return ck.record({k: field_type(v) for k, v in fields.items()}, label)


def variables_for(
    definition: ProcessDefinition,
    *,
    form: Mapping[str, FieldSpec] | None = None,
    event: Mapping[str, FieldSpec] | None = None,
    result: bool = False,
    steps: bool = True,
) -> dict[str, T]:
    """The variables an expression of ``definition`` may use.

    Args:
        definition: The process.
        form: The task's form (a task's ``set``): adds ``form``.
        event: The event's fields (a wait's ``set``): adds ``event``.
        result: True in an action's ``set``: adds ``result`` (any map).
        steps: False to leave out ``steps`` (see :func:`steps_type`; it is the costly one).
    """
    out: dict[str, T] = {"case": _fields(definition.case.fields, "the case schema")}
    if steps:
        out["steps"] = steps_type(definition)
    out["now"] = ck.TIMESTAMP
    out["opened_by"] = ck.STRING
    if form is not None:
        out["form"] = _fields(form, "the task's form")
    if event is not None:
        out["event"] = _fields(event, "the event")
    if result:
        out["result"] = ck.open_map()
    return out


def steps_type(definition: ProcessDefinition) -> T:
    """The type of the ``steps`` variable: one record per step id."""
    from casework.language._walk import iter_steps

    steps: dict[str, T] = {}
    for step in iter_steps(definition.steps):
        info: dict[str, T] = {
            "outcome": ck.STRING,
            "reason": ck.STRING,
            "actor": ck.STRING,
            "visits": ck.INT,
            "decision": ck.STRING,
            "result": ck.open_map(),
            "form": _fields(step.__dict__.get("form") or {}, f"the form of step '{step.id}'"),
        }
        ev_name = step.__dict__.get("event")
        spec = definition.events.get(ev_name) if isinstance(ev_name, str) else None
        info["event"] = _fields(spec.fields, f"event '{ev_name}'") if spec else ck.open_map()
        steps[step.id] = ck.record(info, f"step '{step.id}'")
    return ck.record(steps, "steps")


def check_expr(text: str, variables: dict[str, T], expect: T | None = None) -> list[Issue]:
    """Parse and type-check ``text``; return its issues (empty when fine).

    Args:
        text: The expression.
        variables: From :func:`variables_for`.
        expect: The type the expression must have, e.g. ``T("bool")`` for a condition.
    """
    try:
        compiled = compile_expr(text)
    except ExpressionError as exc:
        return [Issue(exc.line or 1, exc.column or 1, "E401", exc.reason)]
    if "steps" in compiled.roots:  # summarising every step costs more than checking
        try:
            return ck.check(compiled.tree, variables, expect)[1]
        except RecursionError:
            return [Issue(1, 1, "E401", "the expression is nested too deeply", "simplify it")]
    # the result depends only on the text and the types of what it reads: memoise on that
    used = tuple((n, ck.signature(variables[n])) for n in compiled.roots_sorted if n in variables)
    # the names in scope only matter for the hint of an unknown variable
    names = tuple(sorted(variables)) if len(used) < len(compiled.roots_sorted) else ()
    key = (text, ck.signature(expect) if expect is not None else None, used, names)
    hit = _CHECKS.get(key)
    if hit is None:
        if len(_CHECKS) > 65536:
            _CHECKS.clear()
        try:
            hit = ck.check(compiled.tree, variables, expect)[1]
        except RecursionError:
            hit = [Issue(1, 1, "E401", "the expression is nested too deeply", "simplify it")]
        _CHECKS[key] = hit
    return list(hit)


_CHECKS: dict[tuple[Any, ...], list[Issue]] = {}


def coerce_fields(fields: Mapping[str, FieldSpec], data: Mapping[str, Any]) -> dict[str, Any]:
    """Give JSON-shaped case data its schema types (ISO text -> datetime, int -> float for numbers).

    Values that do not convert are left as they are; unknown keys are kept.
    """
    out = dict(data)
    for name, spec in fields.items():
        value = out.get(name)
        if value is None:
            continue
        if spec.type in ("date", "datetime") and isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            out[name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        elif (
            spec.type in ("number", "money")
            and isinstance(value, int)
            and not isinstance(value, bool)
        ):
            out[name] = float(value)
    return out
