"""HTTP routes for tickets: reading them (supervisors and ops see every ticket, an agent those
assigned to them and the unassigned ones in their languages, the customer their own without the team's notes),
their SLA clocks, and the agents' changes, notes and replies (docs/production/access.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from conversations.view import Message
from core.auth import Role
from core.deps import PrincipalDep
from core.skills import SkillName
from core.unstorable import Written
from handoff.api_common import (
    Agent,
    AgentOrSupervisor,
    Agents,
    Tickets,
    check_ticket,
    sees_every_ticket,
    staff,
)
from handoff.states import TicketStatus
from handoff.ticket_views import SlaClock, Ticket, TicketListed, TicketNote, TicketSummary

router = APIRouter(prefix="/api/tickets", tags=["tickets"])

# Keys a ticket leaves out (`handoff.ticket_views`) stay out of the JSON.
EXCLUDE_UNSET: dict[str, Any] = {"response_model_exclude_unset": True}


class TicketUpdate(BaseModel):
    status: Literal["new", "open", "pending", "solved", "closed"] | None = None
    assignee_agent_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The agent to assign it to; null takes it off its assignee (unassigned)",
    )
    priority: Literal["urgent", "high", "normal", "low"] | None = None
    skill: SkillName | None = None


class NoteIn(BaseModel):
    text: Written


@router.get(
    "/{ticket_id}",
    summary="A ticket with its transcript and handoff",
    response_model=Ticket,
    **EXCLUDE_UNSET,
)
def get_ticket(ticket_id: str, tickets: Tickets, who: PrincipalDep) -> Ticket:
    ticket = tickets.get(ticket_id)
    if staff(who):
        check_ticket(who, ticket_id, tickets)
        return ticket
    if not (who.has(Role.CUSTOMER) and who.subject == ticket.conversation_id):
        raise HTTPException(403, "this token does not give access to that ticket")
    return ticket.for_customer()


@router.get(
    "",
    summary="Tickets, newest first, filtered",
    response_model=list[TicketListed],
    **EXCLUDE_UNSET,
)
def list_tickets(
    tickets: Tickets,
    who: PrincipalDep,
    status: Annotated[
        list[TicketStatus] | None,
        Query(description="one status, or several (`status=new&status=open`): any of them"),
    ] = None,
    priority: Literal["urgent", "high", "normal", "low"] | None = None,
    skill: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        str | None,
        Query(
            pattern=r"^T-[0-9]{1,18}$",
            description="the next page: tickets filed before this one (the last id of a page)",
        ),
    ] = None,
    clocks: Annotated[bool, Query(description="add each ticket's `sla_clocks`")] = False,
) -> list[TicketListed]:
    if not staff(who):
        raise HTTPException(403, "tickets are listed for agents and ops")
    found = tickets.find(
        status=[s.value for s in status] if status else None,
        priority=priority,
        skill=skill,
        assignee=assignee,
        before=int(before[2:]) if before else None,
        limit=limit,
        visible_to=None if sees_every_ticket(who) else who.subject,
    )
    if clocks:
        return [TicketListed(**dict(t), sla_clocks=tickets.clocks(t.id)) for t in found]
    return [TicketListed(**dict(t)) for t in found]


@router.get("/{ticket_id}/sla", summary="A ticket's SLA clocks with their instants")
def ticket_clocks(ticket_id: str, tickets: Tickets, who: PrincipalDep) -> dict[str, SlaClock]:
    """`first_response` and `resolution`, each with ISO instants in UTC and its `state` as of
    now (ok, warning, breached, met or missed). The warning falls at 75 % of the target counted
    in business hours."""
    if not staff(who):
        raise HTTPException(403, "SLA clocks are shown to agents and ops")
    check_ticket(who, ticket_id, tickets)
    return tickets.clocks(ticket_id)


@router.patch("/{ticket_id}", summary="Change status, assignee, priority or skill group")
def update_ticket(
    ticket_id: str, body: TicketUpdate, tickets: Tickets, agents: Agents, who: AgentOrSupervisor
) -> TicketSummary:
    """An agent changes a ticket assigned to them or an unassigned one (and may assign it to
    themselves or a colleague); a supervisor any ticket."""
    check_ticket(who, ticket_id, tickets)
    if body.assignee_agent_id is not None:
        agents.get(body.assignee_agent_id)
    return tickets.update(
        ticket_id,
        actor=who.subject or "admin",
        status=body.status,
        # null given: unassigned ("" to the store); left out: unchanged
        assignee_agent_id=""
        if "assignee_agent_id" in body.model_fields_set and body.assignee_agent_id is None
        else body.assignee_agent_id,
        priority=body.priority,
        skill=body.skill,
    )


@router.post("/{ticket_id}/notes", status_code=201, summary="An internal note")
def ticket_note(ticket_id: str, body: NoteIn, tickets: Tickets, who: Agent) -> TicketNote:
    check_ticket(who, ticket_id, tickets)
    return tickets.add_note(ticket_id, agent_id=who.subject, text=body.text)


@router.post(
    "/{ticket_id}/replies",
    status_code=201,
    summary="A reply the customer sees",
    response_model=Message,
    **EXCLUDE_UNSET,
)
def ticket_reply(ticket_id: str, body: NoteIn, tickets: Tickets, who: Agent) -> Message:
    check_ticket(who, ticket_id, tickets)
    return tickets.reply(ticket_id, agent_id=who.subject, text=body.text)
