"""JSON Schema of definition and policy files, generated from the pydantic models.

The committed copies in ``schemas/`` let editors validate and complete YAML
(e.g. with a ``# yaml-language-server: $schema=...`` comment).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from casework.language.model import ProcessDefinition
from casework.language.policies import PolicyFile

#: File name -> (title, model).
SCHEMAS: dict[str, tuple[str, type[ProcessDefinition] | type[PolicyFile]]] = {
    "definition.schema.json": ("casework process definition", ProcessDefinition),
    "policy.schema.json": ("casework policy file", PolicyFile),
}


def json_schema(model: type[ProcessDefinition] | type[PolicyFile], title: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``model``, keys as written in YAML."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://casework.dev/schemas/{model.__name__}.json",
        "title": title,
        **{k: v for k, v in schema.items() if k != "title"},
    }


def render(name: str) -> str:
    """The text of schema file ``name`` (stable: sorted keys, trailing newline)."""
    title, model = SCHEMAS[name]
    return json.dumps(json_schema(model, title), indent=2, sort_keys=True) + "\n"


def write_schemas(out: Path) -> list[Path]:
    """Write every schema file into ``out`` (created if needed); return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMAS:
        target = out / name
        target.write_text(render(name), encoding="utf-8")
        written.append(target)
    return written
