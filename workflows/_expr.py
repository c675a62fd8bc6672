"""CEL evaluation for the interpreter, and message template rendering.

Uses the shared, cached compiler of :mod:`casework.language.expr` when it is
available; otherwise a small local celpy-based fallback with the same API.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\$\{\s*([a-zA-Z_][a-zA-Z0-9_.\-]*)\s*\}")


class ExprError(ValueError):
    """An expression could not be evaluated."""


def _fallback() -> tuple[Callable[[str], Any], Callable[[Any, dict[str, Any]], Any]]:
    import celpy
    from celpy import celtypes

    env = celpy.Environment()

    @functools.lru_cache(maxsize=2048)
    def compile_expr(text: str) -> Any:
        return env.program(env.compile(text))

    def to_cel(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return celtypes.TimestampType(value)
        if isinstance(value, dict):
            return celtypes.MapType({celtypes.StringType(k): to_cel(v) for k, v in value.items()})
        if isinstance(value, list | tuple):
            return celtypes.ListType([to_cel(v) for v in value])
        return celpy.json_to_cel(value)  # type: ignore[attr-defined]

    def from_cel(value: Any) -> Any:
        if value is None or isinstance(value, celtypes.BoolType | bool):
            return None if value is None else bool(value)
        if isinstance(value, celtypes.IntType | celtypes.UintType):
            return int(value)
        if isinstance(value, celtypes.DoubleType):
            return float(value)
        if isinstance(value, celtypes.StringType):
            return str(value)
        if isinstance(value, celtypes.TimestampType):
            return dt.datetime.fromtimestamp(value.timestamp(), tz=dt.UTC)
        if isinstance(value, celtypes.MapType):
            return {str(k): from_cel(v) for k, v in value.items()}
        if isinstance(value, celtypes.ListType):
            return [from_cel(v) for v in value]
        if isinstance(value, Exception):
            raise ExprError(str(value))
        return value

    def evaluate(compiled: Any, activation: dict[str, Any]) -> Any:
        return from_cel(compiled.evaluate({k: to_cel(v) for k, v in activation.items()}))

    return compile_expr, evaluate


def _load() -> tuple[Callable[[str], Any], Callable[[Any, dict[str, Any]], Any]]:
    try:
        from casework.language import expr as shared
    except ImportError:
        return _fallback()
    return shared.compile_expr, shared.evaluate


_compile, _evaluate = _load()
# Building the CEL parser takes about a second: do it when the worker imports the
# interpreter, never inside a workflow activation (the deadlock detector allows 2 s).
_evaluate(_compile("1 == 1"), {})


def evaluate(text: str, activation: dict[str, Any], *, where: str) -> Any:
    """Evaluate the CEL expression ``text``.

    Args:
        text: The expression.
        activation: Variables (``case``, ``steps``, ``now``...).
        where: Names the step and key in the error message.

    Raises:
        ExprError: When it does not compile or fails to evaluate.
    """
    try:
        return _evaluate(_compile(text), activation)
    except ExprError:
        raise
    except Exception as exc:
        raise ExprError(f"{where}: expression {text!r} failed: {exc}") from None


def _lookup(path: str, variables: Mapping[str, Any]) -> Any:
    value: Any = variables
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def render(template: str, variables: Mapping[str, Any]) -> str:
    """Substitute ``${case.x}`` / ``${steps.a.form.b}`` placeholders (missing -> empty)."""

    def repl(m: re.Match[str]) -> str:
        value = _lookup(m.group(1), variables)
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(repl, template)
