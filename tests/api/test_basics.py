"""Public endpoints, token life cycle, people and definitions (both databases)."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from tests.api.conftest import auth


async def test_revoked_token_is_401(
    http: httpx.AsyncClient, tokens: dict[str, str], db_engine: Engine
) -> None:
    from casework.records.tokens import list_tokens, revoke_token

    ok = await http.get("/people/me", headers=auth(tokens["alice"]))
    assert ok.status_code == 200
    assert ok.json()["id"] == "alice"
    for info in list_tokens(db_engine, person_id="alice"):
        revoke_token(db_engine, info.id)
    response = await http.get("/people/me", headers=auth(tokens["alice"]))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_public_endpoints_need_no_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json()["status"] == "ok"
    assert (await http.get("/openapi.json")).status_code == 200
    docs = await http.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assert (await http.get("/static/swagger/swagger-ui-bundle.js")).status_code == 200


async def test_openapi_declares_bearer_security(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {"bearer": []} in spec["paths"]["/cases"]["post"]["security"]
    assert "security" not in spec["paths"]["/healthz"]["get"]
