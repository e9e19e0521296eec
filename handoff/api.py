"""HTTP routes of the live-agent tier: agents, offers, agent actions on chats, canned
responses, tickets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, model_validator

from cascade.services import ServicesDep
from core.auth import Principal, Role
from core.deps import PrincipalDep, require
from handoff.agents import AgentIn, AgentStatus

router = APIRouter(prefix="/api/agents", tags=["agents"])
desk_router = APIRouter(prefix="/api/conversations", tags=["agent actions"])
canned_router = APIRouter(prefix="/api/canned", tags=["canned responses"])
tickets_router = APIRouter(prefix="/api/tickets", tags=["tickets"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Agent = Annotated[Principal, Depends(require(Role.AGENT))]


class StatusIn(BaseModel):
    status: AgentStatus


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class TransferIn(BaseModel):
    skill: str | None = Field(default=None, min_length=1, max_length=64)
    agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _somewhere(self) -> TransferIn:
        if self.skill is None and self.agent_id is None:
            raise ValueError("say where to: a skill, an agent_id, or both")
        return self


class EscalateIn(BaseModel):
    note: str | None = Field(default=None, max_length=5000)


class CsatIn(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class CannedIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


def staff(who: Principal) -> bool:
    return who.has(Role.AGENT) or who.has(Role.OPS) or who.is_admin()


def acting_agent(who: Principal) -> str | None:
    """The agent acting: their own id, or None for an admin (who may act on any chat)."""
    return None if who.is_admin() else who.subject


def own_agent_id(who: Principal) -> str:
    if who.is_admin() or not who.subject:
        raise HTTPException(403, "this needs an agent's own token (an admin is not an agent)")
    return who.subject


# -- agents -----------------------------------------------------------------------------------


@router.post("", status_code=201, summary="Create an agent; the response holds its token")
def create_agent(body: AgentIn, services: ServicesDep, _: Admin) -> dict[str, Any]:
    agent, token = services.agents.create(body)
    return {**agent, "token": token}


@router.get("", summary="All agents")
def list_agents(services: ServicesDep, _: Admin) -> list[dict[str, Any]]:
    return services.agents.all()


@router.get("/roster", summary="Colleagues to transfer to: name, status, skills, load")
def roster(services: ServicesDep, _: Agent) -> list[dict[str, Any]]:
    """Every agent as another agent may see them (no tokens): `[{"id", "name", "status",
    "skills": {skill: level}, "load", "max_concurrent"}]`, `load` counting chats and offers."""
    load = {a.id: a.load for a in services.queue.agent_states()}
    return [{**agent, "load": load.get(agent["id"], 0)} for agent in services.agents.all()]


def _self_or_admin(who: Principal, agent_id: str) -> None:
    if not (who.is_admin() or (who.has(Role.AGENT) and who.subject == agent_id)):
        raise HTTPException(403, "agents may only manage themselves")


@router.get("/{agent_id}", summary="One agent")
def get_agent(agent_id: str, services: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    _self_or_admin(who, agent_id)
    return services.agents.get(agent_id)


@router.put("/{agent_id}/status", summary="Go online, away or offline")
def set_status(
    agent_id: str, body: StatusIn, services: ServicesDep, who: PrincipalDep
) -> dict[str, Any]:
    _self_or_admin(who, agent_id)
    agent = services.agents.set_status(agent_id, body.status)
    if body.status is not AgentStatus.ONLINE:
        services.queue.withdraw_offers(agent_id)
    services.queue.route()
    return agent


@router.get("/{agent_id}/offers", summary="Chats offered to this agent, with their handoff")
def offers(agent_id: str, services: ServicesDep, who: PrincipalDep) -> list[dict[str, Any]]:
    _self_or_admin(who, agent_id)
    services.agents.get(agent_id)
    return services.queue.offers_for(agent_id)


@router.get("/{agent_id}/chats", summary="The chats this agent has now, with their handoff")
def chats(agent_id: str, services: ServicesDep, who: PrincipalDep) -> list[dict[str, Any]]:
    """Each assigned chat as `GET /api/conversations/{id}` shows it to staff (messages, handoff,
    customer, page URL), oldest first, so a console that reloads carries on where it was."""
    _self_or_admin(who, agent_id)
    services.agents.get(agent_id)
    return [services.conversations.view(cid) for cid in services.queue.assigned_to(agent_id)]


# -- an agent's actions on a chat -------------------------------------------------------------


@desk_router.post("/{conversation_id}/accept", summary="Take a waiting chat")
def accept(conversation_id: str, services: ServicesDep, who: Agent) -> dict[str, Any]:
    services.queue.accept(conversation_id, own_agent_id(who))
    return services.conversations.view(conversation_id)


@desk_router.post("/{conversation_id}/decline", summary="Pass on an offer")
def decline(conversation_id: str, services: ServicesDep, who: Agent) -> dict[str, str]:
    services.queue.decline(conversation_id, own_agent_id(who))
    return {"status": services.conversations.view(conversation_id)["status"]}


@desk_router.get("/{conversation_id}/notes", summary="Private notes (never shown to the customer)")
def notes(conversation_id: str, services: ServicesDep, _: Agent) -> list[dict[str, Any]]:
    services.conversations.store.get(conversation_id)
    return services.desk.notes(conversation_id)


@desk_router.post("/{conversation_id}/notes", status_code=201, summary="Add a private note")
def add_note(
    conversation_id: str, body: NoteIn, services: ServicesDep, who: Agent
) -> dict[str, Any]:
    return services.desk.add_note(conversation_id, acting_agent(who), body.text)


@desk_router.post("/{conversation_id}/transfer", summary="Transfer to another skill or agent")
def transfer(
    conversation_id: str, body: TransferIn, services: ServicesDep, who: Agent
) -> dict[str, Any]:
    services.desk.transfer(
        conversation_id,
        acting_agent(who),
        skill=body.skill,
        to_agent_id=body.agent_id,
        note=body.note,
    )
    return services.conversations.view(conversation_id)


@desk_router.post("/{conversation_id}/resolve", summary="Resolve; the customer is asked to rate")
def resolve(conversation_id: str, services: ServicesDep, who: Agent) -> dict[str, Any]:
    services.desk.resolve(conversation_id, acting_agent(who))
    return services.conversations.view(conversation_id)


@desk_router.post("/{conversation_id}/handback", summary="Hand the chat back to the bot")
def hand_back(conversation_id: str, services: ServicesDep, who: Agent) -> dict[str, Any]:
    services.desk.hand_back(conversation_id, acting_agent(who))
    return services.conversations.view(conversation_id)


@desk_router.post("/{conversation_id}/escalate", summary="File a ticket carrying the whole chat")
def escalate(
    conversation_id: str, services: ServicesDep, who: Agent, body: EscalateIn | None = None
) -> dict[str, Any]:
    ticket_id = services.desk.escalate(
        conversation_id, acting_agent(who), note=body.note if body else None
    )
    return {"ticket_id": ticket_id, **services.conversations.view(conversation_id)}


@desk_router.post("/{conversation_id}/csat", summary="The customer rates the help (1-5)")
async def csat(
    conversation_id: str, body: CsatIn, services: ServicesDep, who: PrincipalDep
) -> dict[str, Any]:
    if not (who.has(Role.CUSTOMER) and who.subject == conversation_id):
        raise HTTPException(403, "only the conversation's customer rates it")
    await run_in_threadpool(services.desk.rate, conversation_id, body.score, body.comment)
    return {"score": body.score, "comment": body.comment}


# -- canned responses -------------------------------------------------------------------------


@canned_router.get("", summary="Canned responses ({customer_name} is filled in)")
def list_canned(services: ServicesDep, _: Agent) -> list[dict[str, Any]]:
    return services.desk.canned()


@canned_router.put("/{shortcut}", summary="Create or change a canned response")
def put_canned(shortcut: str, body: CannedIn, services: ServicesDep, _: Admin) -> dict[str, Any]:
    if not shortcut.replace("-", "").replace("_", "").isalnum() or len(shortcut) > 64:
        raise HTTPException(422, "shortcuts are letters, digits, - and _ (at most 64)")
    return services.desk.save_canned(shortcut, body.text)


# -- tickets ----------------------------------------------------------------------------------


@tickets_router.get("/{ticket_id}", summary="A ticket with its transcript and handoff")
def get_ticket(ticket_id: str, services: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    ticket = services.tickets.get(ticket_id)
    if staff(who):
        return ticket
    if not (who.has(Role.CUSTOMER) and who.subject == ticket["conversation_id"]):
        raise HTTPException(403, "this token does not give access to that ticket")
    return {k: v for k, v in ticket.items() if k not in ("notes", "handoff", "events")}


class TicketUpdate(BaseModel):
    status: Literal["new", "open", "pending", "solved", "closed"] | None = None
    assignee_agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    priority: Literal["urgent", "high", "normal", "low"] | None = None
    skill: str | None = Field(default=None, min_length=1, max_length=64)


@tickets_router.get("", summary="Tickets, newest first, filtered")
def list_tickets(
    services: ServicesDep,
    who: PrincipalDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    priority: Annotated[str | None, Query(max_length=20)] = None,
    skill: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    clocks: Annotated[bool, Query(description="add each ticket's `sla_clocks`")] = False,
) -> list[dict[str, Any]]:
    if not staff(who):
        raise HTTPException(403, "tickets are listed for agents and ops")
    found = services.tickets.find(
        status=status, priority=priority, skill=skill, assignee=assignee, limit=limit
    )
    if clocks:
        return [{**t, "sla_clocks": services.tickets.clocks(t["id"])} for t in found]
    return found


@tickets_router.get("/{ticket_id}/sla", summary="A ticket's SLA clocks with their instants")
def ticket_clocks(ticket_id: str, services: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    """`{"first_response": {...}, "resolution": {...}}`, each `{"started", "warning_at", "due",
    "met_at", "state"}` (ISO instants in UTC; `state` as of now: ok, warning, breached, met or
    missed). The warning falls at 75 % of the target counted in business hours."""
    if not staff(who):
        raise HTTPException(403, "SLA clocks are shown to agents and ops")
    return services.tickets.clocks(ticket_id)


@tickets_router.patch("/{ticket_id}", summary="Change status, assignee, priority or skill group")
def update_ticket(
    ticket_id: str, body: TicketUpdate, services: ServicesDep, who: Agent
) -> dict[str, Any]:
    if body.assignee_agent_id is not None:
        services.agents.get(body.assignee_agent_id)
    return services.tickets.update(
        ticket_id,
        actor=who.subject or "admin",
        status=body.status,
        assignee_agent_id=body.assignee_agent_id,
        priority=body.priority,
        skill=body.skill,
    )


@tickets_router.post("/{ticket_id}/notes", status_code=201, summary="An internal note")
def ticket_note(ticket_id: str, body: NoteIn, services: ServicesDep, who: Agent) -> dict[str, Any]:
    return services.tickets.add_note(ticket_id, agent_id=who.subject, text=body.text)


@tickets_router.post("/{ticket_id}/replies", status_code=201, summary="A reply the customer sees")
def ticket_reply(ticket_id: str, body: NoteIn, services: ServicesDep, who: Agent) -> dict[str, Any]:
    return services.tickets.reply(ticket_id, agent_id=who.subject, text=body.text)
