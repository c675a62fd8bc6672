"""Every casework error maps to a status code and the JSON error body."""

from __future__ import annotations

import pytest

from casework.api._errors import rejection_status, status_and_body
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


@pytest.mark.parametrize(
    ("message", "status"),
    [
        ("lee is not among the approvers of task C-1.review.1", 403),
        ("bob does not have the role 'agent' that task C-1.a.1 needs", 403),
        ("task C-1.a.1 is for region 'emea'; bob is in 'amer'", 403),
        ("task C-1.a.1 is for team 'x'; bob is in 'y'", 403),
        ("task C-1.a.1 is for alice, not bob", 403),
        ("bob lacks the skills refunds that task C-1.a.1 needs", 403),
        ("only the assignee alice can release task C-1.a.1", 403),
        ("bob may not cancel this case: only its opener...", 403),
        ("four-eyes: lee asked for this and cannot approve it", 403),
        ("task C-1.nope.1 not found in this case: check the task id", 404),
        ("task C-1.a.1 is already claimed by alice", 409),
        ("task C-1.a.1 is completed: it can no longer be acted on", 409),
        ("task C-1.a.1 is claimed by alice, not bob", 409),
        ("task C-1.a.1 is not claimed: there is nothing to release", 409),
        ("the case is resolved: its tasks are closed", 409),
        ("lee has already voted on C-1.review.1", 409),
        ("form field summary: is required", 422),
        ("choose an outcome for task C-1.a.1: resolved, escalate", 422),
        ("outcome 'x' is not allowed for task C-1.a.1: use resolved", 422),
        ("outcome 'x' needs a reason: a, b", 422),
        ("cancel needs a reason (reason: why the case is cancelled)", 422),
        ("task C-1.a.1 is an approval: use approve, reject or request_changes", 422),
    ],
)
def test_validator_messages_are_sorted_by_status(message: str, status: int) -> None:
    rejection = TaskActionRejected(message, code="ActionRejected")
    assert rejection_status(rejection) == status
    got, body = status_and_body(rejection)
    assert got == status
    assert body.message == message
    assert body.error in {"not_eligible", "not_found", "conflict", "invalid_action"}
    assert body.hint


def test_typed_data_errors_are_422() -> None:
    class InvalidDataError(CaseworkError, ValueError):
        pass

    status, body = status_and_body(
        InvalidDataError("field region: 'mars' is not one of emea, amer")
    )
    assert status == 422
    assert body.error == "invalid_data"
