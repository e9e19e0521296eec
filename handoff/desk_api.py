"""HTTP routes for what an agent does with a chat: accept or decline it, notes, transfer,
resolve, hand back, escalate; and the customer's rating afterwards, or their leaving.

An agent acts only on the chats offered or assigned to them; a supervisor reads the notes of
any chat and transfers or resolves any chat (docs/production/access.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from conversations.view import ConversationView
from core.auth import Role
from core.deps import PrincipalDep
from core.skills import SkillName
from core.unstorable import Storable, Written
from handoff.api_common import (
    Agent,
    AgentOrSupervisor,
    Conversations,
    DeskDep,
    QueueDep,
    acting_agent,
    check_chat,
    own_agent_id,
)

router = APIRouter(prefix="/api/conversations", tags=["agent actions"])

# The chat as staff see it after the action; optional keys stay out when absent.
VIEW: dict[str, Any] = {"response_model": ConversationView, "response_model_exclude_unset": True}


class NoteIn(BaseModel):
    text: Written


class TransferIn(BaseModel):
    skill: SkillName | None = None
    agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    note: Storable | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> TransferIn:
        if self.skill is None and self.agent_id is None:
            raise ValueError("say where to: a skill, an agent_id, or both")
        return self


class EscalateIn(BaseModel):
    note: Storable | None = None
    keep: bool = Field(
        default=False,
        description="Assign the ticket to the chat's agent, who follows it up (else unassigned)",
    )


class CsatIn(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class Declined(BaseModel):
    status: str  # the conversation's status after the decline


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agent_id: str | None
    text: str
    created_at: str


class _TicketFirst(BaseModel):
    ticket_id: str


class Escalated(ConversationView, _TicketFirst):
    """The chat as staff see it, led by the ticket just filed."""

    ticket_id: str


class Rating(BaseModel):
    score: int
    comment: str | None


@router.post("/{conversation_id}/accept", summary="Take a waiting chat", **VIEW)
def accept(
    conversation_id: str, queue: QueueDep, conversations: Conversations, who: Agent
) -> ConversationView:
    queue.accept(conversation_id, own_agent_id(who))
    return conversations.view(conversation_id)


@router.post("/{conversation_id}/decline", summary="Pass on an offer")
def decline(
    conversation_id: str, queue: QueueDep, conversations: Conversations, who: Agent
) -> Declined:
    queue.decline(conversation_id, own_agent_id(who))
    return Declined(status=conversations.view(conversation_id).status)


@router.get("/{conversation_id}/notes", summary="Private notes (never shown to the customer)")
def notes(
    conversation_id: str, desk: DeskDep, queue: QueueDep, who: AgentOrSupervisor
) -> list[NoteOut]:
    check_chat(who, conversation_id, queue)
    return [NoteOut.model_validate(note) for note in desk.notes(conversation_id)]


@router.post("/{conversation_id}/notes", status_code=201, summary="Add a private note")
def add_note(
    conversation_id: str, body: NoteIn, desk: DeskDep, queue: QueueDep, who: Agent
) -> NoteOut:
    check_chat(who, conversation_id, queue)
    return NoteOut.model_validate(desk.add_note(conversation_id, who.subject, body.text))


@router.post("/{conversation_id}/transfer", summary="Transfer to another skill or agent", **VIEW)
def transfer(
    conversation_id: str,
    body: TransferIn,
    desk: DeskDep,
    conversations: Conversations,
    who: AgentOrSupervisor,
) -> ConversationView:
    desk.transfer(
        conversation_id,
        acting_agent(who),
        skill=body.skill,
        to_agent_id=body.agent_id,
        note=body.note,
    )
    return conversations.view(conversation_id)


@router.post("/{conversation_id}/resolve", summary="Resolve; the customer is asked to rate", **VIEW)
def resolve(
    conversation_id: str, desk: DeskDep, conversations: Conversations, who: AgentOrSupervisor
) -> ConversationView:
    desk.resolve(conversation_id, acting_agent(who))
    return conversations.view(conversation_id)


@router.post("/{conversation_id}/handback", summary="Hand the chat back to the bot", **VIEW)
def hand_back(
    conversation_id: str, desk: DeskDep, conversations: Conversations, who: Agent
) -> ConversationView:
    desk.hand_back(conversation_id, acting_agent(who))
    return conversations.view(conversation_id)


@router.post(
    "/{conversation_id}/escalate",
    summary="File a ticket carrying the whole chat",
    response_model=Escalated,
    response_model_exclude_unset=True,
)
def escalate(
    conversation_id: str,
    desk: DeskDep,
    conversations: Conversations,
    who: Agent,
    body: EscalateIn | None = None,
) -> Escalated:
    body = body or EscalateIn()
    ticket_id = desk.escalate(
        conversation_id,
        acting_agent(who),
        note=body.note,
        keep=body.keep,
        actor=who.subject or "admin",
    )
    view = conversations.view(conversation_id).model_dump(exclude_unset=True)
    return Escalated.model_validate({"ticket_id": ticket_id, **view})


@router.post("/{conversation_id}/csat", summary="The customer rates the help (1-5)")
async def csat(conversation_id: str, body: CsatIn, desk: DeskDep, who: PrincipalDep) -> Rating:
    if not (who.has(Role.CUSTOMER) and who.subject == conversation_id):
        raise HTTPException(403, "only the conversation's customer rates it")
    await run_in_threadpool(desk.rate, conversation_id, body.score, body.comment)
    return Rating(score=body.score, comment=body.comment)


class Left(BaseModel):
    status: str = Field(description="the chat's status after: abandoned when it was left")
    left: bool = Field(description="whether a person or the queue was let go just now")


@router.post("/{conversation_id}/leave", summary="The customer closes the chat for a new one")
async def leave(
    conversation_id: str, queue: QueueDep, conversations: Conversations, who: PrincipalDep
) -> Left:
    """A chat waiting for a person, or with one, is abandoned at once (reason `customer_left`):
    its queue place or its agent's slot is freed and the agent reads "The customer left the
    chat." A chat with the bot, or one already closed, is left as it is (`left`: false)."""
    if not (who.has(Role.CUSTOMER) and who.subject == conversation_id):
        raise HTTPException(403, "only the conversation's customer leaves it")
    left = await run_in_threadpool(queue.customer_left, conversation_id)
    return Left(status=conversations.view(conversation_id).status, left=left)
