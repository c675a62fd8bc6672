"""Lint of expressions: syntax, unknown variables and fields, type mismatches,
and ``set`` targets that are not case fields."""

from __future__ import annotations

import re
from collections.abc import Mapping

from casework.errors import Diagnostic
from casework.language import _celcheck as ck
from casework.language._errors import did_you_mean
from casework.language._lintctx import Ctx
from casework.language._walk import StepPath, iter_located
from casework.language.expr import (
    ExpressionError,
    check_expr,
    compile_expr,
    field_type,
    steps_type,
    variables_for,
)
from casework.language.model import (
    ActionStep,
    ApprovalStep,
    DecisionStep,
    FieldSpec,
    NotifyStep,
    ParallelStep,
    ProcessDefinition,
    SetStep,
    Step,
    SubprocessStep,
    TaskStep,
    WaitStep,
    is_ident,
)
from casework.language.policyset import PolicySet
from casework.language.yamlsafe import Path

BOOL = ck.BOOL
STRING = ck.STRING


def _position(ctx: Ctx, path: Path, line: int, column: int) -> tuple[int, int]:
    """File position of (line, column) inside the expression stored at ``path``."""
    where = ctx.locations.value_at(path)
    if where is None:
        return ctx.at(path)
    vline, vcol, style = where
    if style in ("|", ">"):
        return vline + line, column
    if line > 1:
        return vline + line - 1, column
    return vline, vcol + column - 1 + (1 if style in ("'", '"') else 0)


class _ExprLinter:
    def __init__(self, definition: ProcessDefinition, ctx: Ctx) -> None:
        self.definition = definition
        self.ctx = ctx
        self.base = variables_for(definition, steps=False)
        self.case_fields = definition.case.fields
        self._steps: ck.T | None = None

    def steps(self) -> ck.T:
        """The ``steps`` type, built on first use (most expressions never read it)."""
        if self._steps is None:
            self._steps = steps_type(self.definition)
        return self._steps

    def check(self, text: str, path: Path, variables: dict[str, ck.T], expect: ck.T | None) -> None:
        try:
            roots = compile_expr(text).roots
        except ExpressionError:
            roots = frozenset()
        if "steps" not in variables and not roots <= variables.keys():
            variables = {**variables, "steps": self.steps()}
        for issue in check_expr(text, variables, expect):
            line, col = _position(self.ctx, path, issue.line, issue.column)
            self.ctx.out.append(
                Diagnostic(self.ctx.file, line, col, issue.code, issue.message, issue.hint)
            )

    def assignments(
        self, values: Mapping[str, str], path: Path, variables: dict[str, ck.T]
    ) -> None:
        for name, text in values.items():
            spec = self.case_fields.get(name)
            if spec is None:
                self.ctx.unknown(
                    (*path, name),
                    "E313",
                    "case field",
                    name,
                    set(self.case_fields),
                    "add it under case.fields, or fix the name",
                )
                self.check(text, (*path, name), variables, None)
            else:
                self.check(text, (*path, name), variables, field_type(spec))

    def with_vars(self, **extra: ck.T) -> dict[str, ck.T]:
        return {**self.base, **extra}

    def step(self, step: Step, p: StepPath) -> None:
        v = self.base
        if isinstance(step, TaskStep):
            a = step.assign
            for key, want in (("region", STRING), ("person", STRING)):
                text = getattr(a, key)
                if text is not None:
                    self.check(text, (*p, "assign", key), v, want)
            if a.team is not None and not is_ident(a.team):
                self.check(a.team, (*p, "assign", "team"), v, STRING)
            form = _fields_type(step.form, "the task's form")
            self.assignments(step.set, (*p, "set"), self.with_vars(form=form))
        elif isinstance(step, ApprovalStep):
            if step.approvers is not None:
                if step.approvers.region is not None:
                    self.check(step.approvers.region, (*p, "approvers", "region"), v, STRING)
                if step.approvers.people is not None:
                    self.check(
                        step.approvers.people, (*p, "approvers", "people"), v, ck.list_of(ck.DYN)
                    )
            if step.requester is not None:
                self.check(step.requester, (*p, "requester"), v, STRING)
        elif isinstance(step, ActionStep):
            for name, text in step.input.items():
                self.check(text, (*p, "input", name), v, None)
            self.assignments(step.set, (*p, "set"), self.with_vars(result=ck.open_map()))
        elif isinstance(step, DecisionStep):
            for k, w in enumerate(step.when):
                self.check(w.condition, (*p, "when", k, "if"), v, BOOL)
        elif isinstance(step, ParallelStep):
            for j, b in enumerate(step.branches):
                if b.when is not None:
                    self.check(b.when, (*p, "branches", j, "when"), v, BOOL)
        elif isinstance(step, WaitStep):
            if step.until is not None:
                self.check(step.until, (*p, "until"), v, ck.TIMESTAMP)
            spec = self.definition.events.get(step.event or "")
            event = _fields_type(spec.fields, "the event") if spec else ck.open_map()
            self.assignments(step.set, (*p, "set"), self.with_vars(event=event))
        elif isinstance(step, SubprocessStep):
            for name, text in step.input.items():
                self.check(text, (*p, "input", name), v, None)
        elif isinstance(step, SetStep):
            self.assignments(step.values, (*p, "values"), v)
        to = step.to if isinstance(step, NotifyStep) else None
        if to is not None and to.person is not None:
            self.check(to.person, (*p, "to", "person"), v, STRING)


def _fields_type(fields: Mapping[str, FieldSpec], label: str) -> ck.T:
    return ck.record({k: field_type(s) for k, s in fields.items()}, label)


_PLACEHOLDER = re.compile(r"\$\{\s*([a-zA-Z_][a-zA-Z0-9_.\-]*)\s*\}")


def _placeholders(linter: _ExprLinter, definition: ProcessDefinition) -> None:
    """``${case.x}`` / ``${steps.id.form.y}`` in templates must name known fields."""
    for name, template in definition.templates.items():
        for key in ("subject", "body"):
            for match in _PLACEHOLDER.finditer(getattr(template, key)):
                ref = match.group(1)
                scope = linter.base
                if ref.split(".")[0] not in scope:  # steps (built lazily) or a mistake
                    scope = {**scope, "steps": linter.steps()}
                problem = _resolve(ref, scope)
                if problem:
                    linter.ctx.error(
                        ("templates", name, key),
                        "E314",
                        f"template '{name}': ${{{ref}}} {problem[0]}",
                        problem[1],
                    )


def _resolve(path: str, variables: dict[str, ck.T]) -> tuple[str, str] | None:
    """Why ``path`` names nothing (message, hint), or None when it may exist."""
    parts = path.split(".")
    current = variables.get(parts[0])
    if current is None:
        return (f"uses unknown variable '{parts[0]}'", did_you_mean(parts[0], variables))
    for part in parts[1:]:
        if current.name != "map" or current.fields is None:
            return None
        nxt = current.fields.get(part)
        if nxt is None:
            label = current.label or "this map"
            return (f"names unknown field '{part}' of {label}", did_you_mean(part, current.fields))
        current = nxt
    return None


def lint_expressions(
    definition: ProcessDefinition, ctx: Ctx, policies: PolicySet | None = None
) -> None:
    """Check every expression of ``definition`` against its case schema, steps, forms and events.

    Args:
        definition: The definition.
        ctx: Where diagnostics go.
        policies: When given, the ``region`` expressions of the approval rules the
            definition's approval steps use are checked too.
    """
    linter = _ExprLinter(definition, ctx)
    for step, path, _branch in iter_located(definition.steps):
        linter.step(step, path)
        if policies is not None and isinstance(step, ApprovalStep) and step.approvers is None:
            rule = policies.approval_rules.get(step.rule or "")
            if rule is not None and rule.region is not None:
                line, col = ctx.at((*path, "rule"))
                scope = {**linter.base, "steps": linter.steps()}
                for issue in check_expr(rule.region, scope, STRING):
                    ctx.out.append(
                        Diagnostic(
                            ctx.file,
                            line,
                            col,
                            issue.code,
                            f"approval rule '{rule.name}' region: {issue.message}",
                            issue.hint,
                        )
                    )
    _placeholders(linter, definition)
