"""Connecting to Temporal from settings: address, namespace, TLS or mTLS, API key.

Failures become :class:`~casework.errors.EngineUnavailableError` or
:class:`~casework.errors.ConfigError` with one plain reason.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import Client, TLSConfig
from temporalio.service import RPCError

from casework.converter import DATA_CONVERTER
from casework.errors import ConfigError, EngineUnavailableError
from casework.settings import Settings, get_settings


def _read(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the Temporal {what} file {str(path)!r}: {exc.strerror}",
            hint=f"fix CASEWORK_TEMPORAL_TLS_{what.upper()}",
        ) from exc


def tls_config(settings: Settings) -> TLSConfig | bool:
    """Return the TLS setting for the client: a config, True (system roots) or False."""
    files = (settings.temporal_tls_cert, settings.temporal_tls_key, settings.temporal_tls_ca)
    if any(f is not None for f in files):
        if (settings.temporal_tls_cert is None) != (settings.temporal_tls_key is None):
            raise ConfigError(
                "mTLS needs both a client certificate and a key",
                hint="set CASEWORK_TEMPORAL_TLS_CERT and CASEWORK_TEMPORAL_TLS_KEY together",
            )
        return TLSConfig(
            server_root_ca_cert=_read(settings.temporal_tls_ca, "ca"),
            client_cert=_read(settings.temporal_tls_cert, "cert"),
            client_private_key=_read(settings.temporal_tls_key, "key"),
        )
    return bool(settings.temporal_tls or settings.temporal_api_key)


async def connect(settings: Settings | None = None, *, timeout: float = 10.0) -> Client:  # noqa: ASYNC109
    """Connect to Temporal as configured.

    Args:
        settings: Settings to use; default :func:`get_settings`.
        timeout: Seconds to wait for the server before giving up.

    Returns:
        A client using casework's data converter (:mod:`casework.converter`).

    Raises:
        EngineUnavailableError: When Temporal does not answer at the configured address.
        ConfigError: When TLS files cannot be read.
    """
    settings = settings or get_settings()
    tls = tls_config(settings)
    metadata: dict[str, str] = {}
    if settings.temporal_api_key:
        # Temporal Cloud routes API-key calls by this header as well as the bearer token.
        metadata["temporal-namespace"] = settings.temporal_namespace
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                api_key=settings.temporal_api_key or None,
                tls=tls,
                rpc_metadata=metadata,
                data_converter=DATA_CONVERTER,
            ),
            timeout,
        )
    except (RuntimeError, OSError, TimeoutError, RPCError) as exc:
        raise EngineUnavailableError(
            f"cannot reach Temporal at {settings.temporal_address}: {_why(exc)}",
            hint="run 'casework up' or set CASEWORK_TEMPORAL_ADDRESS",
        ) from exc


def _why(exc: BaseException) -> str:
    text = str(exc)
    low = text.lower()
    for needle, why in (
        ("connectionrefused", "connection refused"),
        ("connection refused", "connection refused"),
        ("dns error", "unknown host"),
        ("certificate", "TLS certificate problem"),
        ("unauthenticated", "not authenticated (check the API key or client certificate)"),
    ):
        if needle in low:
            return why
    if isinstance(exc, TimeoutError) or "timed out" in low or "deadline" in low:
        return "no answer (timed out)"
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:160]
