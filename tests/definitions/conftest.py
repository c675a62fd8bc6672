"""The shipped definitions and policies, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.language.loader import Workspace, load_workspace

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "definitions"
POLICIES = ROOT / "policies"


@pytest.fixture(scope="session")
def shipped() -> Workspace:
    """The workspace of ``definitions/`` and ``policies/``."""
    return load_workspace([DEFINITIONS, POLICIES])
