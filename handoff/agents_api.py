"""HTTP routes for agents: creating them, their status, their offers and their chats."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict

from conversations.view import ConversationView
from core.auth import Principal, Role
from core.deps import PrincipalDep
from handoff.agents import AgentIn, AgentOut, AgentStatus, AgentUpdate
from handoff.api_common import Admin, AgentOrSupervisor, Agents, Conversations, QueueDep, oversees

router = APIRouter(prefix="/api/agents", tags=["agents"])


class StatusIn(BaseModel):
    status: AgentStatus


class AgentCreated(AgentOut):
    token: str  # shown once: the agent signs in with it


class Colleague(AgentOut):
    load: int  # chats assigned plus offers pending


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    offer_id: int
    conversation_id: str
    offered_at: str
    expires_at: str
    priority: str | None
    skill: str | None
    handoff: dict[str, object] | None


def _self_or_admin(who: Principal, agent_id: str) -> None:
    if not (who.is_admin() or (who.has(Role.AGENT) and who.subject == agent_id)):
        raise HTTPException(403, "agents may only manage themselves")


def _self_or_supervisor(who: Principal, agent_id: str) -> None:
    """An agent's desk (their offers and chats): theirs, and every agent's for supervisors."""
    if not (oversees(who) or (who.has(Role.AGENT) and who.subject == agent_id)):
        raise HTTPException(403, "agents may only manage themselves")


@router.post("", status_code=201, summary="Create an agent; the response holds its token")
def create_agent(body: AgentIn, agents: Agents, _: Admin) -> AgentCreated:
    agent, token = agents.create(body)
    return AgentCreated(**agent.model_dump(), token=token)


@router.get("", summary="All agents")
def list_agents(agents: Agents, _: Admin) -> list[AgentOut]:
    return agents.all()


@router.get("/roster", summary="Colleagues to transfer to: name, status, skills, load")
def roster(agents: Agents, queue: QueueDep, _: AgentOrSupervisor) -> list[Colleague]:
    """Every agent as another agent may see them (no tokens), `load` counting chats and
    offers."""
    load = {a.id: a.load for a in queue.agent_states()}
    return [Colleague(**agent.model_dump(), load=load.get(agent.id, 0)) for agent in agents.all()]


@router.get("/{agent_id}", summary="One agent")
def get_agent(agent_id: str, agents: Agents, who: PrincipalDep) -> AgentOut:
    _self_or_supervisor(who, agent_id)
    return agents.get(agent_id)


@router.patch("/{agent_id}", summary="Change an agent's name, skills, capacity or languages")
def update_agent(
    agent_id: str, body: AgentUpdate, agents: Agents, queue: QueueDep, _: Admin
) -> AgentOut:
    """Fields left out stay as they are. Waiting chats are routed again at once: the agent may
    now take chats they could not before."""
    agent = agents.update(agent_id, body)
    queue.route()
    return agent


@router.put("/{agent_id}/status", summary="Go online, away or offline")
def set_status(
    agent_id: str, body: StatusIn, agents: Agents, queue: QueueDep, who: PrincipalDep
) -> AgentOut:
    _self_or_admin(who, agent_id)
    agent = agents.set_status(agent_id, body.status)
    if body.status is not AgentStatus.ONLINE:
        queue.withdraw_offers(agent_id)
    queue.route()
    return agent


@router.get("/{agent_id}/offers", summary="Chats offered to this agent, with their handoff")
def offers(agent_id: str, agents: Agents, queue: QueueDep, who: PrincipalDep) -> list[OfferOut]:
    _self_or_supervisor(who, agent_id)
    agents.get(agent_id)
    return [OfferOut.model_validate(offer) for offer in queue.offers_for(agent_id)]


@router.get(
    "/{agent_id}/chats",
    summary="The chats this agent has now, with their handoff",
    response_model=list[ConversationView],
    response_model_exclude_unset=True,
)
def chats(
    agent_id: str, agents: Agents, queue: QueueDep, conversations: Conversations, who: PrincipalDep
) -> list[ConversationView]:
    """Each assigned chat as `GET /api/conversations/{id}` shows it to staff (messages, handoff,
    customer, page URL), oldest first, so a console that reloads carries on where it was.
    Supervisors see any agent's."""
    _self_or_supervisor(who, agent_id)
    agents.get(agent_id)
    return [conversations.view(cid) for cid in queue.assigned_to(agent_id)]
