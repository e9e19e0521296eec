"""HTTP routes of the customer channel (and agents' replies into it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, EmailStr, Field

from cascade.auth import Principal, Role
from cascade.deps import PrincipalDep, ServicesDep

router = APIRouter(prefix="/api/conversations", tags=["conversations"])


class CustomerIn(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None


class StartIn(BaseModel):
    customer: CustomerIn = Field(default_factory=CustomerIn)
    page_url: str | None = Field(default=None, max_length=2000)


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    client_id: str | None = Field(default=None, min_length=1, max_length=100)


def _may_read(who: Principal, conversation_id: str) -> None:
    if who.has(Role.CUSTOMER) and who.subject == conversation_id:
        return
    if who.has(Role.AGENT) or who.has(Role.OPS) or who.is_admin():
        return
    raise HTTPException(403, "this token does not give access to that conversation")


@router.post("", status_code=201, summary="Start a conversation; returns its customer token")
def start(body: StartIn, services: ServicesDep) -> dict[str, Any]:
    view, token = services.conversations.start(
        customer=body.customer.model_dump(), page_url=body.page_url
    )
    return {**view, "token": token}


@router.get("/{conversation_id}", summary="A conversation with all its messages")
def read(conversation_id: str, services: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    _may_read(who, conversation_id)
    return services.conversations.view(conversation_id)


@router.post("/{conversation_id}/messages", summary="Send a message (customer or agent)")
async def send(
    conversation_id: str, body: MessageIn, services: ServicesDep, who: PrincipalDep
) -> dict[str, Any]:
    if not body.text.strip():
        raise HTTPException(422, "text must not be blank")
    if who.has(Role.CUSTOMER):
        if who.subject != conversation_id:
            raise HTTPException(403, "this token belongs to another conversation")
        turn = await services.conversations.customer_says(
            conversation_id, body.text, client_id=body.client_id
        )
    elif who.has(Role.AGENT):
        turn = services.conversations.agent_says(
            conversation_id,
            body.text,
            agent_id=None if who.is_admin() else who.subject,
            client_id=body.client_id,
        )
    else:
        raise HTTPException(403, "only the conversation's customer or an agent may send messages")
    return {"status": turn.status, "messages": turn.messages}
