"""Database access shared by the activities: the engine, and idempotent inserts."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

_lock = threading.Lock()
_override: Engine | None = None


def engine() -> Engine:
    """Return the records engine: an override when set (tests, bench), else from settings."""
    if _override is not None:
        return _override
    from casework.records.db import engine_from_settings

    return engine_from_settings()


@contextmanager
def use_engine(value: Engine) -> Iterator[Engine]:
    """Make the activities use ``value`` inside the ``with`` block (tests, benchmarks)."""
    global _override
    with _lock:
        previous, _override = _override, value
    try:
        yield value
    finally:
        with _lock:
            _override = previous


def set_engine(value: Engine | None) -> None:
    """Make the activities use ``value`` from now on (``None``: back to settings)."""
    global _override
    with _lock:
        _override = value


def now() -> dt.datetime:
    """The current instant, aware UTC."""
    return dt.datetime.now(dt.UTC)


def insert_ignore(conn: Connection, table: Table, row: Mapping[str, Any]) -> bool:
    """Insert ``row`` unless its primary key exists; return True when a row was written.

    Uses ``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL, so two
    concurrent attempts with one key write once without an error.
    """
    pk = list(table.primary_key.columns)
    keys = [c.name for c in pk]
    dialect = conn.dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING
    result = conn.execute(stmt.values(dict(row)).returning(pk[0]))
    return result.first() is not None
