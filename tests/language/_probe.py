"""Make one mistake in a copy of the shipped files and lint the copy."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from casework.errors import Diagnostic
from casework.language.lint import all_diagnostics
from casework.language.loader import load_workspace
from tests.language._util import SHIPPED_DEFINITIONS, SHIPPED_POLICIES

MAIN = "complaint-handling.yaml"
PROBE_MARK = "lint_probe"


@dataclass
class Probe:
    """A copied workspace with one edited file."""

    root: Path
    file: Path
    text: str

    def line(self, needle: str, after: int = 0) -> int:
        """1-based line of the first ``needle`` after line ``after``."""
        for no, text in enumerate(self.text.splitlines(), 1):
            if no > after and needle in text:
                return no
        raise AssertionError(f"{needle!r} not in the edited file")

    def diagnostics(self) -> list[Diagnostic]:
        """Every loading and lint diagnostic of the copied workspace."""
        ws = load_workspace([self.root / "definitions", self.root / "policies"])
        return all_diagnostics(ws)

    def codes_at(self, code: str) -> list[int]:
        """Lines of the diagnostics with ``code`` in the edited file."""
        return [d.line for d in self.diagnostics() if d.code == code and d.path == str(self.file)]


def copy_shipped(tmp: Path) -> Path:
    """Copy definitions/ and policies/ into ``tmp``; return ``tmp``."""
    shutil.copytree(SHIPPED_DEFINITIONS, tmp / "definitions")
    shutil.copytree(SHIPPED_POLICIES, tmp / "policies")
    return tmp


def first_step_id(text: str) -> str:
    """The id of the first top-level step."""
    m = re.search(r"^steps:\n(?:\s*#.*\n)*  - id: ([\w-]+)", text, re.M)
    assert m, "no top-level steps list"
    return m.group(1)


def edit(
    tmp: Path,
    file: str = MAIN,
    *,
    before_steps: str = "",
    append: str = "",
    replace: tuple[str, str] | None = None,
    sub: str = "definitions",
) -> Probe:
    """Copy the shipped files and change ``file``.

    Args:
        before_steps: YAML list items (2-space indented) inserted as the first steps;
            ``{first}`` is replaced with the original first step id.
        append: Text appended at the end of the file.
        replace: (old, new), ``old`` must occur in the file.
        sub: ``definitions`` or ``policies``.
    """
    root = copy_shipped(tmp)
    path = root / sub / file
    text = path.read_text()
    if before_steps:
        first = first_step_id(text)
        text = re.sub(
            r"^steps:\n",
            "steps:\n" + before_steps.replace("{first}", first),
            text,
            count=1,
            flags=re.M,
        )
    if replace is not None:
        old, new = replace
        assert old in text, f"{old!r} not in {file}: update the test"
        text = text.replace(old, new, 1)
    if append:
        text = text.rstrip("\n") + "\n" + append
    path.write_text(text)
    return Probe(root, path, text)
