"""Parsing ``--set key=value`` options by the type of the field they set."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from casework.errors import CaseworkError
from casework.language.model import FieldSpec

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class BadValue(CaseworkError):  # noqa: N818 - reads as "bad value: ..."
    """A ``--set`` value does not parse as its field's type."""

    exit_code = 2


def _scalar(kind: str, text: str, where: str) -> Any:
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise BadValue(f"{where}: {text!r} is not a whole number", hint="e.g. 42") from None
    if kind in ("number", "money"):
        try:
            return float(text)
        except ValueError:
            raise BadValue(f"{where}: {text!r} is not a number", hint="e.g. 12.5") from None
    if kind == "boolean":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise BadValue(f"{where}: {text!r} is not true or false", hint="use true/false or yes/no")
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise BadValue(f"{where}: {text!r} is not a date", hint="write YYYY-MM-DD") from None
    if kind == "datetime":
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise BadValue(
                f"{where}: {text!r} is not a date and time", hint="write YYYY-MM-DDTHH:MM:SSZ"
            ) from None
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return text


def _untyped(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_value(spec: FieldSpec | None, text: str, where: str) -> Any:
    """Parse ``text`` as the type of ``spec`` (JSON, else a string, when no spec is known)."""
    if spec is None:
        return _untyped(text)
    if spec.type == "list":
        items = [t.strip() for t in text.split(",") if t.strip()] if text.strip() else []
        return [_scalar(spec.items or "string", t, where) for t in items]
    return _scalar(spec.type, text, where)


def parse_sets(
    pairs: Sequence[str], fields: Mapping[str, FieldSpec] | None, what: str
) -> dict[str, Any]:
    """Parse ``key=value`` options against ``fields`` (unknown keys are refused when known).

    Args:
        pairs: The ``--set`` values.
        fields: Field specs by name, or None when the fields are not known.
        what: What the fields belong to, for messages (``case``, ``form of task X``...).
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BadValue(f"--set {pair!r}: expected key=value", hint="e.g. --set priority=high")
        spec = None
        if fields is not None:
            spec = fields.get(key)
            if spec is None:
                known = ", ".join(sorted(fields)) or "none"
                raise BadValue(
                    f"--set {key}: the {what} has no field {key!r}", hint=f"fields: {known}"
                )
        out[key] = parse_value(spec, text, f"--set {key}")
    return out
