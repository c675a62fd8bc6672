"""A local Prefect server for ``casework report serve`` when no PREFECT_API_URL is set."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from casework.errors import ConfigError
from casework.settings import get_settings

STARTUP_TIMEOUT_S = 120.0


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@contextmanager
def local_prefect_server(port: int = 4200) -> Iterator[str]:
    """Run ``prefect server start`` on 127.0.0.1:``port`` for the ``with`` block.

    PREFECT_HOME (the server's SQLite database and logs) is ``<data dir>/prefect``;
    ``PREFECT_API_URL`` is set in this process to point at it.

    Yields:
        The server's base URL (the UI); the API is at ``<url>/api``.

    Raises:
        ConfigError: the port is taken or the server did not come up.
    """
    if not _port_free(port):
        raise ConfigError(
            f"port {port} on 127.0.0.1 is already in use",
            hint="pass --port, or set PREFECT_API_URL to use the Prefect server already there",
        )
    home = get_settings().data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "casework.reporting._prefect_compat", "server", "start",
         "--host", "127.0.0.1",
         "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Same process group as ours: whoever stops our group (Ctrl-C, `casework up`)
        # stops the server too, even if this process is killed before its `finally`.
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, url, home / "server.log")
        os.environ["PREFECT_API_URL"] = f"{url}/api"
        yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log_path: object) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ConfigError(
                f"the local Prefect server exited with status {proc.returncode}",
                hint=f"see {log_path}",
            )
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ConfigError(
        f"the local Prefect server did not answer on {url} within {STARTUP_TIMEOUT_S:.0f} s",
        hint=f"see {log_path}",
    )
