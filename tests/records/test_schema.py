"""Migrations create the schema the tables describe, on both dialects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select

from casework.errors import ConfigError, RecordsError
from casework.records import tables
from casework.records.db import (
    current_revision,
    ensure_current,
    head_revision,
    make_engine,
    normalise_url,
    upgrade,
)


def test_migrated_schema_matches_tables(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, tables.metadata)
    assert diff == []


def test_current_revision_is_head(db_url: str) -> None:
    assert current_revision(db_url) == head_revision()


def test_upgrade_from_empty_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'r.db'}"
    assert current_revision(url) is None
    engine = make_engine(url)
    with pytest.raises(RecordsError, match="casework db upgrade"):
        ensure_current(engine)
    assert upgrade(url) == head_revision()
    assert upgrade(url) == head_revision()  # idempotent
    ensure_current(engine)
    engine.dispose()


def test_datetimes_are_aware_utc_and_ordered(db_engine: Engine) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    times = [
        dt.datetime(2026, 3, 1, 12, 0, tzinfo=paris),  # 11:00 UTC
        dt.datetime(2026, 3, 1, 11, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 10, 59, 59, 999999, tzinfo=dt.UTC),
    ]
    with db_engine.begin() as conn:
        for i, at in enumerate(times):
            conn.execute(
                tables.case_events.insert().values(
                    case_id="C-1", seq=i + 1, at=at, kind="x", actor="a", details={"i": i}
                )
            )
        rows = conn.execute(
            select(tables.case_events.c.seq, tables.case_events.c.at)
            .where(tables.case_events.c.at >= dt.datetime(2026, 3, 1, 11, 0, tzinfo=dt.UTC))
            .order_by(tables.case_events.c.at)
        ).all()
    assert [r.seq for r in rows] == [1, 2]
    assert rows[0].at == times[0]
    assert rows[0].at.tzinfo is not None
    assert rows[0].at.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_normalise_url(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_bad_url_is_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)


def test_unreachable_postgres_is_records_error() -> None:
    with pytest.raises(RecordsError, match="cannot read"):
        current_revision("postgresql://postgres@127.0.0.1:1/nothing")


def test_upgrade_step_by_step(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'steps.db'}"
    assert upgrade(url, "0001") == "0001"
    engine = make_engine(url)
    with pytest.raises(RecordsError, match="revision 0001"):
        ensure_current(engine)
    assert upgrade(url) == head_revision() == "0003"
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        assert compare_metadata(ctx, tables.metadata) == []
    engine.dispose()


def test_a_read_only_transaction_does_not_block_writers_on_sqlite(tmp_path: Path) -> None:
    from sqlalchemy import func

    from casework.records.db import READ_ONLY

    url = f"sqlite:///{tmp_path / 'ro.db'}"
    upgrade(url)
    engine = make_engine(url, connect_args={"timeout": 0.2})  # busy timeout: fail fast
    try:
        with engine.connect().execution_options(**READ_ONLY) as reader:
            reader.execute(select(func.count()).select_from(tables.cases)).scalar_one()
            with engine.begin() as writer:  # a report is reading: writes go on
                writer.execute(tables.effects.delete())
    finally:
        engine.dispose()
