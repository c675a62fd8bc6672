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
    """Point casework's data directory at a temporary one for the whole run."""
    data = tmp_path_factory.mktemp("casework-data")
    old = os.environ.get("CASEWORK_DATA_DIR")
    os.environ["CASEWORK_DATA_DIR"] = str(data)
    get_settings.cache_clear()
    yield data
    if old is None:
        os.environ.pop("CASEWORK_DATA_DIR", None)
    else:
        os.environ["CASEWORK_DATA_DIR"] = old
    get_settings.cache_clear()
