"""Web pages: login by cookie, case list, case detail, inbox and task buttons."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from casework.api.app import create_app
from casework.api.pages import coerce, safe_next
from casework.converter import DATA_CONVERTER
from casework.language.compiler import load_plans
from casework.language.model import FieldSpec
from casework.settings import Settings
from tests.api._live import eventually, in_records, open_ticket
from tests.api.conftest import DEFINITIONS, POLICIES

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def _database(_sqlite_database: object) -> object:
    """Pages render the same data on both dialects: SQLite only."""
    _sqlite_database.empty()  # type: ignore[attr-defined]
    return _sqlite_database


@pytest.fixture
async def site(
    api_settings: Settings, db_engine: Engine, time_env: WorkflowEnvironment, tokens: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client (cookies, no redirects followed) on an app with a worker."""
    from workers.worker import build_worker

    config = time_env.client.config()
    config["data_converter"] = DATA_CONVERTER
    client = Client(**config)
    worker = build_worker(
        client,
        api_settings,
        load_plans(DEFINITIONS, POLICIES),
        engine=db_engine,
        task_queue=api_settings.task_queue,
    )
    app = create_app(api_settings, engine=db_engine, temporal_client=client)
    transport = httpx.ASGITransport(app=app)
    async with (
        worker,
        httpx.AsyncClient(transport=transport, base_url="http://casework.local") as browser,
    ):
        yield browser


async def _login(site: httpx.AsyncClient, token: str) -> None:
    response = await site.get("/ui/login", params={"token": token, "next": "/ui/inbox"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/inbox"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    site.cookies.set("casework_token", token)


async def test_pages_flow(site: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    # no cookie: every page sends you to the login form
    response = await site.get("/ui/inbox")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=/ui/inbox"
    login = await site.get("/ui/login?next=/ui/inbox")
    assert login.status_code == 200
    assert 'name="token"' in login.text
    bad = await site.post("/ui/login", content=b"token=nope&next=/ui", headers=FORM)
    assert bad.status_code == 401
    assert "unknown or revoked" in bad.text

    await _login(site, tokens["alice"])
    case_id = (await open_ticket(site, tokens["alice"]))["case_id"]
    task_id = f"{case_id}.triage.1"
    await in_records(site, tokens["alice"], case_id, status="open")

    listing = await site.get("/ui", params={"status": "open", "priority": "normal"})
    assert listing.status_code == 200
    assert case_id in listing.text
    assert "<script" not in listing.text
    assert "http://" not in listing.text  # no CDN: every asset is local
    assert "https://" not in listing.text

    async def inbox_has_task() -> bool:
        page = await site.get("/ui/inbox")
        return page.status_code == 200 and task_id in page.text

    await eventually(inbox_has_task)
    inbox = await site.get("/ui/inbox")
    assert f'action="/ui/tasks/{task_id}/claim"' in inbox.text
    assert 'name="form.summary"' in inbox.text

    claimed = await site.post(f"/ui/tasks/{task_id}/claim", content=b"next=/ui/inbox", headers=FORM)
    assert claimed.status_code == 303, claimed.text
    assert claimed.headers["location"].startswith("/ui/inbox?flash=")

    async def shown_as_mine() -> bool:
        page = await site.get("/ui/inbox")
        return f'action="/ui/tasks/{task_id}/release"' in page.text

    await eventually(shown_as_mine)  # claimed tasks stay in the default inbox view
    assert task_id in (await site.get("/ui/inbox?show=mine")).text
    assert task_id not in (await site.get("/ui/inbox?show=available")).text
    again = await site.post(f"/ui/tasks/{task_id}/claim", content=b"next=/ui/inbox", headers=FORM)
    assert again.status_code == 409
    assert "already claimed" in again.text

    body = f"next=/ui/cases/{case_id}&form.summary=on+fire&form.minutes=7&outcome=resolved"
    done = await site.post(f"/ui/tasks/{task_id}/complete", content=body.encode(), headers=FORM)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(f"/ui/cases/{case_id}?flash=")

    await in_records(site, tokens["alice"], case_id, status="resolved")
    detail = await site.get(f"/ui/cases/{case_id}")
    assert detail.status_code == 200
    assert "flowchart TD" in detail.text  # the Mermaid diagram, as text
    assert "case_opened" in detail.text
    assert "task_completed" in detail.text
    assert "resolved" in detail.text

    missing = await site.get("/ui/cases/C-000000-000000")
    assert missing.status_code == 404
    out = await site.post("/ui/logout")
    assert out.status_code == 303
    assert "casework_token=" in out.headers["set-cookie"]


async def test_page_action_refused_for_other_region(
    site: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    case_id = (await open_ticket(site, tokens["alice"]))["case_id"]
    site.cookies.set("casework_token", tokens["bob"])
    page = await site.post(
        f"/ui/tasks/{case_id}.triage.1/claim", content=b"next=https://evil.example/", headers=FORM
    )
    assert page.status_code == 403
    assert "region" in page.text
    assert re.search(r'href="/ui/inbox"', page.text)  # the open redirect was ignored


async def test_form_from_another_site_is_refused(
    site: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    site.cookies.set("casework_token", tokens["alice"])
    page = await site.post(
        "/ui/tasks/C-000000-000000.triage.1/claim",
        content=b"next=/ui/inbox",
        headers={**FORM, "origin": "https://evil.example"},
    )
    assert page.status_code == 403
    assert "another site" in page.text


def test_safe_next_and_coerce() -> None:
    assert safe_next("/ui/cases/C-1") == "/ui/cases/C-1"
    for bad in ("https://evil.example", "//evil.example", "/docs", "/ui\\x", "", None):
        assert safe_next(bad) == "/ui"
    assert coerce(FieldSpec(type="integer"), "7") == 7
    assert coerce(FieldSpec(type="integer"), "seven") == "seven"
    assert coerce(FieldSpec(type="number"), "1.5") == 1.5
    assert coerce(FieldSpec(type="boolean"), "true") is True
    assert coerce(FieldSpec(type="list", items="string"), "a, b,,c") == ["a", "b", "c"]
    assert coerce(None, "x") == "x"
