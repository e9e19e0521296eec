"""FastAPI dependencies every router shares: the caller's identity and roles, and the objects
the app created at start-up.

A router asks for what it needs by type (`provided(KnowledgeBase)`), so no package imports
another's wiring: `cascade/app.py` registers the instances once, in `lifespan`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.auth import Principal, Role, TokenStore
from core.clock import Clock
from core.settings import Settings

T = TypeVar("T")


def register(app: FastAPI, provided_objects: Mapping[type, object]) -> None:
    """Make each object available to routes that ask for its type."""
    app.state.provided = dict(provided_objects)


@cache
def provided(kind: type[T]) -> Callable[[Request], T]:
    """A dependency returning the `kind` the app registered (cached, so FastAPI resolves it
    once per request however many routes' dependencies ask for it)."""

    def get(request: Request) -> T:
        try:
            return request.app.state.provided[kind]
        except (AttributeError, KeyError):
            raise RuntimeError(f"nothing registered for {kind.__name__}") from None

    get.__name__ = f"provided_{kind.__name__}"
    return get


TokensDep = Annotated[TokenStore, Depends(provided(TokenStore))]
ClockDep = Annotated[Clock, Depends(provided(Clock))]
SettingsDep = Annotated[Settings, Depends(provided(Settings))]

bearer = HTTPBearer(auto_error=False)


def principal(
    request: Request,
    tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, kept on the request too (`request.state.principal`): the audit log
    (`core.audit`) records staff requests by the identity the route itself resolved."""
    if credentials is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    found = tokens.resolve(credentials.credentials)
    if found is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = found
    return found


def maybe_principal(
    request: Request,
    tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """The caller if they sent a valid token, else None (for endpoints open to everyone)."""
    return None if credentials is None else principal(request, tokens, credentials)


def require(role: Role, *others: Role) -> Callable[..., Any]:
    """A dependency letting through a caller holding `role` (or any of `others`)."""
    roles = (role, *others)

    def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not any(who.has(r) for r in roles):
            names = " or ".join(r.value for r in roles)
            raise HTTPException(403, f"this needs the {names} role")
        return who

    return check


PrincipalDep = Annotated[Principal, Depends(principal)]
