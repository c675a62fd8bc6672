"""Turn pydantic validation errors into located, readable diagnostics."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from casework.errors import Diagnostic
from casework.language.model import STEP_KINDS, FieldSpec, ProcessDefinition, StepBase
from casework.language.yamlsafe import Locations, Path, quoted

_FIELD_TYPES: tuple[str, ...] = typing.get_args(FieldSpec.model_fields["type"].annotation)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``"did you mean 'x'?"`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def field_names(cls: type[BaseModel]) -> list[str]:
    """The keys a model accepts in YAML (aliases where set)."""
    return [f.alias or name for name, f in cls.model_fields.items()]


def _models_in(annotation: Any) -> list[Any]:
    """Unwrap Optional/list/dict/Annotated/Union down to the candidate inner types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_models_in(arg))
        return out
    return [annotation]


def _child_type(annotation: Any, data: Any, key: str | int) -> Any:
    """The type of ``data[key]`` given the annotation of ``data``."""
    for cand in _models_in(annotation):
        origin = typing.get_origin(cand)
        if origin is list and isinstance(key, int):
            return typing.get_args(cand)[0]
        if origin is dict and isinstance(key, str):
            return typing.get_args(cand)[1]
        if isinstance(cand, type) and issubclass(cand, BaseModel) and isinstance(key, str):
            for name, f in cand.model_fields.items():
                if key in (name, f.alias):
                    return f.annotation
    return None


def _pick_model(annotation: Any, data: Any) -> type[BaseModel] | None:
    models = [c for c in _models_in(annotation) if isinstance(c, type) and issubclass(c, BaseModel)]
    if len(models) == 1:
        return models[0]
    if isinstance(data, dict):
        for m in models:
            kind = m.model_fields.get("kind")
            if kind is not None and typing.get_args(kind.annotation) == (data.get("kind"),):
                return m
    return None


def resolve_path(
    root: type[BaseModel], data: Any, loc: tuple[Any, ...]
) -> tuple[Path, type[BaseModel] | None, Any]:
    """Follow a pydantic ``loc`` through ``data``.

    Returns:
        The data path (discriminator tags removed), the model class holding the
        last element (or None), and the data at the parent of the last element.
    """
    path: list[str | int] = []
    annotation: Any = root
    current = data
    parent_model: type[BaseModel] | None = root
    parent_data = data
    for part in loc:
        if (
            isinstance(part, str)
            and part in STEP_KINDS
            and isinstance(current, dict)
            and current.get("kind") == part
        ):
            continue  # discriminator tag pydantic inserts into the loc
        parent_model = _pick_model(annotation, current)
        parent_data = current
        path.append(part)
        annotation = _child_type(annotation, current, part)
        if isinstance(current, dict) and isinstance(part, str):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            current = None
    return tuple(path), parent_model, parent_data


def _where(model: type[BaseModel] | None, data: Any, path: Path) -> str:
    if model is not None and issubclass(model, StepBase) and isinstance(data, dict):
        return f"{quoted(data.get('kind'))[1:-1]} step {quoted(data.get('id', '?'))}"
    if model is ProcessDefinition:
        return "the definition"
    parent = [p for p in path[:-1] if isinstance(p, str)]
    return quoted(parent[-1]) if parent else "the file"


def _step_prefix(data: Any, path: Path) -> str:
    """``step 'triage': `` when ``path`` is inside a step, else empty."""
    label = ""
    current = data
    for i, part in enumerate(path):
        if isinstance(current, dict) and isinstance(part, str):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            break
        inside = i + 1 < len(path)
        if (
            inside
            and path[i - 1 : i] == ("steps",)
            and isinstance(current, dict)
            and "id" in current
        ):
            label = f"step '{current['id']}': "
    return label


def render_path(path: Path) -> str:
    """``("steps", 3, "next")`` -> ``steps[3].next``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def validation_diagnostics(
    exc: ValidationError,
    root: type[BaseModel],
    data: Any,
    locations: Locations,
    file: str,
    skip: set[Path],
) -> list[Diagnostic]:
    """Convert every error of ``exc`` into a located diagnostic.

    Args:
        exc: The validation error.
        root: The model that was validated.
        data: The data it was validated from.
        locations: Where each key is.
        file: File name for the diagnostics.
        skip: Paths already reported (e.g. bad step kinds); errors at or under them are dropped.
    """
    out: list[Diagnostic] = []
    seen: set[tuple[Path, str]] = set()
    for err in exc.errors(include_url=False):
        path, model, parent = resolve_path(root, data, tuple(err["loc"]))
        if any(path[: len(s)] == s for s in skip):
            continue
        kind = err["type"]
        if (path, kind) in seen:
            continue
        seen.add((path, kind))
        line, col = locations.find(path)
        last = path[-1] if path else ""
        where = _where(model, parent, path)
        hint = ""
        if kind == "extra_forbidden":
            code = "V101"
            message = f"unknown field {quoted(last)} in {where}"
            names = field_names(model) if model is not None else []
            hint = did_you_mean(str(last), names) or (
                f"allowed: {', '.join(names)}" if names else ""
            )
        elif kind == "missing":
            code = "V102"
            message = f"missing required field {quoted(last)} in {where}"
            hint = f"add '{last}:'"
        elif kind == "literal_error" and model is FieldSpec and last == "type":
            code = "E501"
            message = f"unknown field type {err['input']!r}"
            hint = (
                did_you_mean(str(err["input"]), _FIELD_TYPES)
                or f"use one of: {', '.join(_FIELD_TYPES)}"
            )
        else:
            code = "V103"
            msg = str(err["msg"]).removeprefix("Value error, ")
            message = f"{_step_prefix(data, path)}{render_path(path)}: {msg}"
            if kind == "literal_error":
                hint = did_you_mean(
                    str(err["input"]),
                    [
                        s.strip("' ")
                        for s in str(err.get("ctx", {}).get("expected", ""))
                        .replace(" or ", ",")
                        .split(",")
                    ],
                )
        out.append(Diagnostic(file, line, col, code, message, hint))
    return out
