"""Dialect-specific ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

#: Rows per multi-row INSERT: keeps SQLite under its bound-parameter limit.
CHUNK = 200


def insert_for(conn: Connection, table: Table) -> Any:
    """Return the dialect's ``insert(table)`` construct (it has ``on_conflict_*``)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {conn.dialect.name!r}")


def chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterator[Sequence[dict[str, Any]]]:
    """Yield ``rows`` in slices of at most ``size``."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert_ignore(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """Insert ``rows``, skipping those whose ``keys`` exist; return how many were written."""
    written = 0
    for part in chunks(rows):
        stmt = (
            insert_for(conn, table)
            .values(list(part))
            .on_conflict_do_nothing(index_elements=list(keys))
            .returning(*(table.c[k] for k in keys))
        )
        written += len(conn.execute(stmt).all())
    return written


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    where: Any = None,
) -> int:
    """Insert ``rows`` or overwrite existing ones where ``where`` holds; return rows written."""
    written = 0
    for part in chunks(rows):
        stmt = insert_for(conn, table).values(list(part))
        columns = {name for row in part for name in row} - set(keys)
        update = {name: stmt.excluded[name] for name in sorted(columns)}
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_=update, where=where
        ).returning(*(table.c[k] for k in keys))
        written += len(conn.execute(stmt).all())
    return written
