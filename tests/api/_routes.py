"""The app's routes, for tests that must cover every endpoint automatically."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from fastapi.routing import APIRoute
from sqlalchemy import create_engine
from starlette.routing import BaseRoute

from casework.api.app import create_app
from casework.api.auth import PUBLIC_MUTATIONS
from casework.settings import Settings

#: Values used for path parameters when a test calls a route without real data.
PATH_VALUES = {
    "case_id": "C-261201-ABCDEF",
    "task_id": "C-261201-ABCDEF.triage.1",
    "event": "customer_replied",
    "process": "api_ticket",
    "action": "claim",
}
PUBLIC_READS = frozenset({"/", "/healthz", "/ui/login", "/docs", "/openapi.json"})
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _walk(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI >= 0.150 keeps included routers as lazy wrappers around the original router
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes)


def _routes() -> list[APIRoute]:
    # an engine that is never connected: only the route table is wanted
    app = create_app(Settings(), engine=create_engine("sqlite://"))
    return list(_walk(app.routes))


def fill(path: str) -> str:
    """Put example values into a route path's parameters."""
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x1"), path)


def mutating_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that changes something and needs authentication."""
    found = {
        (method, route.path)
        for route in _routes()
        for method in (route.methods or set()) & MUTATING
        if (method, route.path) not in PUBLIC_MUTATIONS
    }
    return sorted(found)


def read_routes() -> list[str]:
    """Paths of every GET route that needs authentication."""
    return sorted(
        {r.path for r in _routes() if "GET" in (r.methods or set()) and r.path not in PUBLIC_READS}
    )
