"""Test-suite wide set-up: isolated settings, and the shared fixture plugins."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from casework.settings import get_settings

pytest_plugins = ["tests.fixtures.temporal", "tests.fixtures.database"]


@pytest.fixture(autouse=True, scope="session")
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point casework's data directory at a temporary one for the whole run.

    Workers of the suite (in process and spawned) run sandboxed, unlike the shipped
    default: the sandbox is what catches a non-deterministic call in the interpreter.
    """
    data = tmp_path_factory.mktemp("casework-data")
    env = {"CASEWORK_DATA_DIR": str(data), "CASEWORK_WORKER_SANDBOX": "true"}
    old = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    yield data
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _registry_restored() -> Iterator[None]:
    """Leave the process-wide plan registry as each test found it (tests register plans)."""
    from casework.registry import REGISTRY

    known = REGISTRY.plans()
    yield
    REGISTRY.clear()
    for plan in known:
        REGISTRY.put(plan)
