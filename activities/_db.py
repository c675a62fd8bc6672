"""Database access shared by the activities: the engine, and idempotent inserts."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table

from casework.records import _upsert

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
    keys = [c.name for c in table.primary_key.columns]
    return _upsert.insert_ignore(conn, table, [dict(row)], keys) == 1
