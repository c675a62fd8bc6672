"""Fixtures of the API tests: settings on a throwaway records DB, people, tokens, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from casework.api.app import create_app
from casework.settings import Settings

DATA = Path(__file__).parent / "data"
DEFINITIONS = DATA / "definitions"
POLICIES = DATA / "policies"


def load_people(engine: Engine) -> None:
    """Put the test directory into the people table."""
    from casework.records.directory import load_directory

    load_directory(engine, POLICIES / "directory.yaml")


def make_token(engine: Engine, person_id: str) -> str:
    """Create an API token for ``person_id``."""
    from casework.records.tokens import create_token

    return create_token(engine, person_id=person_id, label="api-tests")


@pytest.fixture
def api_settings(db_url: str, tmp_path: Path, task_queue: str) -> Settings:
    """Settings on the test records DB, the test definitions and policies, a fresh task queue."""
    return Settings(
        data_dir=tmp_path,
        database_url=db_url,
        definitions_dir=DEFINITIONS,
        policies_dir=POLICIES,
        task_queue=task_queue,
        # nothing listens here: tests that need Temporal pass their own client
        temporal_address="127.0.0.1:1",
    )


@pytest.fixture
def tokens(db_engine: Engine) -> dict[str, str]:
    """People loaded, and one token per person id (alice, bob, lee, vera)."""
    load_people(db_engine)
    return {p: make_token(db_engine, p) for p in ("alice", "bob", "lee", "vera")}


def auth(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(api_settings: Settings, db_engine: Engine) -> FastAPI:
    """The app without a reachable Temporal (records-only endpoints)."""
    return create_app(api_settings, engine=db_engine)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to ``app`` in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client
