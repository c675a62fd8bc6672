"""Map casework errors (and request validation errors) to HTTP status codes and JSON bodies."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from casework.errors import (
    CaseworkError,
    ConfigError,
    DefinitionError,
    EngineUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    RecordsError,
    TaskActionRejected,
)


class ErrorBody(BaseModel):
    """The JSON body of every error response."""

    error: str
    message: str
    hint: str = ""


#: Rejection codes of the workflow validators that mean "you may not" (403).
FORBIDDEN_CODES = frozenset(
    {
        "not_eligible",
        "forbidden",
        "four_eyes",
        "not_assignee",
        "not_allowed",
        "permission_denied",
        "unauthorised",
        "unauthorized",
        "not_approver",
        "vetoed_role",
    }
)
#: Rejection codes that mean "the input is wrong" (422).
INVALID_CODES = frozenset(
    {
        "bad_form",
        "invalid_form",
        "bad_outcome",
        "invalid_outcome",
        "bad_reason",
        "reason_required",
        "invalid",
        "bad_input",
        "invalid_input",
        "bad_priority",
        "bad_field",
        "unknown_field",
        "bad_data",
        "invalid_data",
    }
)

_FORBIDDEN_WORDS = (
    "not eligible",
    "not allowed",
    "may not",
    "four-eyes",
    "four eyes",
    "not an approver",
    "only the assignee",
    "is not assigned to",
    "lacks role",
    "does not have role",
)
_INVALID_WORDS = ("form", "outcome", "reason", "field", "required", "must be", "invalid", "unknown")


def rejection_status(exc: TaskActionRejected) -> int:
    """Return the HTTP status of a validator rejection: 403, 409 or 422.

    The code decides when it is a known one; otherwise the message is read for
    well-known phrases, and anything else is a state conflict (409).
    """
    code = exc.code.lower()
    if code in FORBIDDEN_CODES:
        return 403
    if code in INVALID_CODES:
        return 422
    if code not in ("rejected", ""):
        return 409
    text = exc.reason.lower()
    if any(w in text for w in _FORBIDDEN_WORDS):
        return 403
    if any(
        w in text for w in ("closed", "already", "not open", "completed", "cancelled", "expired")
    ):
        return 409
    if any(w in text for w in _INVALID_WORDS):
        return 422
    return 409


def status_and_body(exc: CaseworkError) -> tuple[int, ErrorBody]:
    """Return the HTTP status and error body for a casework error."""
    if isinstance(exc, NotFoundError):
        return 404, ErrorBody(error="not_found", message=exc.message, hint=exc.hint)
    if isinstance(exc, PermissionDeniedError):
        return 403, ErrorBody(error="forbidden", message=exc.message, hint=exc.hint)
    if isinstance(exc, TaskActionRejected):
        status = rejection_status(exc)
        default = {403: "not_eligible", 409: "conflict", 422: "invalid"}[status]
        code = exc.code if exc.code not in ("", "rejected") else default
        return status, ErrorBody(error=code, message=exc.reason, hint=exc.hint)
    if isinstance(exc, DefinitionError):
        return 422, ErrorBody(error="definition_error", message=exc.message, hint=exc.hint)
    if isinstance(exc, EngineUnavailableError):
        return 503, ErrorBody(error="engine_unavailable", message=exc.message, hint=exc.hint)
    if isinstance(exc, RecordsError):
        return 503, ErrorBody(error="records_unavailable", message=exc.message, hint=exc.hint)
    if isinstance(exc, ConfigError):
        return 500, ErrorBody(error="config_error", message=exc.message, hint=exc.hint)
    return 400, ErrorBody(error="bad_request", message=exc.message, hint=exc.hint)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc) or "request"


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    """Return a readable 422 body: the first problem as the message, all of them as details."""
    errors = list(exc.errors())
    details = [{"where": _loc(e.get("loc", ())), "problem": str(e.get("msg", ""))} for e in errors]
    first = details[0] if details else {"where": "request", "problem": "invalid request"}
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return {
        "error": "invalid_request",
        "message": f"{first['where']}: {first['problem']}{more}",
        "hint": "see /docs for the expected shape of this request",
        "details": details,
    }


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    async def on_casework(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CaseworkError)
        status, body = status_and_body(exc)
        return JSONResponse(body.model_dump(), status_code=status)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse(validation_body(exc), status_code=422)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail
        if isinstance(detail, dict):
            body = detail
        else:
            code = {
                401: "unauthenticated",
                403: "forbidden",
                404: "not_found",
                405: "method_not_allowed",
            }
            body = {
                "error": code.get(exc.status_code, "http_error"),
                "message": str(detail),
                "hint": "",
            }
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(CaseworkError, on_casework)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
