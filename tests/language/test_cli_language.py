"""casework validate / schema / diagram / show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casework.cli.main import main
from tests.language._probe import edit
from tests.language._util import SHIPPED_DEFINITIONS, SHIPPED_POLICIES


def test_validate_shipped_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].endswith(", 0 errors, 0 warnings")


def test_validate_broken_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probe = edit(
        tmp_path, before_steps="  - id: lint_probe\n    kind: task\n    assign: {role: frontlin}\n"
    )
    code = main(["validate", str(probe.root / "definitions"), str(probe.root / "policies")])
    captured = capsys.readouterr()
    assert code == 2
    line = probe.line("role: frontlin")
    assert f"{probe.file}:{line}:" in captured.out
    assert "error[E301]: unknown role 'frontlin'" in captured.out
    assert "hint: did you mean 'frontline'?" in captured.out
    assert "1 error" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_validate_single_file_uses_default_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SHIPPED_DEFINITIONS / "complaint-handling.yaml")]) == 0
    assert capsys.readouterr().out.strip() == "1 file, 0 errors, 0 warnings"


def test_validate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "process: p\nversion: 1\ntitle: t\nowner: o\ncase: {fields: {}}\n"
        "steps:\n  - {id: a, kind: tsk}\n"
    )
    assert main(["validate", "--json", str(bad), str(SHIPPED_POLICIES)]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 1
    [d] = report["diagnostics"]
    assert (d["code"], d["line"], d["path"]) == ("V104", 7, str(bad))


def test_validate_garbage_has_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\x00\xff: [\n !!python/object:x {}")
    assert main(["validate", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_schema_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--kind", "definition"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "casework process definition"
    assert main(["schema"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {
        "definition.schema.json",
        "policy.schema.json",
    }
    assert main(["schema", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "policy.schema.json").exists()


def test_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "complaint-handling"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD\n")
    assert "n_triage" in out


def test_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "complaint-handling", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["process"] == "complaint-handling"
    assert info["versions"] == [1]
    assert len(info["hash"]) == 64
    assert any(s["id"] == "triage" and s["kind"] == "task" for s in info["steps"])
    assert "normal" in info["sla_targets"]
    assert main(["show", "complaint-handling"]) == 0
    out = capsys.readouterr().out
    assert "Customer complaint handling" in out
    assert "triage" in out


def test_unknown_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "nope"]) == 4
    assert main(["diagram", "complaint-handling", "--version", "9"]) == 4
    assert "Traceback" not in capsys.readouterr().err
