"""Mermaid diagrams of every shipped plan, and the committed JSON Schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from casework.language.compiler import load_plans
from casework.language.diagram import label, node_id, to_mermaid
from casework.language.plan import Plan
from casework.language.schema import SCHEMAS, render, write_schemas
from casework.language.yamlsafe import parse_yaml
from casework.settings import PROJECT_ROOT
from tests.language._util import SHIPPED_DEFINITIONS, SHIPPED_POLICIES

SCHEMA_DIR = PROJECT_ROOT / "schemas"
_NODE = re.compile(r"^\s*([A-Za-z0-9_]+)(\[|\(|\{|>)")
_EDGE = re.compile(r'^\s*([A-Za-z0-9_]+) -->(?:\|"[^"]*"\|)? ([A-Za-z0-9_]+)$')


@pytest.fixture(scope="module")
def plans() -> list[Plan]:
    return load_plans(SHIPPED_DEFINITIONS, SHIPPED_POLICIES)


def test_label_and_ids_are_safe() -> None:
    assert node_id("close-upheld") == "n_close_upheld"
    assert label('say "hi" <b> | x') == '"say #quot;hi#quot; #lt;b#gt; #124; x"'
    assert label("x" * 100).endswith('…"')


def test_every_shipped_plan_renders(plans: list[Plan]) -> None:
    assert plans
    for plan in plans:
        text = to_mermaid(plan)
        lines = text.splitlines()
        assert lines[0] == "flowchart TD"
        nodes: set[str] = set()
        opened = 0
        for line in lines[1:]:
            stripped = line.strip()
            if stripped.startswith("subgraph "):
                opened += 1
                continue
            if stripped == "end":
                opened -= 1
                continue
            edge = _EDGE.match(line)
            if edge:
                assert edge.group(1) in nodes, line
                assert edge.group(2) in nodes, line
                continue
            node = _NODE.match(line)
            assert node, f"{plan.process}: cannot parse {line!r}"
            nodes.add(node.group(1))
            assert line.count('"') == 2, line
        assert opened == 0
        for step_id in _all_ids(plan):
            assert node_id(step_id) in nodes


def _all_ids(plan: Plan) -> list[str]:
    from casework.language._walk import iter_steps

    return [s.id for s in iter_steps(plan.definition.steps)]


def test_committed_schemas_are_up_to_date() -> None:
    for name in SCHEMAS:
        committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert committed == render(name), (
            f"schemas/{name} is stale: run 'casework schema --out schemas'"
        )


def test_write_schemas(tmp_path: Path) -> None:
    written = write_schemas(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(SCHEMAS)


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize(
    ("directory", "schema"),
    [(SHIPPED_DEFINITIONS, "definition.schema.json"), (SHIPPED_POLICIES, "policy.schema.json")],
)
def test_shipped_yaml_validates_against_schema(directory: Path, schema: str) -> None:
    validator = jsonschema.Draft202012Validator(json.loads((SCHEMA_DIR / schema).read_text()))
    files = sorted(directory.glob("*.yaml"))
    assert files
    for f in files:
        data = _plain(parse_yaml(f.read_text(), str(f)).data)
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], f"{f.name}: {errors[:3]}"


def test_schema_rejects_unknown_keys() -> None:
    validator = jsonschema.Draft202012Validator(
        json.loads((SCHEMA_DIR / "definition.schema.json").read_text())
    )
    f = SHIPPED_DEFINITIONS / "complaint-handling.yaml"
    data = _plain(parse_yaml(f.read_text()).data)
    data["steps"][0]["nxt"] = "x"
    assert list(validator.iter_errors(data))
