"""Errors raised by casework.

The hierarchy::

    CaseworkError
    ├── ConfigError                  settings or environment are unusable
    ├── DefinitionError              one or more located problems in YAML files
    ├── NotFoundError                a case, task, person, process or report is unknown
    ├── PermissionDeniedError        the acting person may not do this
    ├── TaskActionRejected           a workflow Update validator refused the action
    ├── RecordsError                 the records database failed or is out of date
    └── EngineUnavailableError       Temporal cannot be reached

Every error carries its context as attributes and renders as one plain line,
so the CLI can print ``str(err)`` and exit non-zero without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CaseworkError(Exception):
    """Base class of every error casework raises on purpose.

    Attributes:
        hint: What the user can do about it, or an empty string.
        exit_code: The process exit status the CLI uses for this error.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class ConfigError(CaseworkError):
    """A setting or the environment is unusable (bad URL, missing binary...)."""

    exit_code = 78


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One located problem in a definition or policy file.

    Attributes:
        path: File the problem is in.
        line: 1-based line number (0 when unknown).
        column: 1-based column number (0 when unknown).
        code: Stable error code, e.g. ``E101``.
        message: What is wrong.
        hint: How to fix it (may be empty).
        severity: ``error`` or ``warning``.
    """

    path: str
    line: int
    column: int
    code: str
    message: str
    hint: str = ""
    severity: str = "error"

    def render(self) -> str:
        """Return ``path:line:col: severity[CODE]: message`` plus an indented hint line."""
        head = (
            f"{self.path}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"
        )
        return f"{head}\n    hint: {self.hint}" if self.hint else head


class DefinitionError(CaseworkError):
    """Definitions or policies have located problems.

    Attributes:
        diagnostics: Every problem found, in file order.
    """

    exit_code = 2

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        first = errors[0].render().splitlines()[0] if errors else "no errors"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}")

    def render(self) -> str:
        """Return every diagnostic, one block each."""
        return "\n".join(d.render() for d in self.diagnostics)


class NotFoundError(CaseworkError):
    """Something named by the user does not exist.

    Attributes:
        kind: What was looked up (``case``, ``task``, ``person``...).
        key: The identifier that was not found.
    """

    exit_code = 4

    def __init__(self, kind: str, key: str, *, hint: str = "") -> None:
        super().__init__(f"{kind} {key!r} not found", hint=hint)
        self.kind = kind
        self.key = key


class PermissionDeniedError(CaseworkError):
    """The acting person is not allowed to do this.

    Attributes:
        actor: The person id, or empty when nobody is authenticated.
    """

    exit_code = 3

    def __init__(self, message: str, *, actor: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.actor = actor


class TaskActionRejected(CaseworkError):  # noqa: N818 - it reads as what happened
    """A task or case action was refused by the workflow's Update validator.

    Attributes:
        reason: The validator's reason, meant for the acting person.
        code: Machine-readable reason code (``not_eligible``, ``task_closed``...).
    """

    exit_code = 5

    def __init__(self, reason: str, *, code: str = "rejected") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RecordsError(CaseworkError):
    """The records database failed, or its schema is not at the latest revision."""

    exit_code = 6


class EngineUnavailableError(CaseworkError):
    """Temporal could not be reached at the configured address."""

    exit_code = 7
