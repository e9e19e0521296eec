"""HTTP routes for agents: creating and removing them, their accounts and tokens, their
status, their offers and their chats."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from conversations.view import ConversationView
from core.accounts import StaffAccounts, new_password
from core.auth import Principal, Role, expires_after
from core.clock import iso
from core.deps import ClockDep, PrincipalDep, provided
from core.staff import ExpiresInDays, IssuedToken, Password, StaffWithPassword, with_password
from handoff.agents import AgentIn, AgentOut, AgentStatus, AgentUpdate
from handoff.api_common import (
    Admin,
    AgentOrSupervisor,
    Agents,
    Conversations,
    DeskDep,
    QueueDep,
    oversees,
    staff,
)
from handoff.leaving import remove_agent

router = APIRouter(prefix="/api/agents", tags=["agents"])


class StatusIn(BaseModel):
    status: AgentStatus


Accounts = Annotated[StaffAccounts, Depends(provided(StaffAccounts))]


class AccountIn(BaseModel):
    email: EmailStr = Field(description="The agent signs in with it and the password")
    password: Password


class AgentCreate(AgentIn):
    email: EmailStr | None = Field(
        default=None, description="Also make the agent's account, to sign in with a password"
    )
    password: Password
    token_expires_in_days: ExpiresInDays


class TokenIn(BaseModel):
    expires_in_days: ExpiresInDays


class AgentCreated(AgentOut):
    token: str  # shown once: the agent signs in with it
    token_expires_at: str | None = None
    account: StaffWithPassword | None = Field(
        default=None, description="The agent's account, when an email was given"
    )


class Colleague(AgentOut):
    load: int  # chats assigned plus offers pending


class TransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_agent: dict[str, str | None] = Field(description="The transferring agent's id and name")
    note: str | None = Field(description="The note they left for whoever takes the chat")
    to_agent: dict[str, str | None] | None = Field(
        default=None, description="The colleague it was sent to by name (who may have passed it on)"
    )
    passed_on: str | None = Field(
        default=None,
        description="How that colleague let it go: declined, expired (no answer in time) or"
        " withdrawn (went away or offline first)",
    )


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    offer_id: int
    conversation_id: str
    offered_at: str
    expires_at: str
    priority: str | None
    skill: str | None
    handoff: dict[str, object] | None
    transfer: TransferOut | None = Field(
        default=None, description="Set when a colleague transferred the chat to this queue"
    )


def _self_or_admin(who: Principal, agent_id: str) -> None:
    if not (who.is_admin() or (who.has(Role.AGENT) and who.subject == agent_id)):
        raise HTTPException(403, "agents may only manage themselves")


def _make_account(
    accounts: StaffAccounts, agent: AgentOut, email: str, password: str | None
) -> StaffWithPassword:
    chosen = password or new_password()
    account = accounts.create(
        email=email, name=agent.name, role=Role.AGENT, password=chosen, agent_id=agent.id
    )
    return with_password(account, None if password else chosen)


def _self_or_supervisor(who: Principal, agent_id: str) -> None:
    """An agent's desk (their offers and chats): theirs, and every agent's for supervisors."""
    if not (oversees(who) or (who.has(Role.AGENT) and who.subject == agent_id)):
        raise HTTPException(403, "agents may only manage themselves")


@router.post("", status_code=201, summary="Create an agent; the response holds its token")
def create_agent(
    body: AgentCreate, agents: Agents, accounts: Accounts, clock: ClockDep, _: Admin
) -> AgentCreated:
    """With an `email`, the agent's account too (its password made up unless given); with
    `token_expires_in_days`, the token expires."""
    if body.email is not None:
        accounts.check_free(body.email)  # before the agent is made, so neither is made
    expires = expires_after(clock.now(), body.token_expires_in_days)
    agent, token = agents.create(
        AgentIn(**body.model_dump(include=set(AgentIn.model_fields))), token_expires_at=expires
    )
    account = (
        None if body.email is None else _make_account(accounts, agent, body.email, body.password)
    )
    return AgentCreated(
        **agent.model_dump(),
        token=token,
        token_expires_at=iso(expires) if expires else None,
        account=account,
    )


@router.get("", summary="All agents")
def list_agents(agents: Agents, _: Admin) -> list[AgentOut]:
    return agents.all()


@router.get("/roster", summary="Colleagues to transfer to: name, status, skills, load")
def roster(agents: Agents, queue: QueueDep, _: AgentOrSupervisor) -> list[Colleague]:
    """Every agent as another agent may see them (no tokens), `load` counting chats and
    offers."""
    load = {a.id: a.load for a in queue.agent_states()}
    return [Colleague(**agent.model_dump(), load=load.get(agent.id, 0)) for agent in agents.all()]


class SkillHeld(BaseModel):
    skill: str
    agents: int = Field(description="How many agents (online or not) hold it at a level above 0")


@router.get("/skills", summary="The skills agents hold, for naming an article's skill")
def skills(agents: Agents, who: PrincipalDep) -> list[SkillHeld]:
    """Every skill some agent holds, with how many do: the editor offers these for an
    article's skill and warns of one nobody holds (its hand-overs would wait for anyone)."""
    if not (staff(who) or who.has(Role.EDITOR)):
        raise HTTPException(403, "skills are listed for staff")
    held: dict[str, int] = {}
    for agent in agents.all():
        for skill, level in agent.skills.items():
            if level > 0:
                held[skill] = held.get(skill, 0) + 1
    return [SkillHeld(skill=s, agents=n) for s, n in sorted(held.items())]


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


@router.delete("/{agent_id}", status_code=204, summary="Remove an agent (admin)")
def delete_agent(
    agent_id: str, agents: Agents, queue: QueueDep, desk: DeskDep, accounts: Accounts, _: Admin
) -> Response:
    """Their tokens and account end at once; offers go back and their chats back to the queue
    (the customer is told). The agent stays on record, so past chats, notes and tickets still
    name who handled them; they leave the agent list and the roster."""
    remove_agent(agent_id, agents=agents, queue=queue, desk=desk)
    accounts.remove_for_agent(agent_id)
    return Response(status_code=204)


@router.post(
    "/{agent_id}/account",
    status_code=201,
    summary="Give an agent an account to sign in with email and password (admin)",
)
def add_account(
    agent_id: str, body: AccountIn, agents: Agents, accounts: Accounts, _: Admin
) -> StaffWithPassword:
    return _make_account(accounts, agents.get(agent_id), body.email, body.password)


@router.post(
    "/{agent_id}/tokens",
    status_code=201,
    summary="Issue another API token for an agent, with an expiry if given (admin)",
)
def issue_token(
    agent_id: str, body: TokenIn, agents: Agents, clock: ClockDep, _: Admin
) -> IssuedToken:
    expires = expires_after(clock.now(), body.expires_in_days)
    token = agents.issue_token(agent_id, expires_at=expires)
    return IssuedToken(
        id=agents.tokens.id_of(token),
        token=token,
        role=Role.AGENT.value,
        subject=agent_id,
        expires_at=iso(expires) if expires else None,
    )


@router.put(
    "/{agent_id}/status",
    summary="Go online, away or offline",
    description="Away or offline, the agent's pending offers go to the next agent. Away keeps"
    " their open chats theirs (a short break); offline puts them back in the queue, ahead of"
    " their priority, their customers told, as when a console falls silent.",
)
def set_status(
    agent_id: str, body: StatusIn, agents: Agents, queue: QueueDep, who: PrincipalDep
) -> AgentOut:
    _self_or_admin(who, agent_id)
    agent = agents.set_status(agent_id, body.status)
    if body.status is not AgentStatus.ONLINE:
        queue.withdraw_offers(agent_id)
    if body.status is AgentStatus.OFFLINE:  # the shift is over: their chats go on without them
        queue.went_offline(agent_id)
    queue.route()
    return agent


class Heartbeat(BaseModel):
    status: AgentStatus = Field(
        description="The agent's status now: away when the console was silent past the timeout "
        "(the agent may go online again)"
    )
    last_seen: str = Field(description="This heartbeat, as stored")
    every_s: float = Field(description="Send the next heartbeat within this many seconds")
    timeout_s: float = Field(
        description="An online agent whose console is silent this long is set away (0: never)"
    )
    away_reason: Literal["no_heartbeat", "missed_offers"] | None = Field(
        description="Why the server set the agent away (null: the agent chose their status)"
    )


@router.post(
    "/{agent_id}/heartbeat",
    summary="The agent's console is open: send one every `every_s` seconds",
    description="An online agent with no heartbeat for `timeout_s` (CASCADE_PRESENCE_TIMEOUT_S) "
    "is set away: their offers go to the next agent and their chats back to the queue, with "
    "their history. Agents that never sent one (driven only through the API) are not watched.",
)
def heartbeat(agent_id: str, queue: QueueDep, who: PrincipalDep) -> Heartbeat:
    if not (who.has(Role.AGENT) and who.subject == agent_id):
        raise HTTPException(403, "only the agent's own console sends their heartbeat")
    return Heartbeat.model_validate(asdict(queue.heartbeat(agent_id)))


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
