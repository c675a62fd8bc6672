"""Opaque keyset cursors: ``(instant, id)`` pairs encoded as URL-safe text."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, literal, tuple_

from casework.errors import CaseworkError


class BadCursorError(CaseworkError):
    """A paging cursor is not one this API handed out."""

    exit_code = 2


def encode(at: dt.datetime, key: str) -> str:
    """Return the cursor after the row ``(at, key)``."""
    raw = json.dumps([at.isoformat(), key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[dt.datetime, str]:
    """Return the ``(at, key)`` a cursor points after.

    Raises:
        BadCursorError: The cursor is malformed.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, key = json.loads(raw)
        at = dt.datetime.fromisoformat(at_text)
        if not isinstance(key, str) or at.tzinfo is None:
            raise ValueError(key)
    except (ValueError, TypeError) as exc:
        raise BadCursorError(
            f"invalid cursor {cursor[:40]!r}",
            hint="pass the next_cursor value of a previous page, unchanged",
        ) from exc
    return at, key


def keyset(at_col: Any, key_col: Any, cursor: str, *, descending: bool) -> ColumnElement[bool]:
    """Return the condition selecting rows after ``cursor`` in ``(at, key)`` order."""
    at, key = decode(cursor)
    # Bind with the columns' own types: tuple comparisons drop TypeDecorators otherwise.
    right = tuple_(literal(at, at_col.type), literal(key, key_col.type))
    left = tuple_(at_col, key_col)
    return left < right if descending else left > right
