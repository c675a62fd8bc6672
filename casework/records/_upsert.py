"""Dialect-specific ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL.

Rows travel as executemany parameters, never as ``.values([...])``: the statement
then has one shape whatever the number of rows, so SQLAlchemy compiles it once
and caches it, and its "insertmanyvalues" mode still sends one multi-row INSERT
per page. (A multi-values statement is compiled anew for every call: that was
half the CPU of a projection batch.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

#: Rows per statement: keeps SQLite under its bound-parameter limit.
CHUNK = 200

#: Built statements by (dialect, table, keys, updated columns, guard column). Building
#: one (``on_conflict_do_update`` coerces every ``SET`` entry) cost as much as running
#: it; a cached statement is also found at once in SQLAlchemy's compiled cache.
_Key = tuple[str, Table, tuple[str, ...], tuple[str, ...] | None, str | None]
_STATEMENTS: dict[_Key, Any] = {}


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


def _statement(key: _Key, build: Callable[[], Any]) -> Any:
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build()
    return stmt


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

    def build() -> Any:
        return (
            insert_for(conn, table)
            .on_conflict_do_nothing(index_elements=list(keys))
            .returning(*(table.c[k] for k in keys))
        )

    stmt = _statement((conn.dialect.name, table, tuple(keys), None, None), build)
    return _written(conn, stmt, rows)


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    newer: str | None = None,
) -> int:
    """Insert ``rows`` or overwrite existing ones; return rows written.

    Args:
        conn: An open connection (the caller owns the transaction).
        table: The table.
        rows: Rows with the same columns each.
        keys: The conflict target (a unique constraint's columns).
        newer: A column: overwrite a stored row only where the new row's value
            of it is greater (a stale write leaves the row as it is).
    """
    if not rows:
        return 0
    columns = tuple(sorted(set(rows[0]) - set(keys)))

    def build() -> Any:
        stmt = insert_for(conn, table)
        excluded = stmt.excluded
        return stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: excluded[name] for name in columns},
            where=None if newer is None else table.c[newer] < excluded[newer],
        ).returning(*(table.c[k] for k in keys))

    stmt = _statement((conn.dialect.name, table, tuple(keys), columns, newer), build)
    return _written(conn, stmt, rows)
