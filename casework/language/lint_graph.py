"""Lint of the step graph: duplicate ids, missing targets, branch escapes,
unreachable steps, dead ends and unguarded or inescapable cycles."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from casework.language._lintctx import Ctx
from casework.language._walk import StepPath
from casework.language.model import (
    ActionStep,
    ApprovalStep,
    DecisionStep,
    EndStep,
    ParallelStep,
    ProcessDefinition,
    Step,
    SubprocessStep,
    TaskStep,
    WaitStep,
)

#: Pseudo-target of the last step of a parallel branch (the branch ends there).
BRANCH_END = "<branch end>"


@dataclass(slots=True)
class Node:
    """A step in the graph."""

    step: Step
    path: StepPath
    scope: str | None  # "parallel-id/branch-id", None at top level
    follower: str | None  # the step listed after it in the same list


def _collect(steps: Sequence[Step], path: StepPath, scope: str | None, nodes: list[Node]) -> None:
    for i, step in enumerate(steps):
        here = (*path, i)
        follower = steps[i + 1].id if i + 1 < len(steps) else None
        nodes.append(Node(step, here, scope, follower))
        if isinstance(step, ParallelStep):
            for j, branch in enumerate(step.branches):
                _collect(
                    branch.steps, (*here, "branches", j, "steps"), f"{step.id}/{branch.id}", nodes
                )


def targets(node: Node) -> Iterator[tuple[str | None, StepPath]]:
    """Every place ``node`` can go, with the data path naming it (``None``: falls through)."""
    step, p = node.step, node.path
    nxt = step.next or node.follower
    nxt_path = (*p, "next") if step.next else p
    if step.on_max_visits and step.max_visits:
        yield step.on_max_visits, (*p, "on_max_visits")
    if isinstance(step, EndStep):
        return
    if isinstance(step, DecisionStep):
        for k, w in enumerate(step.when):
            yield w.next, (*p, "when", k, "next")
        yield step.otherwise, (*p, "otherwise")
        return
    if isinstance(step, TaskStep):
        if step.outcomes:
            for k, o in enumerate(step.outcomes):
                yield (o.next, (*p, "outcomes", k, "next")) if o.next else (nxt, nxt_path)
        else:
            yield nxt, nxt_path
        if step.on_timeout:
            yield step.on_timeout, (*p, "on_timeout")
        return
    if isinstance(step, ApprovalStep):
        for decision, target in step.on.items():
            yield target, (*p, "on", decision)
        if "approved" not in step.on or "rejected" not in step.on:
            yield nxt, nxt_path
        return
    yield nxt, nxt_path
    if isinstance(step, WaitStep) and step.on_timeout:
        yield step.on_timeout, (*p, "on_timeout")
    if isinstance(step, ActionStep | SubprocessStep) and step.on_failure:
        yield step.on_failure, (*p, "on_failure")


def lint_graph(definition: ProcessDefinition, ctx: Ctx) -> None:
    """Report graph problems of ``definition`` into ``ctx``."""
    nodes: list[Node] = []
    _collect(definition.steps, ("steps",), None, nodes)
    by_id: dict[str, Node] = {}
    for node in nodes:
        if node.step.id in by_id:
            first = ctx.at(by_id[node.step.id].path)[0]
            ctx.error(
                (*node.path, "id"),
                "E201",
                f"duplicate step id '{node.step.id}' (first at line {first})",
                "step ids must be unique in the whole definition, branches included",
            )
        else:
            by_id[node.step.id] = node
    start = by_id.get(definition.start or "")
    if start is not None and start.scope is not None:
        ctx.error(
            ("start",),
            "E203",
            f"'start' names '{start.step.id}', a step inside branch '{start.scope}'",
            "start at a top-level step",
        )
    if definition.start is not None and definition.start not in by_id:
        ctx.unknown(
            ("start",),
            "E202",
            "start step",
            definition.start,
            set(by_id),
            "name an existing step id",
        )
    edges: dict[str, list[str]] = {}
    for node in nodes:
        if by_id.get(node.step.id) is not node:
            continue
        if node.step.on_max_visits and not node.step.max_visits:
            ctx.warning(
                (*node.path, "on_max_visits"),
                "W208",
                f"step '{node.step.id}' has 'on_max_visits' but no 'max_visits': it never applies",
                "add 'max_visits: N'",
            )
        out: list[str] = []
        for target, path in targets(node):
            if target is None:
                if node.scope is not None:
                    out.append(BRANCH_END)
                elif not isinstance(node.step, EndStep):
                    ctx.error(
                        path,
                        "E205",
                        f"step '{node.step.id}' is the last step but not an 'end': "
                        "the case would stop without an outcome",
                        "add 'next:' to a step, or finish with a step of kind 'end'",
                    )
                continue
            dest = by_id.get(target)
            if dest is None:
                ctx.unknown(
                    path, "E202", "target step", target, set(by_id), "name an existing step id"
                )
                continue
            if dest.scope != node.scope:
                where = f"branch '{node.scope}'" if node.scope else "the top level"
                there = f"branch '{dest.scope}'" if dest.scope else "the top level"
                ctx.error(
                    path,
                    "E203",
                    f"step '{node.step.id}' in {where} jumps to '{target}' in {there}",
                    "a branch step may only go to steps of its own branch; "
                    "the branch ends after its last step",
                )
                continue
            out.append(target)
        edges[node.step.id] = out
    _reachability(definition, nodes, by_id, edges, ctx)
    _cycles(nodes, by_id, edges, ctx)


def _reachability(
    definition: ProcessDefinition,
    nodes: list[Node],
    by_id: dict[str, Node],
    edges: dict[str, list[str]],
    ctx: Ctx,
) -> None:
    start = definition.start or definition.steps[0].id
    seen: set[str] = set()
    todo = [start] if start in by_id else []
    while todo:
        sid = todo.pop()
        if sid in seen or sid not in by_id:
            continue
        seen.add(sid)
        todo.extend(t for t in edges.get(sid, []) if t != BRANCH_END)
        step = by_id[sid].step
        if isinstance(step, ParallelStep):
            todo.extend(b.steps[0].id for b in step.branches)
    for node in nodes:
        if node.step.id not in seen and by_id.get(node.step.id) is node:
            ctx.warning(
                (*node.path, "id"),
                "W204",
                f"step '{node.step.id}' can never be reached",
                "point a 'next' (or an outcome, or 'otherwise') at it, or remove it",
            )


def _sccs(ids: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan), in discovery order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in ids:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            succ = [w for w in edges.get(v, []) if w in edges]
            if i < len(succ):
                work.append((v, i + 1))
                w = succ[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp[::-1])
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


def _cycles(
    nodes: list[Node], by_id: dict[str, Node], edges: dict[str, list[str]], ctx: Ctx
) -> None:
    ids = [n.step.id for n in nodes if by_id.get(n.step.id) is n]
    for comp in _sccs(ids, edges):
        members = set(comp)
        if len(comp) == 1 and comp[0] not in edges.get(comp[0], []):
            continue
        order = sorted(comp, key=lambda s: ids.index(s))
        first = by_id[order[0]]
        loop = " -> ".join([*order, order[0]])
        exits = any(t not in members for s in comp for t in edges.get(s, []))
        if not exits:
            ctx.error(
                (*first.path, "id"),
                "E206",
                f"the loop {loop} has no way out: the case can never finish",
                "give one step of the loop an outcome or condition that leads out of it",
            )
        elif not any(by_id[s].step.max_visits for s in comp):
            ctx.error(
                (*first.path, "id"),
                "E207",
                f"the loop {loop} has no 'max_visits' guard",
                f"add 'max_visits: 3' (and 'on_max_visits:') to step '{order[0]}'",
            )
