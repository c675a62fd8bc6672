"""The FastAPI application: ``create_app(settings)`` wires routers, auth, errors and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from temporalio.client import Client

from casework.api import (
    _errors,
    pages,
    routes_cases,
    routes_definitions,
    routes_people,
    routes_tasks,
)
from casework.api.backend import Backend
from casework.api.schemas import Health
from casework.settings import Settings, get_settings

STATIC_DIR = Path(__file__).parent / "static"

DESCRIPTION = """\
The HTTP API of casework: open and follow cases, work your inbox, read the directory.

Authenticate with a personal token: `Authorization: Bearer <token>` (create one with
`casework token create --user U`). Every request acts as that person; the case
workflow decides what they may do. Errors are JSON `{"error", "message", "hint"}`.
"""


def _version() -> str:
    try:
        return dist_version("casework")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def _mount_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from the swagger-ui-bundle-v2 package: no CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse

    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - the dependency is declared
        swagger_ui_path = None

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        if swagger_ui_path is None:
            return HTMLResponse(
                "<p>Swagger UI is not installed (pip install swagger-ui-bundle-v2); "
                'the schema is at <a href="/openapi.json">/openapi.json</a>.</p>'
            )
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="casework API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    if swagger_ui_path is not None:
        app.mount("/static/swagger", StaticFiles(directory=str(swagger_ui_path)), name="swagger")


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    temporal_client: Client | None = None,
) -> FastAPI:
    """Build the casework HTTP API and web pages.

    Args:
        settings: Settings to use; default :func:`get_settings`.
        engine: Records engine to use; default: one made from the settings' records URL.
        temporal_client: A connected Temporal client; default: connect on first use.

    Returns:
        The application (serve it with uvicorn, or ``casework api``).
    """
    settings = settings or get_settings()
    backend = Backend(settings, engine=engine, temporal_client=temporal_client)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await backend.close()

    app = FastAPI(
        title="casework",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.backend = backend
    app.state.settings = settings
    _errors.install(app)

    @app.get("/healthz", tags=["health"], summary="Liveness")
    async def healthz() -> Health:
        """Answers 200 while the process is up (no authentication)."""
        return Health(version=app.version)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui", status_code=303)

    app.include_router(routes_cases.router)
    app.include_router(routes_tasks.router)
    app.include_router(routes_definitions.router)
    app.include_router(routes_people.router)
    pages.install(app)
    _mount_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
