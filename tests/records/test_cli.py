"""The records CLI commands, run through casework.cli.main.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casework.cli.main import main
from casework.records.directory import load_directory
from casework.records.projection import apply_batch
from tests.records.factories import batch, task, view
from tests.records.test_queries import PEOPLE


@pytest.fixture
def cli_db(records_settings: str, db_engine: Engine) -> Engine:
    """Settings point at the test database, which has people and two cases."""
    load_directory(db_engine, PEOPLE)
    apply_batch(db_engine, batch(view(case_id="C-260504-00000A", last_seq=1), [1]))
    snap = view(
        case_id="C-260504-00000B",
        last_seq=1,
        status="resolved",
        sla_state="breached",
        tasks=[task("C-260504-00000B", "triage", assignee="ann", state="claimed")],
    )
    apply_batch(db_engine, batch(snap, [1]))
    return db_engine


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_current_and_upgrade(records_settings: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "db", "current")
    assert code == 0
    assert "up to date" in out
    code, out, _ = run(capsys, "db", "upgrade", "--no-directory")
    assert code == 0
    assert "revision 0003" in out


def test_db_commands_on_a_fresh_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from casework.settings import get_settings

    monkeypatch.setenv("CASEWORK_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    get_settings.cache_clear()
    try:
        code, _, err = run(capsys, "db", "current")
        assert code == 6
        assert "revision none" in err
        code, _, err = run(capsys, "cases")
        assert code == 6
        assert "casework db upgrade" in err
        assert err.count("error:") == 1
        assert run(capsys, "db", "upgrade")[0] == 0
        assert run(capsys, "cases", "--json")[0] == 0
    finally:
        get_settings.cache_clear()


def test_cases_table_json_and_filters(cli_db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "cases")
    assert code == 0
    assert "C-260504-00000A" in out
    code, out, _ = run(capsys, "cases", "--sla", "breached", "--json")
    assert code == 0
    data = json.loads(out)
    assert [c["case_id"] for c in data["items"]] == ["C-260504-00000B"]
    code, out, _ = run(capsys, "cases", "--limit", "1", "--json")
    cursor = json.loads(out)["next_cursor"]
    code, out, _ = run(capsys, "cases", "--limit", "1", "--cursor", cursor, "--json")
    assert [c["case_id"] for c in json.loads(out)["items"]] == ["C-260504-00000A"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cases", "--sla", "late"], "unknown SLA state"),
        (["cases", "--opened-since", "yesterday"], "is not a date"),
        (["cases", "--cursor", "zzz"], "invalid cursor"),
        (["cases", "--limit", "0"], "limit 0"),
        (["tasks", "--as", "zed"], "person 'zed' not found"),
        (["tasks"], "no acting person"),
        (["token", "revoke", "nope"], "token 'nope' not found"),
        (["token", "create", "--user", "zed"], "person 'zed' not found"),
    ],
)
def test_bad_input_is_one_line(
    cli_db: Engine, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code != 0
    # rich wraps long lines at the terminal width: one message, possibly wrapped
    assert message in " ".join(err.split())
    assert err.count("error:") == 1
    assert "Traceback" not in err + out


def test_tasks_workload_people(cli_db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tasks", "--as", "ann", "--mine", "--json")
    assert code == 0
    assert [t["step_id"] for t in json.loads(out)["items"]] == ["triage"]
    code, out, _ = run(capsys, "tasks", "--as", "ben")
    assert code == 0
    assert "0 task(s)" in out
    code, out, _ = run(capsys, "workload", "--json")
    assert [(r["person"], r["claimed"]) for r in json.loads(out)] == [("ann", 1)]
    code, out, _ = run(capsys, "workload", "--team", "uk-care")
    assert code == 0
    assert "sue" in out
    code, out, _ = run(capsys, "people", "--json")
    assert [p["id"] for p in json.loads(out)] == ["ann", "ben", "sue"]
    assert "Ann" in run(capsys, "people")[1]


def test_tokens(cli_db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "token", "create", "--user", "ann", "--label", "ci")
    assert code == 0
    secret = out.strip()
    assert secret.startswith("cw_")
    code, out, _ = run(capsys, "token", "list", "--json")
    [info] = json.loads(out)
    assert info["label"] == "ci"
    assert secret not in out
    assert run(capsys, "token", "revoke", info["id"])[0] == 0
    assert json.loads(run(capsys, "token", "list", "--json")[1]) == []


def test_load_directory_command(
    cli_db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        "directory:\n  people:\n    - {id: ann, name: Ann, email: a@x, roles: [agent]}\n"
    )
    code, out, _ = run(capsys, "db", "load-directory", str(path))
    assert code == 0
    assert "deactivated: ben, sue" in out


def test_rebuild_needs_a_target(cli_db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "records", "rebuild")
    assert code != 0
    assert "CASE_ID or --all" in err
