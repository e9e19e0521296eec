"""What the live-agent tier's routers share: the services they ask for by type, who may do
what, and the conversation as staff see it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException
from pydantic import BaseModel, ConfigDict

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


# -- the conversation as staff see it (`ConversationService.view`) ------------------------------
# Optional keys are left out when the conversation has none: routes returning these models set
# `response_model_exclude_unset=True`. Further keys the view may carry pass through unchanged.


class Button(BaseModel):
    title: str
    payload: str


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    sender: str
    text: str
    created_at: str
    buttons: list[Button] | None = None
    article_id: str | None = None


class Customer(BaseModel):
    name: str | None
    email: str | None


class QueuePlace(BaseModel):
    position: int
    estimated_wait_s: int | None


class AssignedAgent(BaseModel):
    id: str
    name: str | None


class Csat(BaseModel):
    score: int
    comment: str | None


class ConversationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    status: str
    customer: Customer
    page_url: str | None
    priority: str | None
    created_at: str
    messages: list[Message]
    handoff: dict[str, Any] | None = None
    queue: QueuePlace | None = None
    assigned_agent: AssignedAgent | None = None
    csat: Csat | None = None
    ticket_id: str | None = None
