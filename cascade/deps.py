"""FastAPI dependencies shared by every router: the services and the caller's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cascade.auth import Principal, Role, TokenStore
from cascade.clock import Clock
from cascade.db import Storage
from cascade.settings import Settings

if TYPE_CHECKING:
    from cascade.realtime import Realtime
    from conversations.rasa import Bot
    from conversations.service import ConversationService
    from handoff.agents import AgentService
    from handoff.desk import Desk
    from handoff.outbox import Outbox
    from handoff.queue import Queue
    from handoff.tickets import TicketStore
    from knowledge_base.service import KnowledgeBase


@dataclass
class Services:
    settings: Settings
    storage: Storage
    clock: Clock
    tokens: TokenStore
    kb: KnowledgeBase
    bot: Bot
    conversations: ConversationService
    agents: AgentService
    queue: Queue
    desk: Desk
    tickets: TicketStore
    outbox: Outbox
    realtime: Realtime


def get_services(request: Request) -> Services:
    return request.app.state.services


bearer = HTTPBearer(auto_error=False)


def principal(
    services: Annotated[Services, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    found = services.tokens.resolve(credentials.credentials)
    if found is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return found


def maybe_principal(
    services: Annotated[Services, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """The caller if they sent a valid token, else None (for endpoints open to everyone)."""
    if credentials is None:
        return None
    found = services.tokens.resolve(credentials.credentials)
    if found is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return found


def require(role: Role):
    def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not who.has(role):
            raise HTTPException(403, f"this needs the {role.value} role")
        return who

    return check


ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(principal)]
