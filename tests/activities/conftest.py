"""Fixtures of the activity tests: the activities write to the per-test records database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from activities import _db
from casework.records.tables import people


@pytest.fixture
def engine(db_engine: Engine) -> Iterator[Engine]:
    """The records engine the activities use during the test (sqlite and postgresql)."""
    with _db.use_engine(db_engine):
        yield db_engine


def add_person(engine: Engine, pid: str, *roles: str, **extra: Any) -> None:
    """Insert one person into the people table."""
    row: dict[str, Any] = {
        "id": pid,
        "name": pid.title(),
        "email": f"{pid}@example.com",
        "roles": list(roles),
        "team": None,
        "region": "emea",
        "skills": [],
        "manager": None,
        "active": True,
    }
    row.update(extra)
    with engine.begin() as conn:
        conn.execute(people.insert().values(row))


def count(engine: Engine, table: Any) -> int:
    """Rows in ``table``."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
