"""Loader: file kind by content, located validation diagnostics, workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.errors import DefinitionError
from casework.language.loader import expand_paths, load_file, load_text, load_workspace
from casework.language.model import ProcessDefinition
from casework.language.policies import PolicyFile
from tests.language._util import FIXTURE_DEFINITIONS, FIXTURE_POLICIES, fixture_workspace

HEAD = "process: p\nversion: 1\ntitle: T\nowner: o\ncase: {fields: {}}\nsteps:\n"


def test_kind_is_decided_by_content() -> None:
    d = load_text(HEAD + "  - {id: done, kind: end}\n", "x.yaml")
    assert d.kind == "definition"
    assert isinstance(d.model, ProcessDefinition)
    p = load_text("routing_rules: []\n", "y.yaml")
    assert p.kind == "policy"
    assert isinstance(p.model, PolicyFile)


def test_unknown_field_with_did_you_mean() -> None:
    f = load_text(HEAD + "  - id: a\n    kind: set\n    values: {x: '1'}\n    nxt: b\n", "x.yaml")
    [d] = f.diagnostics
    assert (d.code, d.line, d.column) == ("V101", 10, 5)
    assert d.message == "unknown field 'nxt' in set step 'a'"
    assert d.hint == "did you mean 'next'?"
    assert f.model is None


def test_unknown_kind_is_checked_before_pydantic() -> None:
    f = load_text(HEAD + "  - id: a\n    kind: aproval\n", "x.yaml")
    [d] = f.diagnostics
    assert (d.code, d.line) == ("V104", 8)
    assert d.hint == "did you mean 'approval'?"


def test_unknown_kind_inside_a_branch() -> None:
    text = HEAD + (
        "  - id: p\n    kind: parallel\n    branches:\n      - id: b\n        steps:\n"
        "          - {id: x, kind: wiat, for: 1h}\n  - {id: e, kind: end}\n"
    )
    [d] = load_text(text, "x.yaml").diagnostics
    assert (d.code, d.line) == ("V104", 12)


def test_nested_errors_are_located() -> None:
    text = HEAD + "  - id: a\n    kind: task\n    assign: {roel: agent}\n  - {id: e, kind: end}\n"
    codes = {(d.code, d.line) for d in load_text(text, "x.yaml").diagnostics}
    assert ("V101", 9) in codes


def test_alias_keys_and_missing_fields() -> None:
    text = (
        HEAD
        + "  - id: d\n    kind: decision\n    when:\n      - {iff: x, next: e}\n    otherwise: e\n"
    )
    diags = load_text(text, "x.yaml").diagnostics
    assert {d.code for d in diags} == {"V101", "V102"}
    assert any("missing required field 'if'" in d.message for d in diags)


def test_not_a_mapping() -> None:
    [d] = load_text("- a\n- b\n", "x.yaml").diagnostics
    assert d.code == "V106"
    [d] = load_text("", "x.yaml").diagnostics
    assert d.code == "V106"


def test_yaml_errors_become_diagnostics() -> None:
    [d] = load_text("a: [1,\n", "x.yaml").diagnostics
    assert d.code == "Y001"


def test_missing_file_raises() -> None:
    with pytest.raises(DefinitionError, match="V100"):
        load_file("/nonexistent/x.yaml")
    with pytest.raises(DefinitionError):
        expand_paths(["/nonexistent"])


def test_workspace_merges_policies() -> None:
    ws = fixture_workspace()
    assert ws.diagnostics == []
    assert [d.model.process for d in ws.definitions] == ["complaint"]
    assert set(ws.policies.calendars) == {"uk", "us"}
    assert "manager" in ws.policies.known_roles()
    assert ws.policies.region_calendars() == {"uk": "uk", "us": "us"}


def test_expand_paths(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x: 1")
    (tmp_path / "b.yml").write_text("x: 1")
    (tmp_path / "c.txt").write_text("x: 1")
    assert [p.name for p in expand_paths([tmp_path])] == ["a.yaml", "b.yml"]
    files = expand_paths([FIXTURE_DEFINITIONS, FIXTURE_POLICIES / "policies.yaml"])
    assert len(files) == 2
    assert len(load_workspace(files).files) == 2
