"""Mermaid ``flowchart TD`` of a compiled plan.

Shapes: tasks are rectangles, approvals hexagons, decisions rhombi, actions and
subprocesses subroutines, waits parallelograms, notifications flags, ``set``
and escalations rounded boxes, ends stadiums; a parallel step is a subgraph
with one nested subgraph per branch between a fork and a join node. Node ids
are sanitised (``n_<id>``) and every label is quoted and escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from casework.language.model import (
    ActionStep,
    ApprovalStep,
    DecisionStep,
    EndStep,
    ParallelStep,
    Step,
    SubprocessStep,
    TaskStep,
    WaitStep,
)
from casework.language.plan import Plan

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_SHAPES: dict[str, tuple[str, str]] = {
    "task": ("[", "]"),
    "approval": ("{{", "}}"),
    "decision": ("{", "}"),
    "action": ("[[", "]]"),
    "subprocess": ("[[", "]]"),
    "wait": ("[/", "/]"),
    "notify": (">", "]"),
    "escalate": ("(", ")"),
    "set": ("(", ")"),
    "end": ("([", "])"),
}


def node_id(step_id: str) -> str:
    """A Mermaid-safe node id for a step id (``close-upheld`` -> ``n_close_upheld``)."""
    return "n_" + _UNSAFE.sub("_", step_id)


def label(text: str, limit: int = 60) -> str:
    """Quote ``text`` for Mermaid: escape quotes and markup, collapse whitespace, truncate."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    escaped = (
        flat.replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("|", "#124;")
    )
    return f'"{escaped}"'


class _Diagram:
    def __init__(self) -> None:
        self.lines: list[str] = ["flowchart TD"]
        self.ids: dict[str, str] = {}

    def nid(self, step_id: str) -> str:
        if step_id not in self.ids:
            base = node_id(step_id)
            candidate, n = base, 2
            while candidate in self.ids.values():
                candidate, n = f"{base}_{n}", n + 1
            self.ids[step_id] = candidate
        return self.ids[step_id]

    def edge(self, src: str, dst: str, text: str | None = None, indent: str = "  ") -> None:
        arrow = f"-->|{label(text, 40)}|" if text else "-->"
        self.lines.append(f"{indent}{src} {arrow} {dst}")

    def nodes(self, steps: Sequence[Step], indent: str) -> None:
        for step in steps:
            if isinstance(step, ParallelStep):
                self.parallel(step, indent)
                continue
            open_, close = _SHAPES.get(step.kind, ("[", "]"))
            title = step.name or step.id
            if isinstance(step, TaskStep) and step.assign.role:
                title = f"{title} ({step.assign.role})"
            if isinstance(step, EndStep):
                title = f"{title}: {step.outcome or step.status}"
            self.lines.append(f"{indent}{self.nid(step.id)}{open_}{label(title)}{close}")

    def parallel(self, step: ParallelStep, indent: str) -> None:
        pid = self.nid(step.id)
        join = f"{step.join} {step.n}" if step.join == "n" else step.join
        title = step.name or step.id
        self.lines.append(f"{indent}{pid}[/{label('fork: ' + title)}\\]")
        self.lines.append(f"{indent}subgraph {pid}__par [{label(f'{title} (join {join})')}]")
        for branch in step.branches:
            bid = f"{pid}__{_UNSAFE.sub('_', branch.id)}"
            self.lines.append(f"{indent}  subgraph {bid} [{label(branch.name or branch.id)}]")
            self.nodes(branch.steps, indent + "    ")
            self.lines.append(f"{indent}  end")
        self.lines.append(f"{indent}end")
        self.lines.append(f"{indent}{pid}__join(({label('join')}))")

    def edges(self, steps: Sequence[Step], join: str | None) -> None:
        for step in steps:
            src = self.nid(step.id)
            for target, text in _targets(step):
                if target is None:
                    if join is not None:
                        self.edge(src, join, text)
                    continue
                self.edge(src, self.nid(target), text)
            if isinstance(step, ParallelStep):
                for branch in step.branches:
                    when = f"if {branch.when}" if branch.when else None
                    self.edge(src, self.nid(branch.steps[0].id), when)
                    self.edges(branch.steps, f"{src}__join")
                if step.next:
                    self.edge(f"{src}__join", self.nid(step.next))


def _targets(step: Step) -> list[tuple[str | None, str | None]]:
    """(target, edge label) of a compiled step; ``None`` target: end of its branch."""
    out: list[tuple[str | None, str | None]] = []
    if step.on_max_visits:
        out.append((step.on_max_visits, "max visits"))
    if isinstance(step, EndStep | ParallelStep):
        return out
    if isinstance(step, DecisionStep):
        out.extend((w.next, w.condition) for w in step.when)
        out.append((step.otherwise, "otherwise"))
    elif isinstance(step, TaskStep):
        routes = step.outcomes
        labelled = len(routes) > 1 or (len(routes) == 1 and routes[0].outcome != "done")
        out.extend((o.next or step.next, o.outcome if labelled else None) for o in routes)
        if not routes:
            out.append((step.next, None))
        if step.on_timeout:
            out.append((step.on_timeout, "timeout"))
    elif isinstance(step, ApprovalStep):
        out.extend((t, d) for d, t in step.on.items())
        if not step.on:
            out.append((step.next, None))
    else:
        out.append((step.next, None))
        if isinstance(step, WaitStep) and step.on_timeout:
            out.append((step.on_timeout, "timeout"))
        if isinstance(step, ActionStep | SubprocessStep) and step.on_failure:
            out.append((step.on_failure, "failure"))
    seen: set[tuple[str | None, str | None]] = set()
    return [x for x in out if not (x in seen or seen.add(x))]  # type: ignore[func-returns-value]


def to_mermaid(plan: Plan) -> str:
    """Return the Mermaid flowchart of ``plan`` (text, ending with a newline)."""
    d = _Diagram()
    steps = plan.definition.steps
    d.lines.append(f"  start(({label('start')}))")
    d.nodes(steps, "  ")
    d.edge("start", d.nid(plan.definition.start or steps[0].id))
    d.edges(steps, None)
    return "\n".join(d.lines) + "\n"
