"""OpenAPI ``responses`` declarations shared by the routers."""

from __future__ import annotations

from typing import Any

from casework.api._errors import ErrorBody

_E: dict[str, Any] = {"model": ErrorBody}

READ: dict[int | str, dict[str, Any]] = {
    401: {**_E, "description": "Missing or invalid bearer token."},
    404: {**_E, "description": "Not found."},
}
WRITE: dict[int | str, dict[str, Any]] = {
    **READ,
    403: {**_E, "description": "The person may not do this."},
    409: {**_E, "description": "The task or case is not in a state that allows this."},
    503: {**_E, "description": "Temporal or the records database is unreachable."},
}
