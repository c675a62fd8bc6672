"""Activities: all I/O of a case, each idempotent by its key.

``ALL_ACTIVITIES`` is what a worker registers: the projection
(``records.project``, when the records layer provides it), the outbox, the
directory and the action catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def all_activities() -> list[Callable[..., Any]]:
    """Return every activity a casework worker runs."""
    from activities import actions, directory, notify

    found: list[Callable[..., Any]] = [notify.send, directory.eligible, directory.route]
    found.extend(actions.CATALOG.values())
    try:
        from activities.records import project
    except ImportError:  # the records layer is not installed in this build
        pass
    else:
        found.insert(0, project)
    return found


def __getattr__(name: str) -> Any:
    if name == "ALL_ACTIVITIES":
        return all_activities()
    raise AttributeError(name)
