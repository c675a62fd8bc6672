"""Map casework errors (and request validation errors) to HTTP status codes and JSON bodies."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from casework.api._plans import NotDeployedError
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


#: HTTP status of each rejection code the workflow validators give
#: (``workflows._rules.ActionRejected``); any other code is a bad request (422).
REJECTION_STATUS: dict[str, int] = {
    "not_eligible": 403,
    "not_assignee": 403,
    "four_eyes": 403,
    "forbidden": 403,
    "not_found": 404,
    "task_closed": 409,
    "case_closed": 409,
    "already_claimed": 409,
    "conflict": 409,
}
_REJECTION_HINTS = {
    403: "someone eligible must do this, or a team lead can reassign the task",
    404: "check the task id: GET /cases/{case_id} lists the case's tasks",
    409: "reload the task (GET /cases/{case_id}) to see its current state",
    422: "fix the request body as the message says and retry",
}
_STATUS_CODES = {403: "not_eligible", 404: "not_found", 409: "conflict", 422: "invalid_action"}


def rejection_status(exc: TaskActionRejected) -> int:
    """Return the HTTP status of a validator rejection (403, 404, 409 or 422) by its code."""
    return REJECTION_STATUS.get(exc.code.lower(), 422)


def _machine_code(code: str, status: int) -> str:
    if re.fullmatch(r"[a-z][a-z0-9_]*", code) and code != "rejected":
        return code
    return _STATUS_CODES[status]


def status_and_body(exc: CaseworkError) -> tuple[int, ErrorBody]:
    """Return the HTTP status and error body for a casework error."""
    if isinstance(exc, NotFoundError):
        return 404, ErrorBody(error="not_found", message=exc.message, hint=exc.hint)
    if isinstance(exc, PermissionDeniedError):
        return 403, ErrorBody(error="forbidden", message=exc.message, hint=exc.hint)
    if isinstance(exc, TaskActionRejected):
        status = rejection_status(exc)
        hint = exc.hint or _REJECTION_HINTS.get(status, "")
        return status, ErrorBody(
            error=_machine_code(exc.code, status), message=exc.reason, hint=hint
        )
    if isinstance(exc, NotDeployedError):
        return 409, ErrorBody(error="not_deployed", message=exc.message, hint=exc.hint)
    if isinstance(exc, DefinitionError):
        return 422, ErrorBody(error="definition_error", message=exc.message, hint=exc.hint)
    if isinstance(exc, EngineUnavailableError):
        return 503, ErrorBody(error="engine_unavailable", message=exc.message, hint=exc.hint)
    if isinstance(exc, RecordsError):
        return 503, ErrorBody(error="records_unavailable", message=exc.message, hint=exc.hint)
    if isinstance(exc, ConfigError):
        return 500, ErrorBody(error="config_error", message=exc.message, hint=exc.hint)
    if isinstance(exc, ValueError):  # typed-data errors (e.g. case fields against the schema)
        return 422, ErrorBody(error="invalid_data", message=exc.message, hint=exc.hint)
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
