"""API tokens: shown once, stored hashed, verified, revoked."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from casework.errors import NotFoundError
from casework.records.directory import load_directory
from casework.records.tables import api_tokens
from casework.records.tokens import create_token, list_tokens, revoke_token, verify_token
from tests.records.test_directory import directory


def test_token_lifecycle(db_engine: Engine) -> None:
    load_directory(db_engine, directory("ann", "ben"))
    token = create_token(db_engine, person_id="ann", label="laptop")
    with db_engine.connect() as conn:
        stored = conn.execute(select(api_tokens.c.token_hash)).scalar_one()
    assert token not in stored
    [info] = list_tokens(db_engine)
    assert (info.person_id, info.label, info.last_used_at) == ("ann", "laptop", None)
    assert verify_token(db_engine, token) == "ann"
    assert list_tokens(db_engine, person_id="ann")[0].last_used_at is not None
    assert verify_token(db_engine, token + "x") is None
    assert verify_token(db_engine, "garbage") is None
    revoked = revoke_token(db_engine, info.id)
    assert revoked.revoked_at is not None
    assert revoke_token(db_engine, info.id).revoked_at == revoked.revoked_at
    assert verify_token(db_engine, token) is None
    assert list_tokens(db_engine) == []
    assert len(list_tokens(db_engine, include_revoked=True)) == 1


def test_inactive_people_cannot_use_or_get_tokens(db_engine: Engine) -> None:
    load_directory(db_engine, directory("ann", "ben"))
    token = create_token(db_engine, person_id="ben")
    load_directory(db_engine, directory("ann"))
    assert verify_token(db_engine, token) is None
    with pytest.raises(NotFoundError, match="ben"):
        create_token(db_engine, person_id="ben")
    with pytest.raises(NotFoundError, match="token"):
        revoke_token(db_engine, "nope")
