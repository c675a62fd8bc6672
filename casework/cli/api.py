"""``casework api``: serve the HTTP API and web pages with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from casework.settings import get_settings


def serve(host: str | None = None, port: int | None = None, *, log_level: str = "info") -> None:
    """Serve the API (blocking) on ``host:port`` (defaults from settings).

    Raises:
        ConfigError: When the port is already taken or the address cannot be bound.
    """
    import uvicorn

    from casework.api.app import create_app
    from casework.errors import ConfigError

    settings = get_settings()
    host = host or settings.api_host
    port = port if port is not None else settings.api_port
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level=log_level)
    server = uvicorn.Server(config)
    failed = False
    try:
        server.run()
    except OSError as exc:
        raise ConfigError(
            f"cannot serve the API on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --port or stop what is using it",
        ) from exc
    except SystemExit:  # uvicorn logs a bind error and exits
        failed = True
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after a clean shutdown
        return
    if failed or not server.started:
        raise ConfigError(
            f"the API did not start on {host}:{port}",
            hint="is the port already in use? choose another --port",
        )


def register(app: typer.Typer) -> None:
    """Add ``casework api`` to ``app``."""

    @app.command("api")
    def api_command(
        host: Annotated[
            str | None, typer.Option(help="Address to bind (default CASEWORK_API_HOST).")
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(min=1, max=65535, help="Port to bind (default CASEWORK_API_PORT)."),
        ] = None,
    ) -> None:
        """Serve the HTTP API (/docs) and the web pages (/ui)."""
        serve(host, port)
