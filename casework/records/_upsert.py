"""Dialect-specific ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL.

Rows travel as executemany parameters, never as ``.values([...])``: the statement
then has one shape whatever the number of rows, so SQLAlchemy compiles it once
and caches it, and its "insertmanyvalues" mode still sends one multi-row INSERT
per page. (A multi-values statement is compiled anew for every call: that was
half the CPU of a projection batch.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

#: Rows per statement: keeps SQLite under its bound-parameter limit.
CHUNK = 200

#: ``SET column = excluded.column`` of an upsert, per (dialect, table, columns).
_SET: dict[tuple[str, str, tuple[str, ...]], dict[str, Any]] = {}


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


def _written(conn: Connection, stmt: Any, rows: Sequence[dict[str, Any]]) -> int:
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING
    written = 0
    for part in chunks(rows):
        written += len(conn.execute(stmt, list(part)).all())
    return written


def insert_ignore(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """Insert ``rows``, skipping those whose ``keys`` exist; return how many were written.

    Every row must have the same columns.
    """
    if not rows:
        return 0
    stmt = (
        insert_for(conn, table)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(*(table.c[k] for k in keys))
    )
    return _written(conn, stmt, rows)


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    where: Any = None,
) -> int:
    """Insert ``rows`` or overwrite existing ones where ``where`` holds; return rows written.

    Every row must have the same columns.
    """
    if not rows:
        return 0
    stmt = insert_for(conn, table)
    columns = tuple(sorted(set(rows[0]) - set(keys)))
    update = _SET.get((conn.dialect.name, table.name, columns))
    if update is None:  # building ``excluded`` copies every column: do it once
        update = {name: stmt.excluded[name] for name in columns}
        _SET[(conn.dialect.name, table.name, columns)] = update
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_=update, where=where
    ).returning(*(table.c[k] for k in keys))
    return _written(conn, stmt, rows)
