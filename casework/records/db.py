"""Engines, sessions and schema migrations of the records database.

SQLite (the default) runs in WAL mode with a busy timeout and foreign keys, and
every transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue on
the busy timeout instead of failing with ``SQLITE_BUSY`` when a read turns into
a write; read-only work (``conn.execution_options(**READ_ONLY)``) starts deferred.
PostgreSQL goes through psycopg 3 with the session time zone at UTC.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from casework.errors import ConfigError, RecordsError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def normalise_url(url: str | URL) -> URL:
    """Parse a records URL, mapping ``postgresql://``/``postgres://`` to psycopg 3.

    Raises:
        ConfigError: The URL cannot be parsed or names an unsupported database.
    """
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise ConfigError(
            f"invalid database URL {text!r}",
            hint="use sqlite:///path/records.db or postgresql://user@host:5432/dbname",
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.get_driver_name() in ("", "psycopg2", "psycopg"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    if backend == "sqlite":
        return parsed
    raise ConfigError(
        f"unsupported database {backend!r} in URL {parsed.render_as_string()!r}",
        hint="casework records support SQLite and PostgreSQL",
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy (not the sqlite3 module) decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


#: Connection execution options of a read-only unit of work (reports): on SQLite its
#: transaction starts deferred, so a long report never holds the write lock.
READ_ONLY: dict[str, Any] = {"casework_read_only": True}


def _sqlite_begin(conn: Any) -> None:
    deferred = conn.get_execution_options().get("casework_read_only", False)
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for a records database URL.

    Args:
        url: ``sqlite:///file.db`` (parent folder created), ``sqlite://`` (memory)
            or ``postgresql[+psycopg]://user@host:port/db``.
        **kwargs: Extra ``create_engine`` arguments.

    Returns:
        A new engine; the schema is not checked or migrated.

    Raises:
        ConfigError: The URL is invalid or unsupported.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {"options": "-c timezone=UTC", "connect_timeout": 5}
    connect_args.update(kwargs.pop("connect_args", {}))
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, connect_args=connect_args, **kwargs)


def is_postgres(engine: Engine) -> bool:
    """Return True when ``engine`` talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


def engine_from_settings() -> Engine:
    """Return the process-wide engine for ``get_settings().records_url()`` (cached per URL)."""
    from casework.settings import get_settings

    url = get_settings().records_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_cached_engines() -> None:
    """Dispose and forget every engine made by :func:`engine_from_settings` (tests)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """Yield an ORM session in one transaction: commit on success, roll back on error.

    Args:
        engine: The engine to use; default :func:`engine_from_settings`.
    """
    with Session(engine or engine_from_settings()) as session, session.begin():
        yield session


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest migration revision shipped with casework."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))
    head = script.get_current_head()
    assert head is not None
    return head


def _describe(url: str | URL) -> str:
    return normalise_url(url).render_as_string(hide_password=True)


def upgrade(url: str | URL | Engine, revision: str = "head") -> str:
    """Migrate the records database to ``revision`` (default: the newest).

    Returns:
        The revision the database is at afterwards.

    Raises:
        RecordsError: The database cannot be reached or the migration failed.
    """
    from alembic import command

    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)
        return current_revision(engine) or ""
    except SQLAlchemyError as exc:
        where = _describe(engine.url)
        raise RecordsError(
            f"cannot migrate the records database {where}: {_first_line(exc)}",
            hint="check that the database server is running and CASEWORK_DATABASE_URL is right",
        ) from exc
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def current_revision(url: str | URL | Engine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated.

    Raises:
        RecordsError: The database cannot be reached.
    """
    from alembic.runtime.migration import MigrationContext

    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise RecordsError(
            f"cannot read the records database {_describe(engine.url)}: {_first_line(exc)}",
            hint="check that the database server is running and CASEWORK_DATABASE_URL is right",
        ) from exc
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def ensure_current(engine: Engine, *, unreachable_ok: bool = False) -> bool:
    """Raise :class:`RecordsError` unless the schema is at the newest revision.

    Args:
        engine: The records database.
        unreachable_ok: When the database cannot be reached, return False instead of
            raising (a worker may start during an outage; a stale schema still raises).

    Returns:
        True when the schema was checked, False when the database was unreachable.
    """
    try:
        current = current_revision(engine)
    except RecordsError:
        if unreachable_ok:
            return False
        raise
    head = head_revision()
    if current != head:
        raise RecordsError(
            f"the records database {_describe(engine.url)} is at revision {current or 'none'}, "
            f"casework needs {head}",
            hint="run `casework db upgrade`",
        )
    return True


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
