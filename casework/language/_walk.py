"""Walking the steps of a definition, into parallel branches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from casework.language.model import ParallelStep, Step

#: Data path of a step, e.g. ``("steps", 4, "branches", 0, "steps", 1)``.
StepPath = tuple[str | int, ...]


def iter_steps(steps: Sequence[Step]) -> Iterator[Step]:
    """Every step, depth first, including the steps of parallel branches."""
    for step in steps:
        yield step
        if isinstance(step, ParallelStep):
            for branch in step.branches:
                yield from iter_steps(branch.steps)


def iter_located(
    steps: Sequence[Step], path: StepPath = ("steps",), branch: str | None = None
) -> Iterator[tuple[Step, StepPath, str | None]]:
    """Every step with its data path and the id of the parallel branch holding it."""
    for i, step in enumerate(steps):
        here = (*path, i)
        yield step, here, branch
        if isinstance(step, ParallelStep):
            for j, b in enumerate(step.branches):
                yield from iter_located(
                    b.steps, (*here, "branches", j, "steps"), f"{step.id}/{b.id}"
                )
