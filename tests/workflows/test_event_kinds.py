"""Every event kind the interpreter emits is listed in ``casework.contracts.EVENT_KINDS``."""

from __future__ import annotations

import re
from pathlib import Path

from casework.contracts import EVENT_KINDS

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def test_emitted_kinds_are_documented() -> None:
    emitted = {
        kind
        for path in WORKFLOWS.glob("*.py")
        for kind in re.findall(r'\.emit\(\s*"([a-z_]+)"', path.read_text())
    }
    assert len(emitted) > 20
    assert emitted <= set(EVENT_KINDS), sorted(emitted - set(EVENT_KINDS))
