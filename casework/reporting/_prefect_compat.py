"""``prefect server start`` with a fix for Prefect 3.8 on SQLAlchemy 2.1.

Prefect's scheduler bulk-inserts flow runs with a ``state`` key, which is a hybrid
property of its ORM model; SQLAlchemy 2.0 ignored such keys, 2.1 refuses them
("Can't evaluate bulk DML statement") unless the hybrid has a ``bulk_dml``
setter, so no scheduled run was ever created. Prefect fills the state rows in a
separate insert right after, so ignoring the key (the 2.0 behaviour) is correct.

Run as ``python -m casework.reporting._prefect_compat server start ...``; with a
Prefect server elsewhere (PREFECT_API_URL) nothing here is used.
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from typing import Any


def _ignore(cls: Any, mapping: MutableMapping[str, Any], value: Any) -> None:
    """Leave the hybrid's key out of the bulk insert, as SQLAlchemy 2.0 did."""


def patch() -> bool:
    """Give Prefect's ``FlowRun.state``/``TaskRun.state`` hybrids a no-op bulk setter.

    Returns:
        True when something was patched (False on versions that need nothing).
    """
    from prefect.server.database import orm_models

    patched = False
    for cls in (orm_models.FlowRun, orm_models.TaskRun):
        hybrid = cls.__dict__.get("state")
        if hybrid is not None and getattr(hybrid, "bulk_dml_setter", False) is None:
            hybrid.bulk_dml_setter = _ignore
            patched = True
    return patched


def main() -> None:
    """Patch, then run the ``prefect`` command line with this process's arguments."""
    patch()
    from prefect.cli import app

    sys.argv[0] = "prefect"
    app()


if __name__ == "__main__":
    main()
