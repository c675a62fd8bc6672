"""Compile a validated definition and its policies into a self-contained :class:`Plan`.

In the plan:

* ``start`` is set, every step's ``next`` is explicit: the following sibling when
  omitted, ``None`` for ``end`` steps and for the last step of a parallel branch;
* a task with no ``outcomes`` gets the single outcome ``done``, and every
  outcome route's ``next`` is explicit (the step's ``next`` when omitted);
* an approval step's ``on`` always maps ``approved`` and ``rejected`` (to the
  step's ``next`` when omitted; ``changes_requested`` only when written);
* an approval step has its ``rule`` merged in: ``approvers``, ``decide``,
  ``quorum``, ``veto`` and ``four_eyes`` are set (the step's own values win);
* the SLA policy, its ladder, every calendar (with ``region_calendars``) and the
  routing rules the tasks use are embedded.

Compiling is deterministic: the same inputs always give the same hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from casework.errors import DefinitionError, Diagnostic
from casework.language.model import (
    ApprovalStep,
    Approvers,
    EndStep,
    OutcomeRoute,
    ParallelStep,
    ProcessDefinition,
    Step,
    TaskStep,
)
from casework.language.plan import Plan, canonical_json, plan_hash
from casework.language.policies import Calendar
from casework.language.policyset import PolicySet

__all__ = ["PolicySet", "compile_plan", "load_plans"]


def _fail(path: str, code: str, message: str, hint: str) -> DefinitionError:
    return DefinitionError([Diagnostic(path, 0, 0, code, message, hint)])


def _merge_approval(step: ApprovalStep, policies: PolicySet, path: str) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    rule = None
    if step.rule is not None:
        rule = policies.approval_rules.get(step.rule)
        if rule is None:
            raise _fail(
                path,
                "E305",
                f"step '{step.id}': unknown approval rule '{step.rule}'",
                "define it under approval_rules in policies/",
            )
    approvers = step.approvers
    if approvers is None and rule is not None and (rule.role or rule.team or rule.region):
        if rule.role is None and rule.team is None:
            raise _fail(
                path,
                "E305",
                f"approval rule '{rule.name}' names no role or team",
                "give the rule a 'role' or the step 'approvers'",
            )
        approvers = Approvers(role=rule.role, team=rule.team, region=rule.region)
    if approvers is None:
        raise _fail(
            path,
            "E305",
            f"step '{step.id}': an approval needs 'approvers' or a 'rule'",
            "add 'rule: <approval rule name>' or 'approvers: {role: ...}'",
        )
    decide = step.decide or (rule.decide if rule else "all")
    quorum = step.quorum if step.quorum is not None else (rule.quorum if rule else None)
    updates["approvers"] = approvers
    updates["decide"] = decide
    updates["quorum"] = quorum if decide == "quorum" else step.quorum
    updates["veto"] = list(step.veto or (rule.veto if rule else []))
    updates["four_eyes"] = (
        step.four_eyes if step.four_eyes is not None else (rule.four_eyes if rule else True)
    )
    on: dict[str, str | None] = {str(k): v for k, v in step.on.items()}
    on.setdefault("approved", step.next)
    on.setdefault("rejected", step.next)
    updates["on"] = {k: v for k, v in on.items() if v is not None}
    return updates


def _compile_steps(
    steps: Sequence[Step],
    policies: PolicySet,
    path: str,
    *,
    in_branch: bool,
    routing: set[str],
) -> list[Step]:
    out: list[Step] = []
    for i, step in enumerate(steps):
        follower = steps[i + 1].id if i + 1 < len(steps) else None
        # a top-level non-end step with no follower keeps None: lint reports it (E205)
        nxt = None if isinstance(step, EndStep) else (step.next or follower)
        updates: dict[str, Any] = {"next": nxt} if nxt != step.next else {}
        if isinstance(step, TaskStep):
            if not step.outcomes:
                updates["outcomes"] = [OutcomeRoute(outcome="done", next=nxt)]
            elif any(o.next is None for o in step.outcomes):
                updates["outcomes"] = [
                    o if o.next else o.model_copy(update={"next": nxt}) for o in step.outcomes
                ]
            if step.assign.routing is not None:
                routing.add(step.assign.routing)
        elif isinstance(step, ApprovalStep):
            merged = step.model_copy(update={"next": nxt}) if "next" in updates else step
            updates.update(_merge_approval(merged, policies, path))
        elif isinstance(step, ParallelStep):
            updates["branches"] = [
                b.model_copy(
                    update={
                        "steps": _compile_steps(
                            b.steps, policies, path, in_branch=True, routing=routing
                        )
                    }
                )
                for b in step.branches
            ]
        # unchanged steps are shared: models are frozen
        out.append(step.model_copy(update=updates) if updates else step)
    return out


def compile_plan(
    definition: ProcessDefinition, policies: PolicySet, *, path: str = "<definition>"
) -> Plan:
    """Compile ``definition`` against ``policies`` into a sealed plan.

    Args:
        definition: A structurally valid definition (ideally linted: lint locates problems).
        policies: The merged policies it may reference.
        path: File name used in diagnostics.

    Returns:
        The plan, with its content hash.

    Raises:
        DefinitionError: When a referenced policy does not exist.
    """
    routing: set[str] = set()
    steps = _compile_steps(definition.steps, policies, path, in_branch=False, routing=routing)
    compiled = definition.model_copy(
        update={"steps": steps, "start": definition.start or definition.steps[0].id}
    )
    sla = ladder = None
    default_calendar: str | None = None
    region_calendars = policies.region_calendars()
    if definition.sla is not None:
        binding = definition.sla
        sla = policies.sla_policies.get(binding.policy)
        if sla is None:
            raise _fail(
                path,
                "E302",
                f"unknown SLA policy '{binding.policy}'",
                "define it under sla_policies in policies/",
            )
        ladder_name = binding.escalation
        if ladder_name is not None:
            ladder = policies.ladders.get(ladder_name)
            if ladder is None:
                raise _fail(
                    path,
                    "E303",
                    f"unknown escalation ladder '{ladder_name}'",
                    "define it under escalation_ladders in policies/",
                )
        if binding.calendar is not None:
            # a calendar named by the process overrides the regions' calendars
            default_calendar = binding.calendar
            region_calendars = {}
        else:
            default_calendar = sla.calendar
    if default_calendar is None and "default" in policies.calendars:
        default_calendar = "default"
    if default_calendar is not None and default_calendar not in policies.calendars:
        raise _fail(
            path,
            "E306",
            f"unknown calendar '{default_calendar}'",
            "define it under calendars in policies/",
        )
    missing = sorted(r for r in routing if r not in policies.routing_rules)
    if missing:
        raise _fail(
            path,
            "E304",
            f"unknown routing rule '{missing[0]}'",
            "define it under routing_rules in policies/",
        )
    calendars = {k: policies.calendars[k] for k in sorted(policies.calendars)}
    rules = {k: policies.routing_rules[k] for k in sorted(routing)}
    regions = dict(sorted(region_calendars.items()))
    content = {
        "process": definition.process,
        "version": definition.version,
        "definition": compiled.model_dump(mode="json"),
        "sla": sla.model_dump(mode="json") if sla else None,
        "ladder": ladder.model_dump(mode="json") if ladder else None,
        "calendars": _calendars_json(policies, calendars),
        "region_calendars": regions,
        "default_calendar": default_calendar,
        "routing": {k: r.model_dump(mode="json") for k, r in rules.items()},
    }
    # every part is already validated: build the plan without validating it all again
    return Plan.model_construct(
        process=definition.process,
        version=definition.version,
        hash=plan_hash(content),
        definition=compiled,
        sla=sla,
        ladder=ladder,
        calendars=calendars,
        region_calendars=regions,
        default_calendar=default_calendar,
        routing=rules,
    )


_CALENDARS: dict[int, tuple[PolicySet, orjson.Fragment]] = {}


def _calendars_json(policies: PolicySet, calendars: dict[str, Calendar]) -> orjson.Fragment:
    """Canonical JSON of every calendar, memoised per policy set (shared by all its plans)."""
    hit = _CALENDARS.get(id(policies))
    if hit is None or hit[0] is not policies:
        if len(_CALENDARS) > 64:
            _CALENDARS.clear()
        dumped = {k: c.model_dump(mode="json") for k, c in calendars.items()}
        hit = (policies, orjson.Fragment(canonical_json(dumped)))
        _CALENDARS[id(policies)] = hit
    return hit[1]


def load_plans(
    definitions_dir: Path | str,
    policies_dir: Path | str,
    *,
    catalog: set[str] | None = None,
) -> list[Plan]:
    """Load, validate, lint and compile every definition under ``definitions_dir``.

    Args:
        definitions_dir: Directory of definition YAML files.
        policies_dir: Directory of policy YAML files.
        catalog: Known activity names (default: the action catalog).

    Returns:
        One plan per definition file, sorted by (process, version).

    Raises:
        DefinitionError: With every error diagnostic, when any file has an error.
    """
    from casework.language.lint import lint_workspace
    from casework.language.loader import load_workspace

    ws = load_workspace([Path(definitions_dir), Path(policies_dir)])
    diagnostics = ws.diagnostics + lint_workspace(ws, catalog=catalog)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise DefinitionError(errors)
    plans = [compile_plan(d.model, ws.policies, path=d.path) for d in ws.definitions]
    return sorted(plans, key=lambda p: (p.process, p.version))
