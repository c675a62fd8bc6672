"""Bearer-token authentication: every request acts as the person who owns the token.

Tokens are created with ``casework token create --user U`` and verified with
:mod:`casework.records.tokens`. The API sends ``Authorization: Bearer <token>``;
the web pages carry the same token in the ``casework_token`` cookie (set by
``/ui/login``). The person is looked up in the directory and becomes the
:class:`~casework.contracts.Actor` passed to the workflow, whose Update
validators enforce roles, region and four-eyes.

Who may do what at the API level (the workflow checks the rest):

* ``/healthz``, ``/docs``, ``/openapi.json`` and ``/ui/login``: anyone.
* every other read: any authenticated, active person.
* every mutating endpoint: an authenticated person with at least one role that
  is not read-only (:data:`READ_ONLY_ROLES`); others get 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from casework.contracts import Actor
from casework.errors import PermissionDeniedError

if TYPE_CHECKING:
    from casework.api.backend import Backend

#: Roles that only allow reading: a person holding nothing else may not change anything.
READ_ONLY_ROLES = frozenset({"viewer", "auditor", "observer"})
#: Name of the cookie the web pages keep the token in.
COOKIE = "casework_token"
#: (method, path) of mutating routes that need no authentication.
PUBLIC_MUTATIONS = frozenset({("POST", "/ui/login"), ("POST", "/ui/logout")})

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A personal API token from `casework token create --user U`.",
)


def backend_of(request: Request) -> Backend:
    """Return the :class:`Backend` the app was built with."""
    backend: Backend = request.app.state.backend
    return backend


def _unauthenticated(message: str, hint: str, *, invalid: bool) -> HTTPException:
    challenge = 'Bearer error="invalid_token"' if invalid else 'Bearer realm="casework"'
    return HTTPException(
        status_code=401,
        detail={"error": "unauthenticated", "message": message, "hint": hint},
        headers={"WWW-Authenticate": challenge},
    )


async def actor_for_token(request: Request, token: str) -> Actor | None:
    """Return the actor owning ``token``, or None when it is unknown or revoked."""
    return await backend_of(request).actor_for_token(token)


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Actor:
    """FastAPI dependency: the authenticated person, or 401 with ``WWW-Authenticate: Bearer``."""
    if credentials is None or not credentials.credentials.strip():
        raise _unauthenticated(
            "this endpoint needs a bearer token",
            "send 'Authorization: Bearer <token>' (create one: casework token create --user U)",
            invalid=False,
        )
    actor = await actor_for_token(request, credentials.credentials.strip())
    if actor is None:
        raise _unauthenticated(
            "the bearer token is unknown or revoked",
            "create a new one with 'casework token create --user U'",
            invalid=True,
        )
    return actor


def ensure_may_change(actor: Actor) -> Actor:
    """Raise :class:`PermissionDeniedError` when ``actor`` may only read."""
    if not set(actor.roles) - READ_ONLY_ROLES:
        raise PermissionDeniedError(
            f"person {actor.id!r} may only read (roles: {', '.join(actor.roles) or 'none'})",
            actor=actor.id,
            hint="give them a working role in the directory (policies/directory.yaml)",
        )
    return actor


async def writing_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    """FastAPI dependency: the authenticated person, who must be allowed to change things (403)."""
    return ensure_may_change(actor)


#: Annotated dependency for reads.
Reader = Annotated[Actor, Depends(current_actor)]
#: Annotated dependency for mutations.
Writer = Annotated[Actor, Depends(writing_actor)]
