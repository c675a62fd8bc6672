"""Fixtures of the reporting tests: the hand-computed records loaded into ``db_engine``."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.reporting import _data


@pytest.fixture
def loaded(db_engine: Engine) -> Engine:
    """``db_engine`` (SQLite and PostgreSQL) holding the fixture of ``_data``."""
    _data.load(db_engine)
    return db_engine
