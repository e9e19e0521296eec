"""HTTP routes of the customer channel (and agents' replies into it).

Agents' actions on a chat and the ticket it became are the handoff tier's routes, under the
same prefix (handoff/api.py, handoff/conversation_routes.py).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from conversations.errors import (
    ChatFull,
    ClientIdReused,
    ConversationMoved,
    ConversationNotFound,
    IllegalTransition,
    NotAssigned,
)
from conversations.service import ConversationService
from conversations.transcript import EmailOff, NoEmailAddress, OtherAddress, TranscriptsUsedUp
from conversations.view import ConversationRead, Message
from core.auth import Principal, Role
from core.contact import DeliverableEmail, customer_name
from core.deps import PrincipalDep, provided
from core.language import LANGUAGES, supported
from core.rate_limits import Limits, customers_rate_limited, rate_limited, too_many
from core.unstorable import blank, without_nul

router = APIRouter(prefix="/api/conversations", tags=["conversations"])

Conversations = Annotated[ConversationService, Depends(provided(ConversationService))]

# The HTTP status of each of this package's errors (the app installs a handler for each).
ERRORS: dict[type[Exception], int] = {
    ConversationNotFound: 404,
    IllegalTransition: 409,
    ConversationMoved: 409,  # another change came first (a lost race): nothing was done
    NotAssigned: 403,
    ClientIdReused: 409,
    ChatFull: 413,  # the conversation, not the request, is too large: a new chat takes more
    NoEmailAddress: 422,
    OtherAddress: 409,
    TranscriptsUsedUp: 429,
    EmailOff: 503,
}


class CustomerIn(BaseModel):
    name: Annotated[str | None, AfterValidator(customer_name)] = Field(
        default=None,
        max_length=200,
        description="Shown to agents; control and text-direction characters are taken out",
    )
    email: DeliverableEmail | None = None
    visitor_id: str | None = Field(
        default=None,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The widget's own id for this browser (kept in its storage), so a returning "
        "visitor is recognised",
    )
    user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The company's id for a signed-in customer; kept only with a good user_hash",
    )
    user_hash: str | None = Field(
        default=None,
        max_length=128,
        description="Hex HMAC-SHA256 of user_id keyed with CASCADE_IDENTITY_SECRET; a wrong or "
        "missing one means user_id is ignored (the chat starts all the same)",
    )


class StartIn(BaseModel):
    customer: CustomerIn = Field(default_factory=CustomerIn)
    page_url: str | None = Field(
        default=None,
        max_length=2000,
        description="The web page the chat started on (http or https)",
    )
    locale: str | None = Field(
        default=None,
        max_length=35,
        description="The language to hold the conversation in from the start, as a language "
        f'tag ("ja", "ja-JP", "en"); one of {", ".join(LANGUAGES)}. Without it the '
        "customer's first message written surely in one of them decides; either way a customer "
        "who then writes surely in another is answered in that one.",
        examples=["ja-JP"],
    )

    @field_validator("locale")
    @classmethod
    def _spoken(cls, locale: str | None) -> str | None:
        if locale is None:
            return None
        language = supported(locale)
        if language is None:
            raise ValueError(
                f"unsupported locale {locale!r}: the languages supported are "
                + ", ".join(LANGUAGES)
            )
        return language

    @field_validator("page_url")
    @classmethod
    def _web_page(cls, url: str | None) -> str | None:
        parts = urlsplit(url) if url is not None else None
        if parts is not None and (
            parts.scheme.lower() not in ("http", "https") or not parts.hostname
        ):
            raise ValueError(
                "must be the address of a web page: http:// or https://, then the site's name"
            )
        return None if url is None else without_nul(url)


def web_page(url: Any) -> str | None:
    """`url` when it would do as a chat's `page_url`, else None (the socket channel's custom
    data and Referer are taken when they do, not refused)."""
    try:
        return StartIn.model_validate({"page_url": url}).page_url
    except ValidationError:
        return None


class MessageIn(BaseModel):
    text: str | None = Field(default=None, min_length=1, max_length=5000)
    canned: str | None = Field(
        default=None, min_length=1, max_length=64, description="An agent's canned response"
    )
    client_id: str | None = Field(default=None, min_length=1, max_length=100)

    @field_validator("text")
    @classmethod
    def _storable(cls, text: str | None) -> str | None:
        return None if text is None else without_nul(text)

    @model_validator(mode="after")
    def _something(self) -> MessageIn:
        if self.text is None and self.canned is None:
            raise ValueError("text is required: the message to send (agents may send canned)")
        if self.text is not None and self.canned is not None:
            raise ValueError("send either text or canned (agents only), not both")
        return self


class Started(ConversationRead):
    token: str = Field(description="The customer's bearer token for this conversation")


class TurnOut(BaseModel):
    status: str = Field(description="The conversation's status after the turn")
    messages: list[Message] = Field(description="The message sent and everything said after it")


class TranscriptSent(BaseModel):
    sent_to: str


def may_read(who: Principal, conversation_id: str, conversations: ConversationService) -> None:
    """The conversation's own customer; supervisors (the admin too) and ops, every
    conversation; an agent, one offered or assigned to them now (docs/production/access.md)."""
    if who.has(Role.CUSTOMER) and who.subject == conversation_id:
        return
    if who.has(Role.SUPERVISOR) or who.has(Role.OPS) or who.is_admin():
        return
    if who.has(Role.AGENT) and who.subject:
        if conversations.people.agent_has_chat(conversation_id, who.subject):
            return
        conversations.store.get(conversation_id)  # ConversationNotFound: 404
        raise HTTPException(403, "this chat is not offered or assigned to you")
    raise HTTPException(403, "this token does not give access to that conversation")


@router.post(
    "",
    status_code=201,
    summary="Start a conversation; returns its customer token",
    response_model=Started,
    response_model_exclude_unset=True,
    dependencies=[rate_limited("start")],
    description="Open to everyone, so limited per client address (CASCADE_RATE_LIMIT_START): "
    "past the limit, 429 with Retry-After.",
)
def start(conversations: Conversations, body: StartIn | None = None) -> Started:
    body = body or StartIn()  # no body at all: an anonymous customer, like {}
    customer = body.customer
    view, token = conversations.start(
        customer=customer.model_dump(include={"name", "email"}),
        page_url=body.page_url,
        visitor_id=customer.visitor_id,
        user_id=customer.user_id,
        user_hash=customer.user_hash,
        language=body.locale,
    )
    return Started.model_validate({**view.model_dump(exclude_unset=True), "token": token})


@router.get(
    "/{conversation_id}",
    summary="A conversation with all its messages",
    response_model=ConversationRead,
    response_model_exclude_unset=True,
)
def read(conversation_id: str, conversations: Conversations, who: PrincipalDep) -> ConversationRead:
    may_read(who, conversation_id, conversations)
    view = conversations.view(conversation_id)
    if who.has(Role.CUSTOMER):
        conversations.customer_here(conversation_id)  # the widget is open: its customer is here
        return view.for_customer()  # the team's notes on the customer are not for the customer
    return view.read()


@router.post(
    "/{conversation_id}/messages",
    summary="Send a message (customer or agent)",
    response_model=TurnOut,
    response_model_exclude_unset=True,
    dependencies=[customers_rate_limited("messages")],
    description="A customer's messages are limited per client address "
    "(CASCADE_RATE_LIMIT_MESSAGES): past the limit, 429 with Retry-After. A customer who has "
    "written 500 messages in this chat gets 413: a new chat takes more.",
)
async def send(
    conversation_id: str, body: MessageIn, conversations: Conversations, who: PrincipalDep
) -> dict[str, Any]:
    if body.text is not None and blank(body.text):
        raise HTTPException(422, "text must not be blank (spaces or invisible characters alone)")
    if who.has(Role.CUSTOMER):
        if who.subject != conversation_id:
            raise HTTPException(403, "this token belongs to another conversation")
        if body.text is None:
            raise HTTPException(422, "customers send text")
        turn = await conversations.customer_says(
            conversation_id, body.text, client_id=body.client_id
        )
    elif who.has(Role.AGENT):
        turn = await asyncio.to_thread(  # the event loop never waits on the database
            conversations.agent_replies,
            conversation_id,
            body.text,
            canned=body.canned,
            agent_id=None if who.is_admin() else who.subject,
            client_id=body.client_id,
        )
    else:
        raise HTTPException(403, "only the conversation's customer or an agent may send messages")
    return {"status": turn.status, "messages": turn.messages}


class TranscriptIn(BaseModel):
    email: DeliverableEmail | None = Field(
        default=None,
        description="The conversation's own address; only its customer, and only while it has "
        "none, may give one (it is then kept)",
    )


@router.post(
    "/{conversation_id}/transcript",
    status_code=202,
    summary="Email the whole chat to the customer",
    response_model=TranscriptSent,
    dependencies=[customers_rate_limited("transcripts")],
    description="The customer (or an agent) asks for the transcript by email. It goes only to "
    "the conversation's own address: a conversation without one takes the first its customer "
    "gives, once. Queued in the outbox and sent by SMTP; 422 when no address is known or "
    "given, 409 for another address (or staff giving the first), 429 past "
    "CASCADE_TRANSCRIPTS_PER_CONVERSATION for the conversation or "
    "CASCADE_RATE_LIMIT_TRANSCRIPTS for the client address or 3 an hour, 10 a day to one "
    "recipient, 503 when this server sends no email; 403 for ops, who read conversations "
    "but write to no customer.",
)
def email_transcript(
    conversation_id: str,
    conversations: Conversations,
    who: PrincipalDep,
    limits: Limits,
    body: TranscriptIn | None = None,
) -> dict[str, Any]:
    if who.roles == {Role.OPS}:
        raise HTTPException(403, "ops read conversations; they do not email customers")
    may_read(who, conversation_id, conversations)

    def sending_to(address: str) -> None:
        # Counted only for an email that would go: a refused request uses up nobody's quota.
        refused = limits.hit("transcripts_to", address.lower(), counted="to one address")
        if refused is not None:
            raise too_many(refused)

    sent_to = conversations.email_transcript(
        conversation_id,
        str(body.email) if body and body.email else None,
        by_customer=who.has(Role.CUSTOMER) and who.subject == conversation_id,
        sending_to=sending_to,
    )
    return {"sent_to": sent_to}
