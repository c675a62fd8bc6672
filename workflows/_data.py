"""Typed validation of case data, task forms, event payloads and field updates.

Pure functions (no Temporal imports): the client validates case data with
:func:`validate_case_data` before starting a case, and the workflow uses the
same code at start and in its Update validators.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from casework.errors import CaseworkError
from casework.language.model import FieldSpec
from casework.language.plan import Plan

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,20}$")


class InvalidData(CaseworkError, ValueError):  # noqa: N818 - reads as "invalid data: ..."
    """Values do not match their typed fields; the message names the field and the fix."""

    exit_code = 2


def _check_scalar(kind: str, spec: FieldSpec, value: Any, where: str) -> Any:
    if kind in ("string", "text"):
        if not isinstance(value, str):
            raise InvalidData(f"{where}: expected text, got {value!r}")
        if kind == "string" and spec.values and value not in spec.values:
            raise InvalidData(f"{where}: {value!r} is not one of {', '.join(spec.values)}")
        return value
    if kind == "email":
        if not isinstance(value, str) or not _EMAIL.match(value):
            raise InvalidData(f"{where}: {value!r} is not an email address (name@example.com)")
        return value
    if kind == "phone":
        if not isinstance(value, str) or not _PHONE.match(value):
            raise InvalidData(f"{where}: {value!r} is not a phone number (+44 20 7946 0000)")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidData(f"{where}: expected true or false, got {value!r}")
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise InvalidData(f"{where}: expected a whole number, got {value!r}")
        return _bounds(spec, value, where)
    if kind in ("number", "money"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidData(f"{where}: expected a number, got {value!r}")
        return _bounds(spec, value, where)
    if kind == "enum":
        if value not in (spec.values or []):
            allowed = ", ".join(spec.values or [])
            raise InvalidData(f"{where}: {value!r} is not one of {allowed}")
        return value
    if kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise InvalidData(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None
    if kind == "datetime":
        if isinstance(value, dt.datetime):
            parsed = value
        else:
            try:
                parsed = dt.datetime.fromisoformat(str(value))
            except ValueError:
                raise InvalidData(
                    f"{where}: {value!r} is not a date and time (2026-01-31T09:00:00Z)"
                ) from None
        if parsed.tzinfo is None:
            raise InvalidData(f"{where}: {value!r} needs a time zone (add Z or +01:00)")
        return parsed.astimezone(dt.UTC).isoformat()
    raise InvalidData(f"{where}: unsupported field type {kind!r}")


def _bounds(spec: FieldSpec, value: float, where: str) -> Any:
    if spec.min is not None and value < spec.min:
        raise InvalidData(f"{where}: {value} is below the minimum {spec.min:g}")
    if spec.max is not None and value > spec.max:
        raise InvalidData(f"{where}: {value} is above the maximum {spec.max:g}")
    return value


def check_value(spec: FieldSpec, value: Any, where: str) -> Any:
    """Check one value against its field spec and return it normalised (dates as ISO text).

    Raises:
        InvalidData: With ``where`` and what is expected.
    """
    if value is None:
        if spec.required:
            raise InvalidData(f"{where}: is required")
        return None
    if spec.type != "list":
        return _check_scalar(spec.type, spec, value, where)
    if not isinstance(value, list):
        raise InvalidData(f"{where}: expected a list, got {value!r}")
    item = spec.items or "string"
    return [_check_scalar(item, spec, v, f"{where}[{i}]") for i, v in enumerate(value)]


def validate_fields(
    specs: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    *,
    what: str = "field",
    partial: bool = False,
    defaults: bool = True,
) -> dict[str, Any]:
    """Validate ``values`` against typed ``specs``.

    Args:
        specs: Field specs by name.
        values: Submitted values.
        what: How to name a field in messages (``field``, ``form field``...).
        partial: Only check the given values (no required or default handling).
        defaults: Fill missing fields with their defaults.

    Returns:
        The normalised values (with defaults unless ``partial``).

    Raises:
        InvalidData: On the first unknown, missing or badly typed field.
    """
    out: dict[str, Any] = {}
    for name in values:
        if name not in specs:
            known = ", ".join(sorted(specs)) or "none"
            raise InvalidData(f"{what} {name}: unknown field (known: {known})")
    for name, spec in specs.items():
        where = f"{what} {name}"
        if name in values:
            out[name] = check_value(spec, values[name], where)
        elif partial:
            continue
        elif spec.default is not None and defaults:
            out[name] = check_value(spec, spec.default, where)
        elif spec.required:
            raise InvalidData(f"{where}: is required")
    return out


def validate_case_data(plan: Plan, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and default the data of a new case of ``plan``.

    Args:
        plan: The compiled plan the case will run.
        data: Case fields as the opener gave them.

    Returns:
        The case data with defaults applied and values normalised.

    Raises:
        InvalidData: ``field x: ...`` for the first problem.
    """
    return validate_fields(plan.definition.case.fields, data)
