"""Column types shared by the tables and the migrations.

:class:`UTCDateTime` keeps every instant timezone-aware UTC on both dialects:
PostgreSQL stores ``timestamptz``; SQLite stores fixed-width ISO-8601 text
(``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``) so that string ordering is time ordering
and SQLite's date functions (``julianday``, ``strftime``) still parse it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

#: JSON column: JSONB on PostgreSQL (containment operators, indexable), JSON elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")
#: Auto-incrementing 64-bit key (SQLite needs plain INTEGER for its rowid alias).
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


def to_utc(value: dt.datetime) -> dt.datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken to be UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def iso_utc(value: dt.datetime) -> str:
    """Return the fixed-width ISO text SQLite stores for ``value``."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetime: ``timestamptz`` on PostgreSQL, ISO text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the storage type for ``dialect``."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Normalise to UTC (and to text on SQLite) on the way in."""
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if dialect.name == "sqlite":
            return iso_utc(value)
        return to_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return an aware UTC datetime on the way out."""
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            return to_utc(value)
        raise TypeError(f"unexpected stored datetime {value!r}")

    def process_literal_param(self, value: Any, dialect: Dialect) -> str:
        """Render a literal (used by ``compile(literal_binds=True)``)."""
        bound = self.process_bind_param(value, dialect)
        text = bound if isinstance(bound, str) else bound.isoformat()
        return f"'{text}'"
