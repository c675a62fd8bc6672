"""Public endpoints, token life cycle, people and definitions (both databases)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from casework.api.app import create_app
from casework.settings import Settings
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
    assert (await http.get("/")).headers["location"] == "/ui"
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


async def test_people_and_me(http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    people = (await http.get("/people", headers=auth(tokens["bob"]))).json()
    assert [p["id"] for p in people] == ["alice", "bob", "lee", "vera"]
    me = (await http.get("/people/me", headers=auth(tokens["lee"]))).json()
    assert me["roles"] == ["team-lead", "agent"]
    assert me["region"] == "emea"
    assert (await http.get("/workload", headers=auth(tokens["lee"]))).json() == []
    team = (await http.get("/workload?team=support", headers=auth(tokens["lee"]))).json()
    assert {row["person"] for row in team} == {"alice", "bob", "lee"}


async def test_definitions(http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    head = auth(tokens["vera"])  # reading is fine for read-only people
    listed = (await http.get("/definitions", headers=head)).json()
    assert listed == [
        {
            "process": "api_ticket",
            "title": "API test ticket",
            "latest_version": 1,
            "versions": [1],
        }
    ]
    one = (await http.get("/definitions/api_ticket", headers=head)).json()
    assert one["version"] == 1
    assert len(one["hash"]) == 64
    assert [s["id"] for s in one["steps"]] == ["triage", "review", "refused", "done"]
    assert one["case_fields"]["region"] == "enum"
    assert one["events"] == ["customer_replied"]
    diagram = await http.get("/definitions/api_ticket/diagram", headers=head)
    assert diagram.status_code == 200
    assert diagram.headers["content-type"].startswith("text/plain")
    assert diagram.text.startswith("flowchart TD")
    missing = await http.get("/definitions/nope/diagram", headers=head)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    no_version = await http.get("/definitions/api_ticket?version=7", headers=head)
    assert no_version.status_code == 404
    assert "known versions: 1" in no_version.json()["hint"]


async def test_empty_lists_and_validation_errors(
    http: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    head = auth(tokens["alice"])
    assert (await http.get("/cases", headers=head)).json() == {"items": [], "next_cursor": None}
    assert (await http.get("/tasks", headers=head)).json() == {"items": [], "next_cursor": None}
    bad = await http.get("/cases?priority=extreme&limit=0", headers=head)
    assert bad.status_code == 422
    body = bad.json()
    assert body["error"] == "invalid_request"
    assert body["message"].startswith("query.priority: ")
    assert body["message"].endswith("(and 1 more)")
    assert {d["where"] for d in body["details"]} == {"query.priority", "query.limit"}
    no_body = await http.post("/cases", headers=head, content=b"{not json")
    assert no_body.status_code == 422
    assert no_body.json()["error"] == "invalid_request"
    missing = await http.get("/cases/C-000000-000000", headers=head)
    assert missing.status_code == 404
    assert missing.json()["message"] == "case 'C-000000-000000' not found"
    timeline = await http.get("/cases/C-000000-000000/timeline", headers=head)
    assert timeline.status_code == 404
    cursor = await http.get("/cases?cursor=garbage", headers=head)
    assert cursor.status_code == 400
    assert cursor.json()["error"] == "bad_request"
    assert cursor.json()["message"] == "invalid cursor 'garbage'"


async def test_engine_down_is_503_not_500(http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    response = await http.post(
        "/cases",
        json={"process": "api_ticket", "data": {"title": "t", "region": "emea"}},
        headers=auth(tokens["alice"]),
    )
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "engine_unavailable"
    assert "127.0.0.1:1" in body["message"]
    assert "casework up" in body["hint"]


async def test_records_down_is_503(api_settings: Settings) -> None:
    from casework.records.db import make_engine

    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    app = create_app(api_settings, engine=dead)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        response = await client.get("/cases", headers=auth("cw_deadbeef_x"))
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "records_unavailable"
    assert "casework db upgrade" in body["hint"]


async def test_undeployed_version_is_not_opened(
    http: httpx.AsyncClient,
    tokens: dict[str, str],
    db_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from casework.language.compiler import load_plans
    from casework.registry import PlanRegistry

    # plans other tests' workers registered in this process must not count as deployed
    monkeypatch.setattr("casework.api._plans.REGISTRY", PlanRegistry())
    from casework.language.plan import seal
    from casework.records.directory import deploy_definitions
    from tests.api.conftest import DEFINITIONS, POLICIES

    (shipped,) = load_plans(DEFINITIONS, POLICIES)
    content = shipped.model_dump(mode="json")
    content["version"] = 2
    content["definition"]["version"] = 2
    deploy_definitions(db_engine, [seal(content)], "tests")
    response = await http.post(
        "/cases",
        json={"process": "api_ticket", "version": 1, "data": {"title": "t", "region": "emea"}},
        headers=auth(tokens["alice"]),
    )
    assert response.status_code == 409
    assert response.json()["error"] == "not_deployed"
    assert "api_ticket@1 is not deployed" in response.json()["message"]
    listed = (await http.get("/definitions", headers=auth(tokens["alice"]))).json()
    assert listed[0]["versions"] == [1, 2]


async def test_case_from_records_while_engine_is_down(
    http: httpx.AsyncClient, tokens: dict[str, str], db_engine: Engine
) -> None:
    import datetime as dt

    from casework.contracts import CaseEvent, CaseView, ProjectionBatch
    from casework.records.projection import apply_batch

    at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    view = CaseView(
        case_id="C-261201-0000AA",
        process="api_ticket",
        version=1,
        plan_hash="0" * 64,
        status="open",
        opened_by="alice",
        opened_at=at,
        region="emea",
        last_seq=1,
        data={"title": "From the records", "region": "emea"},
    )
    event = CaseEvent(seq=1, at=at, kind="case_opened", actor="alice")
    apply_batch(db_engine, ProjectionBatch(case_id=view.case_id, events=[event], snapshot=view))
    response = await http.get(f"/cases/{view.case_id}", headers=auth(tokens["bob"]))
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["case"]["data"]["title"] == "From the records"
    assert [e["kind"] for e in detail["timeline"]] == ["case_opened"]
    assert detail["live"] is None
    assert "cannot reach Temporal" in detail["live_error"]
    page = await http.get("/ui/login", params={"token": tokens["bob"]})
    http.cookies.set("casework_token", tokens["bob"])
    assert page.status_code == 303
    html = await http.get(f"/ui/cases/{view.case_id}")
    assert html.status_code == 200
    assert "Live state unavailable" in html.text
    assert "flowchart TD" in html.text
