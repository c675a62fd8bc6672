"""Helpers shared by the language tests."""

from __future__ import annotations

from pathlib import Path

from casework.language.loader import LoadedDefinition, Workspace, load_workspace
from casework.settings import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_DEFINITIONS = FIXTURES / "definitions"
FIXTURE_POLICIES = FIXTURES / "policies"
SHIPPED_DEFINITIONS = PROJECT_ROOT / "definitions"
SHIPPED_POLICIES = PROJECT_ROOT / "policies"


def fixture_workspace() -> Workspace:
    """The small fixture definitions and policies, loaded."""
    return load_workspace([FIXTURE_DEFINITIONS, FIXTURE_POLICIES])


def definition(ws: Workspace, process: str) -> LoadedDefinition:
    """The loaded definition of ``process`` in ``ws``."""
    return next(d for d in ws.definitions if d.model.process == process)


def line_of(path: Path, needle: str, start: int = 1) -> int:
    """1-based number of the first line at or after ``start`` containing ``needle``."""
    for no, text in enumerate(path.read_text().splitlines(), 1):
        if no >= start and needle in text:
            return no
    raise AssertionError(f"{needle!r} not in {path}")
