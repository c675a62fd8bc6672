"""Shared state of one lint run over one file."""

from __future__ import annotations

from dataclasses import dataclass, field

from casework.errors import Diagnostic
from casework.language._errors import did_you_mean
from casework.language.yamlsafe import Locations, Path


@dataclass(slots=True)
class Ctx:
    """Collects the diagnostics of one file, located through its :class:`Locations`."""

    file: str
    locations: Locations
    out: list[Diagnostic] = field(default_factory=list)

    def at(self, path: Path) -> tuple[int, int]:
        """Line and column of ``path`` (or its nearest located parent)."""
        return self.locations.find(path)

    def error(self, path: Path, code: str, message: str, hint: str = "") -> None:
        """Add an error located at ``path``."""
        line, col = self.at(path)
        self.out.append(Diagnostic(self.file, line, col, code, message, hint))

    def warning(self, path: Path, code: str, message: str, hint: str = "") -> None:
        """Add a warning located at ``path``."""
        line, col = self.at(path)
        self.out.append(Diagnostic(self.file, line, col, code, message, hint, "warning"))

    def unknown(
        self,
        path: Path,
        code: str,
        what: str,
        name: str,
        known: set[str] | list[str],
        fix: str,
    ) -> None:
        """Report an unknown reference with a did-you-mean hint."""
        hint = did_you_mean(name, known) or fix
        self.error(path, code, f"unknown {what} '{name}'", hint)
