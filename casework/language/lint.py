"""Lint: every cross-reference, graph and expression problem of a workspace, located.

:func:`lint_workspace` runs every check over every file and returns all
diagnostics at once (loading problems are in ``Workspace.diagnostics``). Codes
are documented in ``docs/language.md``:

* ``E2xx`` the step graph (:mod:`casework.language.lint_graph`);
* ``E3xx`` references to roles, policies, activities, processes, templates, events,
  outcomes, reasons and case fields;
* ``E4xx`` expressions (:mod:`casework.language.lint_expr`);
* ``E5xx`` forms, parallel writes, approvals and SLA coverage.
"""

from __future__ import annotations

from collections.abc import Iterable

from casework.errors import Diagnostic
from casework.language._errors import did_you_mean
from casework.language._lintctx import Ctx
from casework.language._walk import StepPath, iter_located, iter_steps
from casework.language.lint_expr import lint_expressions
from casework.language.lint_graph import lint_graph
from casework.language.loader import LoadedDefinition, Workspace
from casework.language.model import (
    ActionStep,
    ApprovalStep,
    EndStep,
    EscalateStep,
    NotifyStep,
    ParallelStep,
    ProcessDefinition,
    SetStep,
    Step,
    SubprocessStep,
    TaskStep,
    WaitStep,
)
from casework.language.policies import PRIORITIES, PolicyFile
from casework.language.policyset import PolicySet

#: Used when ``activities.actions`` cannot be imported.
FALLBACK_CATALOG: frozenset[str] = frozenset(
    {
        "billing.issue_refund",
        "crm.update_customer",
        "policies.publish_change",
        "training.enroll",
        "surveys.record",
    }
)


def default_catalog() -> set[str]:
    """Names of the action catalog (``activities.actions.CATALOG``), else the fallback list."""
    try:
        from activities.actions import CATALOG
    except Exception:  # the catalog is optional for linting: any import problem means fallback
        return set(FALLBACK_CATALOG)
    return set(CATALOG)


class _Refs:
    """Reference checks of one definition against the policies and the other definitions."""

    def __init__(
        self,
        d: ProcessDefinition,
        policies: PolicySet,
        processes: dict[str, set[int]],
        catalog: set[str],
        ctx: Ctx,
    ) -> None:
        self.d = d
        self.policies = policies
        self.processes = processes
        self.catalog = catalog
        self.ctx = ctx
        self.roles = set(d.roles) | policies.known_roles()
        self.reasons = {r for o in d.outcomes.values() for r in o.reasons}
        self.tasks = {s.id for s in iter_steps(d.steps) if isinstance(s, TaskStep | ApprovalStep)}

    def role(self, name: str | None, path: StepPath) -> None:
        if name is not None and name not in self.roles:
            self.ctx.unknown(
                path,
                "E301",
                "role",
                name,
                self.roles,
                "add it to the definition's 'roles:' or to the directory's roles",
            )

    def reason(self, outcome: str | None, reason: str, path: StepPath) -> None:
        spec = self.d.outcomes.get(outcome or "")
        allowed = set(spec.reasons) if spec is not None else self.reasons
        if reason not in allowed:
            where = f"outcome '{outcome}'" if spec is not None else "the definition's outcomes"
            hint = did_you_mean(reason, allowed) or "add it to 'reasons:' under 'outcomes:'"
            self.ctx.error(path, "E312", f"reason '{reason}' is not a reason of {where}", hint)

    def header(self) -> None:
        d, p = self.d, self.policies
        if d.sla is not None:
            sla = p.sla_policies.get(d.sla.policy)
            if sla is None:
                self.ctx.unknown(
                    ("sla", "policy"),
                    "E302",
                    "SLA policy",
                    d.sla.policy,
                    set(p.sla_policies),
                    "define it under sla_policies in policies/",
                )
            if d.sla.escalation is not None and d.sla.escalation not in p.ladders:
                self.ctx.unknown(
                    ("sla", "escalation"),
                    "E303",
                    "escalation ladder",
                    d.sla.escalation,
                    set(p.ladders),
                    "define it under escalation_ladders in policies/",
                )
            if d.sla.calendar is not None and d.sla.calendar not in p.calendars:
                self.ctx.unknown(
                    ("sla", "calendar"),
                    "E306",
                    "calendar",
                    d.sla.calendar,
                    set(p.calendars),
                    "define it under calendars in policies/",
                )
            priority = d.case.fields.get("priority")
            if sla is not None and priority is not None and priority.values:
                for value in priority.values:
                    if value not in sla.targets:
                        self.ctx.error(
                            ("case", "fields", "priority"),
                            "E504",
                            f"SLA policy '{sla.name}' has no target for priority '{value}'",
                            f"add '{value}:' under its targets "
                            f"(priorities are {', '.join(PRIORITIES)})",
                        )

    def step(self, step: Step, p: StepPath) -> None:
        if isinstance(step, TaskStep):
            self.role(step.assign.role, (*p, "assign", "role"))
            routing = step.assign.routing
            if routing is not None and routing not in self.policies.routing_rules:
                self.ctx.unknown(
                    (*p, "assign", "routing"),
                    "E304",
                    "routing rule",
                    routing,
                    set(self.policies.routing_rules),
                    "define it under routing_rules in policies/",
                )
            for k, o in enumerate(step.outcomes):
                for r, reason in enumerate(o.reasons):
                    self.reason(o.outcome, reason, (*p, "outcomes", k, "reasons", r))
        elif isinstance(step, ApprovalStep):
            self.approval(step, p)
        elif isinstance(step, ActionStep):
            if self.catalog and step.activity not in self.catalog:
                self.ctx.unknown(
                    (*p, "activity"),
                    "E307",
                    "activity",
                    step.activity,
                    self.catalog,
                    f"use one of the action catalog: {', '.join(sorted(self.catalog))}",
                )
        elif isinstance(step, SubprocessStep):
            versions = self.processes.get(step.process)
            if versions is None:
                self.ctx.unknown(
                    (*p, "process"),
                    "E308",
                    "process",
                    step.process,
                    set(self.processes),
                    "add its definition under definitions/",
                )
            elif step.version is not None and step.version not in versions:
                self.ctx.error(
                    (*p, "version"),
                    "E308",
                    f"process '{step.process}' has no version {step.version}",
                    f"versions available: {', '.join(map(str, sorted(versions)))}",
                )
        elif isinstance(step, NotifyStep):
            if step.template not in self.d.templates:
                self.ctx.unknown(
                    (*p, "template"),
                    "E309",
                    "template",
                    step.template,
                    set(self.d.templates),
                    "define it under 'templates:' in the definition",
                )
            self.role(step.to.role, (*p, "to", "role"))
            target = step.to.assignee_of
            if target is not None and target not in self.tasks:
                self.ctx.unknown(
                    (*p, "to", "assignee_of"),
                    "E202",
                    "task step",
                    target,
                    self.tasks,
                    "name a task or approval step of this definition",
                )
        elif isinstance(step, WaitStep):
            if step.event is not None and step.event not in self.d.events:
                self.ctx.unknown(
                    (*p, "event"),
                    "E310",
                    "event",
                    step.event,
                    set(self.d.events),
                    "declare it under 'events:' in the definition",
                )
        elif isinstance(step, EscalateStep):
            ladder = step.ladder or (self.d.sla.escalation if self.d.sla else None)
            if ladder is None:
                self.ctx.error(
                    (*p, "kind"),
                    "E303",
                    f"step '{step.id}' escalates but there is no ladder",
                    "set 'ladder:' on the step or 'sla.escalation' on the definition",
                )
            elif ladder not in self.policies.ladders:
                self.ctx.unknown(
                    (*p, "ladder"),
                    "E303",
                    "escalation ladder",
                    ladder,
                    set(self.policies.ladders),
                    "define it under escalation_ladders in policies/",
                )
        elif isinstance(step, EndStep):
            if step.outcome is not None and step.outcome not in self.d.outcomes:
                self.ctx.unknown(
                    (*p, "outcome"),
                    "E311",
                    "outcome",
                    step.outcome,
                    set(self.d.outcomes),
                    "declare it under 'outcomes:' in the definition",
                )
            elif step.reason is not None:
                self.reason(step.outcome, step.reason, (*p, "reason"))

    def approval(self, step: ApprovalStep, p: StepPath) -> None:
        rule = None
        if step.rule is not None:
            rule = self.policies.approval_rules.get(step.rule)
            if rule is None:
                self.ctx.unknown(
                    (*p, "rule"),
                    "E305",
                    "approval rule",
                    step.rule,
                    set(self.policies.approval_rules),
                    "define it under approval_rules in policies/",
                )
                return
        if step.approvers is None and (rule is None or (rule.role is None and rule.team is None)):
            self.ctx.error(
                (*p, "kind"),
                "E305",
                f"approval '{step.id}' has no approvers",
                "add 'rule: <approval rule>' or 'approvers: {role: ...}'",
            )
            return
        role = step.approvers.role if step.approvers else (rule.role if rule else None)
        team = step.approvers.team if step.approvers else (rule.team if rule else None)
        self.role(role, (*p, "approvers", "role") if step.approvers else (*p, "rule"))
        for k, v in enumerate(step.veto):
            self.role(v, (*p, "veto", k))
        decide = step.decide or (rule.decide if rule else "all")
        quorum = step.quorum if step.quorum is not None else (rule.quorum if rule else None)
        if decide == "quorum" and quorum is None:
            self.ctx.error(
                (*p, "decide"),
                "E503",
                f"approval '{step.id}' decides by quorum but has no 'quorum'",
                "add 'quorum: N'",
            )
        people = self.policies.directory.people
        if decide == "quorum" and quorum is not None and people and role is not None:
            eligible = [x for x in people if role in x.roles and (team is None or x.team == team)]
            where = (*p, "quorum") if step.quorum is not None else (*p, "rule")
            if quorum > len(eligible):
                self.ctx.error(
                    where,
                    "E503",
                    f"approval '{step.id}' needs {quorum} approvals but only {len(eligible)} "
                    f"{'person has' if len(eligible) == 1 else 'people have'} role '{role}'",
                    "lower the quorum or add approvers to the directory",
                )
                return
            by_region = step.approvers.region if step.approvers else (rule.region if rule else None)
            if by_region is not None:
                short = [
                    r
                    for r in self.policies.directory.regions
                    if sum(x.region == r for x in eligible) < quorum
                ]
                if short:
                    self.ctx.warning(
                        where,
                        "W505",
                        f"approval '{step.id}' needs {quorum} approvals of role '{role}' in the "
                        f"case's region, but region {', '.join(short)} has fewer",
                        "add approvers there, or lower the quorum",
                    )


def _writes(steps: list[Step]) -> dict[str, StepPath]:
    """Case fields a list of steps assigns (nested parallels included) -> first data path."""
    out: dict[str, StepPath] = {}
    for step, path, _ in iter_located(steps, ()):
        values = step.values if isinstance(step, SetStep) else step.__dict__.get("set", {})
        key = "values" if isinstance(step, SetStep) else "set"
        for name in values:
            out.setdefault(name, (*path, key, name))
    return out


def _parallel_writes(d: ProcessDefinition, ctx: Ctx) -> None:
    for step, p, _ in iter_located(d.steps):
        if not isinstance(step, ParallelStep):
            continue
        owner: dict[str, str] = {}
        for j, b in enumerate(step.branches):
            for name, rel in _writes(b.steps).items():
                if name in owner and owner[name] != b.id:
                    ctx.error(
                        (*p, "branches", j, "steps", *rel),
                        "E502",
                        f"branches '{owner[name]}' and '{b.id}' of '{step.id}' "
                        f"both set case field '{name}'",
                        "let one branch set it, or set it after the parallel step",
                    )
                owner.setdefault(name, b.id)


def lint_definition(
    loaded: LoadedDefinition,
    policies: PolicySet,
    *,
    processes: dict[str, set[int]] | None = None,
    catalog: set[str] | None = None,
) -> list[Diagnostic]:
    """Every lint diagnostic of one loaded definition.

    Args:
        loaded: The definition with its locations.
        policies: The policies it may reference.
        processes: Known process names -> versions (subprocess targets); default: itself only.
        catalog: Known activity names; default: the action catalog.
    """
    d = loaded.model
    ctx = Ctx(loaded.path, loaded.locations)
    refs = _Refs(
        d,
        policies,
        processes if processes is not None else {d.process: {d.version}},
        catalog if catalog is not None else default_catalog(),
        ctx,
    )
    refs.header()
    for step, path, _ in iter_located(d.steps):
        refs.step(step, path)
    lint_graph(d, ctx)
    lint_expressions(d, ctx, policies)
    _parallel_writes(d, ctx)
    return sorted(ctx.out, key=lambda x: (x.line, x.column, x.code))


def lint_policies(
    model: PolicyFile, ws: Workspace, ctx: Ctx, known_processes: Iterable[str] = ()
) -> None:
    """Cross-references inside one policy file: roles, calendars, processes."""
    p = ws.policies
    roles = p.known_roles() | {r for d in ws.definitions for r in d.model.roles}
    processes = set(known_processes or ()) | {d.model.process for d in ws.definitions}

    def role(name: str | None, at: StepPath) -> None:
        if name is not None and roles and name not in roles:
            ctx.unknown(at, "E301", "role", name, roles, "add it to the directory's roles")

    for i, sla in enumerate(model.sla_policies):
        if sla.calendar is not None and sla.calendar not in p.calendars:
            ctx.unknown(
                ("sla_policies", i, "calendar"),
                "E306",
                "calendar",
                sla.calendar,
                set(p.calendars),
                "define it under calendars",
            )
    for i, ladder in enumerate(model.escalation_ladders):
        for j, level in enumerate(ladder.levels):
            for k, action in enumerate(level.actions):
                here = ("escalation_ladders", i, "levels", j, "actions", k)
                role(action.notify, (*here, "notify"))
                if action.reassign is not None:
                    role(action.reassign.role, (*here, "reassign", "role"))
                if action.start_process is not None and action.start_process not in processes:
                    ctx.unknown(
                        (*here, "start_process"),
                        "E308",
                        "process",
                        action.start_process,
                        processes,
                        "add its definition under definitions/",
                    )
    for i, rule in enumerate(model.routing_rules):
        role(rule.role, ("routing_rules", i, "role"))
    for i, ar in enumerate(model.approval_rules):
        role(ar.role, ("approval_rules", i, "role"))
        for k, v in enumerate(ar.veto):
            role(v, ("approval_rules", i, "veto", k))


def lint_workspace(
    ws: Workspace,
    *,
    catalog: set[str] | None = None,
    known_processes: dict[str, set[int]] | None = None,
) -> list[Diagnostic]:
    """Every lint diagnostic of every definition and policy file of ``ws``.

    Args:
        ws: The loaded workspace.
        catalog: Known activity names; default: the action catalog.
        known_processes: Processes (name -> versions) defined outside ``ws`` that
            subprocess steps and ladders may start.
    """
    names = catalog if catalog is not None else default_catalog()
    processes: dict[str, set[int]] = {k: set(v) for k, v in (known_processes or {}).items()}
    for d in ws.definitions:
        processes.setdefault(d.model.process, set()).add(d.model.version)
    out: list[Diagnostic] = []
    for f in ws.files:
        if isinstance(f.model, PolicyFile):
            ctx = Ctx(f.path, f.locations)
            lint_policies(f.model, ws, ctx, processes)
            out.extend(ctx.out)
    for d in ws.definitions:
        out.extend(lint_definition(d, ws.policies, processes=processes, catalog=names))
    return out


def all_diagnostics(
    ws: Workspace,
    *,
    catalog: set[str] | None = None,
    known_processes: dict[str, set[int]] | None = None,
) -> list[Diagnostic]:
    """Loading and lint diagnostics of ``ws``, sorted by file and position."""
    found = lint_workspace(ws, catalog=catalog, known_processes=known_processes)
    return sort_diagnostics([*ws.diagnostics, *found])


def sort_diagnostics(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by file, line, column, code."""
    return sorted(items, key=lambda x: (x.path, x.line, x.column, x.code))
