"""Turn whatever the records layer returns (pydantic models, rows, dicts) into API shapes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def as_dict(obj: Any) -> dict[str, Any]:
    """Return ``obj`` as a plain dict (pydantic model, SQLAlchemy row/mapping, dataclass, dict)."""
    if obj is None:
        return {}
    if isinstance(obj, BaseModel):
        return obj.model_dump()
    if isinstance(obj, Mapping):
        return dict(obj)
    mapping = getattr(obj, "_mapping", None)
    if mapping is not None:
        return dict(mapping)
    slots = getattr(type(obj), "__slots__", None)
    if slots:
        return {s: getattr(obj, s) for s in slots if hasattr(obj, s)}
    return dict(vars(obj))


def to(model: type[M], obj: Any) -> M:
    """Validate ``obj`` (any record shape) as ``model``, ignoring extra fields."""
    data = as_dict(obj)
    # JSON columns may hold None where the API promises a container
    for key, field in model.model_fields.items():
        if data.get(key) is None and key in data and field.default_factory is not None:
            data.pop(key)
    return model.model_validate(data)


def to_list(model: type[M], objs: Iterable[Any]) -> list[M]:
    """Validate each item of ``objs`` as ``model``."""
    return [to(model, o) for o in objs]


def page_parts(page: Any) -> tuple[list[Any], str | None]:
    """Split a records page (``items`` + ``next_cursor``, or a bare list) into its parts."""
    if isinstance(page, list | tuple):
        return list(page), None
    data = page if isinstance(page, Mapping) else None
    items = data["items"] if data is not None else getattr(page, "items", [])
    cursor = data.get("next_cursor") if data is not None else getattr(page, "next_cursor", None)
    if callable(items):  # a Mapping-like page whose .items is the dict method
        items = page["items"]
    return list(items), cursor
