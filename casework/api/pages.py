"""Server-rendered web pages: case list, case detail, inbox, login (no external assets).

Pages authenticate with the same personal token as the API, kept in an
HTTP-only, ``SameSite=Strict`` cookie set by ``/ui/login``; a missing or bad
cookie redirects (303) to the login page. Task buttons post HTML forms that
go through the same :class:`~casework.api.backend.Backend` calls as the API.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from casework.api._errors import status_and_body
from casework.api.auth import COOKIE, backend_of, ensure_may_change
from casework.api.routes_tasks import ACTIONS
from casework.api.schemas import CasePage, InboxTask, TaskActionRequest, TaskPublic
from casework.client import split_task_id
from casework.contracts import Actor
from casework.errors import CaseworkError, NotFoundError, PermissionDeniedError
from casework.language.model import FieldSpec, ParallelStep, Step
from casework.language.plan import Plan

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(prefix="/ui", include_in_schema=False)

_CASE_FILTERS: list[tuple[str, list[str]]] = [
    (
        "status",
        ["open", "waiting", "resolved", "closed", "completed", "rejected", "cancelled", "failed"],
    ),
    ("process", []),
    ("region", []),
    ("team", []),
    ("priority", ["low", "normal", "high", "urgent"]),
    ("assignee", []),
    ("sla", ["on_track", "at_risk", "breached", "met", "none"]),
    ("opened_since", []),
    ("opened_until", []),
]
_TRUE = frozenset({"true", "on", "1", "yes"})


class LoginRequiredError(Exception):
    """Raised by page handlers when the cookie is missing or invalid."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def safe_next(value: str | None, default: str = "/ui") -> str:
    """Return ``value`` if it is a local page path, else ``default`` (no open redirects)."""
    if value and value.startswith("/ui") and "//" not in value and "\\" not in value:
        return value
    return default


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def page_actor(request: Request) -> Actor:
    """Return the person of the cookie token, or raise :class:`LoginRequiredError`."""
    token = request.cookies.get(COOKIE, "").strip()
    actor = await backend_of(request).actor_for_token(token) if token else None
    if actor is None:
        raise LoginRequiredError(_here(request))
    return actor


async def _form(request: Request) -> dict[str, str]:
    # urlencoded forms are parsed here so python-multipart is not needed
    raw = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _render(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("actor", None)
    context.setdefault("flash", request.query_params.get("flash", ""))
    return TEMPLATES.TemplateResponse(request, name, context, status_code=code)


def _error_page(
    request: Request, actor: Actor | None, exc: CaseworkError, back: str
) -> HTMLResponse:
    status, body = status_and_body(exc)
    return _render(
        request,
        "error.html",
        status,
        actor=actor,
        status=status,
        error=body.error,
        message=body.message,
        hint=body.hint,
        back=back,
    )


def _redirect(url: str, flash: str = "") -> RedirectResponse:
    if flash:
        url += ("&" if "?" in url else "?") + urlencode({"flash": flash})
    return RedirectResponse(url, status_code=303)


# ---- login ----------------------------------------------------------------------------------


async def _login(request: Request, token: str, next_url: str) -> Response:
    actor = await backend_of(request).actor_for_token(token) if token else None
    if actor is None:
        problem = "That token is unknown or revoked." if token else ""
        return _render(request, "login.html", 401 if token else 200, next=next_url, problem=problem)
    response = _redirect(next_url)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
        max_age=30 * 24 * 3600,
    )
    return response


@router.get("/login")
async def login_page(request: Request) -> Response:
    """The login form; ``?token=...`` logs in directly."""
    next_url = safe_next(request.query_params.get("next"))
    return await _login(request, request.query_params.get("token", "").strip(), next_url)


@router.post("/login")
async def login_post(request: Request) -> Response:
    """Log in with the token from the form."""
    form = await _form(request)
    return await _login(request, form.get("token", "").strip(), safe_next(form.get("next")))


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Forget the cookie."""
    response = _redirect("/ui/login")
    response.delete_cookie(COOKIE, path="/")
    return response


# ---- cases ----------------------------------------------------------------------------------


def _when(name: str, raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CaseworkError(
            f"{name} {raw!r} is not a date", hint="use YYYY-MM-DD or an ISO-8601 instant"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@router.get("")
async def case_list(request: Request) -> Response:
    """Cases with filters."""
    actor = await page_actor(request)
    values = {name: request.query_params.get(name, "").strip() for name, _ in _CASE_FILTERS}
    filters: dict[str, Any] = {}
    try:
        for name, choices in _CASE_FILTERS:
            raw = values[name]
            if not raw or (choices and raw not in choices):
                continue
            filters[name] = _when(name, raw) if name.startswith("opened_") else raw
        cursor = request.query_params.get("cursor") or None
        page: CasePage = await backend_of(request).list_cases(limit=50, cursor=cursor, **filters)
    except CaseworkError as exc:
        return _error_page(request, actor, exc, "/ui")
    next_query = {k: v for k, v in values.items() if v}
    next_query["cursor"] = page.next_cursor or ""
    return _render(
        request,
        "cases.html",
        actor=actor,
        page=page,
        filters=_CASE_FILTERS,
        values=values,
        next_url="/ui?" + urlencode(next_query),
    )


def find_step(steps: list[Step], step_id: str) -> Step | None:
    """Return the step ``step_id`` anywhere in ``steps`` (including parallel branches)."""
    for step in steps:
        if step.id == step_id:
            return step
        if isinstance(step, ParallelStep):
            for branch in step.branches:
                found = find_step(list(branch.steps), step_id)
                if found is not None:
                    return found
    return None


async def _task_forms(
    request: Request, tasks: Sequence[TaskPublic]
) -> dict[str, list[tuple[str, FieldSpec]]]:
    """Form fields of each task's step, from the plan of its case."""
    backend = backend_of(request)
    plans: dict[str, Plan | None] = {}
    forms: dict[str, list[tuple[str, FieldSpec]]] = {}
    for task in tasks:
        if task.case_id not in plans:
            try:
                case = await backend.case_record(task.case_id)
                plans[task.case_id] = await anyio.to_thread.run_sync(
                    backend.plans.resolve, case.process, case.version
                )
            except CaseworkError:
                plans[task.case_id] = None
        plan = plans[task.case_id]
        step = find_step(list(plan.definition.steps), task.step_id) if plan is not None else None
        spec: dict[str, FieldSpec] = getattr(step, "form", None) or {}
        forms[task.task_id] = list(spec.items())  # in the definition's order
    return forms


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: str) -> Response:
    """One case: fields, tasks, SLA clocks, timeline and the process diagram."""
    actor = await page_actor(request)
    backend = backend_of(request)
    try:
        detail = await backend.case_detail(case_id)
    except CaseworkError as exc:
        return _error_page(request, actor, exc, "/ui")
    diagram = ""
    with contextlib.suppress(CaseworkError):  # the page still shows the case without it
        diagram = await backend.diagram(detail.case.process, detail.case.version)
    tasks = detail.tasks
    if detail.live is not None and detail.live.tasks:
        tasks = [TaskPublic.model_validate(t.model_dump()) for t in detail.live.tasks]
    return _render(
        request,
        "case.html",
        actor=actor,
        d=detail,
        live=detail.live,
        tasks=tasks,
        clocks=detail.clocks
        or ([c.model_dump() for c in detail.live.clocks] if detail.live is not None else []),
        diagram=diagram,
        forms=await _task_forms(request, tasks),
        here=_here(request),
    )


# ---- inbox and task actions -----------------------------------------------------------------


@router.get("/inbox")
async def inbox_page(request: Request) -> Response:
    """The person's inbox with claim/complete buttons.

    ``?show=mine`` lists the tasks assigned to them, ``?show=available`` the
    open ones they may take; the default shows both, theirs first.
    """
    actor = await page_actor(request)
    show = request.query_params.get("show", "all")
    if request.query_params.get("mine", "").lower() in _TRUE:
        show = "mine"
    backend = backend_of(request)
    items: list[InboxTask] = []
    try:
        for mine in (True, False):
            if show == ("available" if mine else "mine"):
                continue
            page = await backend.inbox(
                actor, mine=mine, role=None, region=None, limit=100, cursor=None
            )
            seen = {t.task_id for t in items}
            items.extend(t for t in page.items if t.task_id not in seen)
    except CaseworkError as exc:
        return _error_page(request, actor, exc, "/ui")
    return _render(
        request,
        "inbox.html",
        actor=actor,
        items=items,
        show=show,
        forms=await _task_forms(request, items),
        here=_here(request),
    )


def coerce(spec: FieldSpec | None, raw: str) -> Any:
    """Turn a form string into the field's type (the workflow validator has the last word)."""
    kind = spec.type if spec is not None else "string"
    try:
        if kind == "integer":
            return int(raw)
        if kind in ("number", "money"):
            return float(raw)
    except ValueError:
        return raw  # the validator rejects it with the field's name
    if kind == "boolean":
        return raw.lower() in _TRUE
    if kind == "list":
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def check_origin(request: Request, actor: Actor) -> None:
    """Refuse a form posted from another site (defence in depth besides SameSite cookies)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise PermissionDeniedError(
            f"form posted from another site ({origin})",
            actor=actor.id,
            hint="use the casework pages themselves",
        )


@router.post("/tasks/{task_id}/{action}")
async def task_post(request: Request, task_id: str, action: str) -> Response:
    """Run a task action from a page form, then go back to the page it came from."""
    actor = await page_actor(request)
    form = await _form(request)
    back = safe_next(form.get("next"), "/ui/inbox")
    backend = backend_of(request)
    try:
        check_origin(request, actor)
        if action not in ACTIONS and action != "reassign":
            raise NotFoundError("task action", action, hint="use one of " + ", ".join(ACTIONS))
        ensure_may_change(actor)
        case_id, step_id, _ = split_task_id(task_id)
        probe = TaskPublic(
            task_id=task_id, case_id=case_id, step_id=step_id, kind="task", state="open"
        )
        specs = dict((await _task_forms(request, [probe])).get(task_id, []))
        values = {
            key[5:]: coerce(specs.get(key[5:]), value)
            for key, value in form.items()
            if key.startswith("form.") and value != ""
        }
        body = TaskActionRequest(
            form=values,
            outcome=form.get("outcome") or None,
            reason=form.get("reason") or None,
            comment=form.get("comment") or None,
        )
        update = ACTIONS.get(action, "reassign")
        view = await backend.task_action(
            actor, update, task_id, body, assignee=form.get("assignee") or None
        )
    except CaseworkError as exc:
        return _error_page(request, actor, exc, back)
    return _redirect(back, f"{view.name or view.step_id}: {action} done ({view.state})")


def install(app: FastAPI) -> None:
    """Add the pages and the login redirect to ``app``."""

    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequiredError)
        return RedirectResponse("/ui/login?next=" + quote(safe_next(exc.next_url)), status_code=303)

    app.add_exception_handler(LoginRequiredError, to_login)
    app.include_router(router)
