"""Authentication and authorisation: 401 without a valid token, 403 when not allowed.

The route lists come from the app itself, so a new endpoint is covered the
moment it is added.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api._routes import fill, mutating_routes, read_routes
from tests.api.conftest import auth

MUTATING = mutating_routes()
READS = read_routes()


def test_route_lists_are_complete() -> None:
    assert ("POST", "/cases") in MUTATING
    assert ("POST", "/tasks/{task_id}/request-changes") in MUTATING
    assert ("POST", "/ui/tasks/{task_id}/{action}") in MUTATING
    assert "/cases/{case_id}/timeline" in READS
    assert len(MUTATING) >= 12


@pytest.fixture
def _database(_sqlite_database: Any) -> Any:
    """The auth matrix does not depend on the dialect: run it on SQLite only."""
    _sqlite_database.empty()
    return _sqlite_database


def _is_page(path: str) -> bool:
    return path.startswith("/ui")


@pytest.mark.parametrize(("method", "path"), MUTATING)
@pytest.mark.parametrize("token", [None, "cw_deadbeef_not-a-real-token"])
async def test_mutation_without_valid_token_is_401(
    http: httpx.AsyncClient, tokens: dict[str, str], method: str, path: str, token: str | None
) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    cookies = {} if token is None else {"casework_token": token}
    http.cookies.update(cookies)
    response = await http.request(method, fill(path), headers=headers, json={})
    if _is_page(path):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/ui/login?next=")
    else:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
        body = response.json()
        assert body["error"] == "unauthenticated"
        assert body["message"]
        assert "casework token create" in body["hint"]


@pytest.mark.parametrize(("method", "path"), MUTATING)
async def test_mutation_by_read_only_person_is_403(
    http: httpx.AsyncClient, tokens: dict[str, str], method: str, path: str
) -> None:
    if _is_page(path):
        http.cookies.set("casework_token", tokens["vera"])
        response = await http.request(method, fill(path), content=b"next=/ui/inbox")
        assert response.status_code == 403
        assert "may only read" in response.text
    else:
        response = await http.request(method, fill(path), headers=auth(tokens["vera"]), json={})
        assert response.status_code == 403, response.text
        body = response.json()
        assert body == {
            "error": "forbidden",
            "message": "person 'vera' may only read (roles: viewer)",
            "hint": body["hint"],
        }
        assert body["hint"]


@pytest.mark.parametrize("path", READS)
async def test_read_without_token_is_401_or_login(
    http: httpx.AsyncClient, tokens: dict[str, str], path: str
) -> None:
    response = await http.get(fill(path))
    if _is_page(path):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/ui/login")
    else:
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic YWxpY2U6eA==", "bearer x y"])
async def test_malformed_authorization_is_401(http: httpx.AsyncClient, header: str) -> None:
    response = await http.post("/cases", headers={"Authorization": header}, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
