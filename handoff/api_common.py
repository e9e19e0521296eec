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
# Agents act on their own chats; supervisors (and the admin, who holds every role) on any.
AgentOrSupervisor = Annotated[Principal, Depends(require(Role.AGENT, Role.SUPERVISOR))]


def staff(who: Principal) -> bool:
    return any(who.has(r) for r in (Role.AGENT, Role.OPS, Role.SUPERVISOR, Role.ADMIN))


def oversees(who: Principal) -> bool:
    """A supervisor (or the admin): reads every chat and ticket, transfers and resolves any
    chat, changes any ticket (docs/production/access.md)."""
    return who.has(Role.SUPERVISOR) or who.is_admin()


def acting_agent(who: Principal) -> str | None:
    """The agent acting: their own id, or None for a supervisor or the admin (any chat)."""
    return None if oversees(who) else who.subject


def own_agent_id(who: Principal) -> str:
    if who.is_admin() or not who.subject:
        raise HTTPException(403, "this needs an agent's own token (an admin is not an agent)")
    return who.subject


def check_chat(who: Principal, conversation_id: str, queue: Queue) -> None:
    """An agent sees and acts on a chat only while it is offered or assigned to them (403
    otherwise, 404 when there is no such chat); supervisors see every chat."""
    if oversees(who):
        return
    if who.has(Role.AGENT) and who.subject and queue.has_chat(conversation_id, who.subject):
        return
    queue.conversations.get(conversation_id)  # ConversationNotFound: 404
    raise HTTPException(403, "this chat is not offered or assigned to you")


def check_ticket(who: Principal, ticket_id: str, tickets: TicketStore) -> None:
    """An agent sees and changes the tickets assigned to them and the unassigned ones they may
    pick up (403 otherwise, 404 when there is no such ticket); supervisors and ops see all."""
    assignee = tickets.summary(ticket_id).assignee_agent_id  # TicketNotFound: 404
    if oversees(who) or who.has(Role.OPS):
        return
    if who.has(Role.AGENT) and who.subject and assignee in (None, who.subject):
        return
    raise HTTPException(403, "this ticket is assigned to another agent")


def sees_every_ticket(who: Principal) -> bool:
    return oversees(who) or who.has(Role.OPS)
