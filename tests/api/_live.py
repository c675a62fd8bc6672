"""Helpers of the tests that run real cases: a worker on the time-skipping server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.api.conftest import auth


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, within: float = 20.0, every: float = 0.1
) -> Any:
    """Call ``probe`` until it returns something truthy (the records lag the workflow a little)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last: {value!r})")
        await asyncio.sleep(every)


async def open_ticket(http: httpx.AsyncClient, token: str, **data: Any) -> dict[str, Any]:
    """Open an api_ticket case and return its CaseView JSON."""
    body = {"title": "Printer on fire", "region": "emea", "customer": "ACME", **data}
    response = await http.post(
        "/cases", json={"process": "api_ticket", "data": body}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    view: dict[str, Any] = response.json()
    return view


async def act(
    http: httpx.AsyncClient, token: str, task_id: str, action: str, **body: Any
) -> httpx.Response:
    """POST a task action."""
    return await http.post(f"/tasks/{task_id}/{action}", json=body, headers=auth(token))


async def in_records(http: httpx.AsyncClient, token: str, case_id: str, **expect: Any) -> Any:
    """Wait until GET /cases/{id} shows the case in the records with ``expect`` fields."""

    last: list[Any] = []

    async def probe() -> Any:
        response = await http.get(f"/cases/{case_id}", headers=auth(token))
        last[:] = [response.status_code, response.text[:600]]
        if response.status_code != 200:
            return None
        detail = response.json()
        case = detail["case"]
        if not detail["timeline"] or any(case.get(k) != v for k, v in expect.items()):
            return None
        return detail

    try:
        return await eventually(probe)
    except AssertionError as exc:
        raise AssertionError(f"case {case_id} never showed {expect}: {last}") from exc
