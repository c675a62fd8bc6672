"""A tiny workflow evaluating expressions inside the Temporal sandbox."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casework.language.expr import ExpressionError, evaluate


@workflow.defn(sandboxed=True)
class ExprWorkflow:
    """Evaluates each expression against the same case data."""

    @workflow.run
    async def run(self, texts: list[str], case: dict[str, Any]) -> list[Any]:
        """Return each value, or the error message."""
        out: list[Any] = []
        for text in texts:
            try:
                out.append(evaluate(text, {"case": case, "now": workflow.now()}))
            except ExpressionError as exc:
                out.append(f"error: {exc.reason}")
        return out
