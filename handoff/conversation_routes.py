"""Routes under a conversation's address that belong to this tier: the ticket it became."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from conversations.api import may_read
from conversations.service import ConversationService
from core.deps import PrincipalDep, provided
from handoff.tickets import TicketStore

router = APIRouter(prefix="/api/conversations", tags=["conversations"])

Tickets = Annotated[TicketStore, Depends(provided(TicketStore))]
Conversations = Annotated[ConversationService, Depends(provided(ConversationService))]


class SlaClock(BaseModel):
    due: str
    state: str
    remaining_business_s: int | None


class ConversationTicket(BaseModel):
    id: str
    status: str
    priority: str
    created_at: str
    updated_at: str
    sla: dict[str, SlaClock]


@router.get(
    "/{conversation_id}/ticket",
    summary="The ticket this conversation became, if any",
    response_model=ConversationTicket,
)
def ticket(
    conversation_id: str, tickets: Tickets, conversations: Conversations, who: PrincipalDep
) -> ConversationTicket:
    may_read(who, conversation_id, conversations)
    ticket_id = tickets.for_conversation(conversation_id)
    if ticket_id is None:
        raise HTTPException(404, "this conversation has no ticket")
    summary = tickets.summary(ticket_id)
    return ConversationTicket.model_validate(
        summary.model_dump(include=set(ConversationTicket.model_fields))
    )
