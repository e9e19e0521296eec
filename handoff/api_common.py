"""What the live-agent tier's routers share: the services they ask for by type, and who may
do what."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException

from conversations.service import ConversationService
from core.auth import Principal, Role
from core.deps import provided, require
from handoff.agents import AgentService
from handoff.desk import Desk
from handoff.queue import Queue
from handoff.tickets import TicketStore

Agents = Annotated[AgentService, Depends(provided(AgentService))]
QueueDep = Annotated[Queue, Depends(provided(Queue))]
DeskDep = Annotated[Desk, Depends(provided(Desk))]
Tickets = Annotated[TicketStore, Depends(provided(TicketStore))]
Conversations = Annotated[ConversationService, Depends(provided(ConversationService))]

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Agent = Annotated[Principal, Depends(require(Role.AGENT))]


def staff(who: Principal) -> bool:
    return who.has(Role.AGENT) or who.has(Role.OPS) or who.is_admin()


def acting_agent(who: Principal) -> str | None:
    """The agent acting: their own id, or None for an admin (who may act on any chat)."""
    return None if who.is_admin() else who.subject


def own_agent_id(who: Principal) -> str:
    if who.is_admin() or not who.subject:
        raise HTTPException(403, "this needs an agent's own token (an admin is not an agent)")
    return who.subject
