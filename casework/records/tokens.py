"""API tokens: people authenticate to the HTTP API with a bearer secret.

Only the SHA-256 of a secret is stored; the secret itself is shown once, at
creation. A token looks like ``cw_<id>_<secret>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from pydantic import BaseModel
from sqlalchemy import Engine, select, update

from casework.errors import NotFoundError
from casework.records.directory import require_person
from casework.records.tables import api_tokens, people

PREFIX = "cw_"


class TokenInfo(BaseModel):
    """A token without its secret."""

    id: str
    person_id: str
    label: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


def hash_token(token: str) -> str:
    """Return the stored form of ``token`` (SHA-256 hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, *, person_id: str, label: str = "") -> str:
    """Create a token for an active person and return its secret (shown only once).

    Raises:
        NotFoundError: The person is unknown or inactive.
    """
    require_person(engine, person_id)
    token_id = secrets.token_hex(4)
    token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    with engine.begin() as conn:
        conn.execute(
            api_tokens.insert().values(
                id=token_id,
                person_id=person_id,
                token_hash=hash_token(token),
                label=label,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    return token


def verify_token(engine: Engine, token: str) -> str | None:
    """Return the person id of a valid, unrevoked token of an active person, else None.

    Records ``last_used_at`` on success.
    """
    if not token.startswith(PREFIX):
        return None
    with engine.begin() as conn:
        row = conn.execute(
            select(api_tokens.c.id, api_tokens.c.person_id)
            .join(people, people.c.id == api_tokens.c.person_id)
            .where(
                api_tokens.c.token_hash == hash_token(token),
                api_tokens.c.revoked_at.is_(None),
                people.c.active.is_(True),
            )
        ).first()
        if row is None:
            return None
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == row.id)
            .values(last_used_at=dt.datetime.now(dt.UTC))
        )
        return str(row.person_id)


def revoke_token(engine: Engine, token_id: str) -> TokenInfo:
    """Revoke a token by id (revoking twice keeps the first time).

    Raises:
        NotFoundError: No token has this id.
    """
    with engine.begin() as conn:
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
        row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
    if row is None:
        raise NotFoundError("token", token_id, hint="see `casework token list`")
    return TokenInfo.model_validate(dict(row))


def list_tokens(
    engine: Engine, *, person_id: str | None = None, include_revoked: bool = False
) -> list[TokenInfo]:
    """Return tokens (without secrets), newest first."""
    query = select(api_tokens).order_by(api_tokens.c.created_at.desc(), api_tokens.c.id)
    if person_id is not None:
        query = query.where(api_tokens.c.person_id == person_id)
    if not include_revoked:
        query = query.where(api_tokens.c.revoked_at.is_(None))
    with engine.connect() as conn:
        return [TokenInfo.model_validate(dict(r)) for r in conn.execute(query).mappings()]
