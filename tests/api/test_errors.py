"""Every casework error maps to a status code and the JSON error body."""

from __future__ import annotations

import pytest

from casework.api._errors import REJECTION_STATUS, rejection_status, status_and_body
from casework.errors import (
    CaseworkError,
    ConfigError,
    DefinitionError,
    Diagnostic,
    EngineUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    RecordsError,
    TaskActionRejected,
)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotFoundError("case", "C-1", hint="list cases"), 404, "not_found"),
        (PermissionDeniedError("no", actor="vera"), 403, "forbidden"),
        (DefinitionError([Diagnostic("a.yaml", 1, 2, "E1", "bad")]), 422, "definition_error"),
        (EngineUnavailableError("down", hint="casework up"), 503, "engine_unavailable"),
        (RecordsError("db down"), 503, "records_unavailable"),
        (ConfigError("bad setting"), 500, "config_error"),
        (CaseworkError("odd"), 400, "bad_request"),
        (TaskActionRejected("x", code="case_closed"), 409, "case_closed"),
        (TaskActionRejected("x", code="not_eligible"), 403, "not_eligible"),
        (TaskActionRejected("x", code="bad_form"), 422, "bad_form"),
    ],
)
def test_status_and_body(error: CaseworkError, status: int, code: str) -> None:
    got, body = status_and_body(error)
    assert got == status
    assert body.error == code
    assert body.message


def test_every_validator_code_has_its_status() -> None:
    """The codes ``workflows._rules`` rejects with decide the HTTP status, never the wording."""
    import re
    from pathlib import Path

    source = (Path(__file__).parents[2] / "workflows" / "_rules.py").read_text()
    used = set(re.findall(r'"([a-z_]+)",?\s*\)', source)) & {
        *REJECTION_STATUS,
        "bad_form",
        "bad_outcome",
        "reason_required",
        "invalid",
    }
    assert {"not_found", "not_eligible", "already_claimed", "four_eyes", "bad_form"} <= used
    for code in used:
        expected = REJECTION_STATUS.get(code, 422)
        assert rejection_status(TaskActionRejected("any wording", code=code)) == expected
    assert rejection_status(TaskActionRejected("is not among the approvers", code="x")) == 422


def test_typed_data_errors_are_422() -> None:
    class InvalidDataError(CaseworkError, ValueError):
        pass

    status, body = status_and_body(
        InvalidDataError("field region: 'mars' is not one of emea, amer")
    )
    assert status == 422
    assert body.error == "invalid_data"
