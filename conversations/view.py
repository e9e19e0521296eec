"""A conversation as staff and its customer read it (`GET /api/conversations/{id}`), and the
shape of that view and of its messages for the API's response models.

Keys that do not apply are left out rather than null (no `queue` unless the chat waits, no
`handoff` before a hand-over, ...): routes returning these models set
`response_model_exclude_unset=True`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from conversations.people import People
from conversations.states import Status
from conversations.store import ConversationStore
from core.language import DEFAULT


def conversation_view(
    store: ConversationStore, people: People, conversation_id: str
) -> ConversationView:
    row = store.get(conversation_id)
    view: dict[str, Any] = {
        "id": row["id"],
        "status": row["status"],
        "customer": {"name": row["customer_name"], "email": row["customer_email"]},
        "page_url": row["page_url"],
        "priority": row["priority"],
        "language": row["language"] or DEFAULT,
        "language_source": row["language_source"] or "default",
        "created_at": row["created_at"],
        "messages": store.messages(conversation_id),
    }
    if row["handoff"]:
        view["handoff"] = json.loads(row["handoff"])
    if row["status"] == Status.QUEUED.value:
        place = people.place_in_queue(conversation_id)
        view["queue"] = asdict(place) if place else None
    if row["assigned_agent_id"]:
        view["assigned_agent"] = {
            "id": row["assigned_agent_id"],
            "name": people.agent_name(row["assigned_agent_id"]),
        }
    if row["csat_score"] is not None:
        view["csat"] = {"score": row["csat_score"], "comment": row["csat_comment"]}
    if row["ticket_id"]:
        view["ticket_id"] = row["ticket_id"]
        view["ticket_status"] = people.ticket_status(row["ticket_id"])
    return ConversationView.model_validate(view)


class Button(BaseModel):
    title: str
    payload: str


class Message(BaseModel):
    id: int
    sender: str  # customer, bot, agent or system
    text: str
    created_at: str
    buttons: list[Button] | None = None
    article_id: str | None = None
    author: str | None = None  # an agent's message: the agent's name as the customer saw it


class Customer(BaseModel):
    name: str | None
    email: str | None


class HandoffPackage(BaseModel):
    """What the person taking over needs, so the customer never repeats themselves."""

    model_config = ConfigDict(extra="allow")

    reason: str
    summary: str
    skill: str
    priority: str
    knowledge_attempts: list[dict[str, Any]]
    customer: Customer
    language: str | None = Field(
        default=None,
        description="The customer's language at the hand-over (packages from before languages "
        "have none)",
    )
    page_url: str | None
    sentiment: str
    transcript: list[Message]
    handed_over_at: str


class QueuePlace(BaseModel):
    position: int
    estimated_wait_s: int | None


class AssignedAgent(BaseModel):
    id: str
    name: str | None


class Csat(BaseModel):
    score: int
    comment: str | None


class ConversationView(BaseModel):
    """A conversation as the service returns it (the handoff package as it was stored)."""

    id: str
    status: str
    customer: Customer
    page_url: str | None
    priority: str | None
    language: str = Field(
        description="The language Cascade writes to the customer in (core.language.LANGUAGES)"
    )
    language_source: Literal["locale", "detected", "default"] = Field(
        description="What decided it: the locale the conversation started with, the customer's "
        "own messages, or nothing yet (the default)"
    )
    created_at: str
    messages: list[Message]
    handoff: dict[str, Any] | None = None  # staff only
    queue: QueuePlace | None = None
    assigned_agent: AssignedAgent | None = None
    csat: Csat | None = None
    ticket_id: str | None = None
    ticket_status: str | None = Field(
        default=None,
        description="Where the chat's ticket stands: new, open, pending, solved, closed",
    )

    def for_customer(self) -> ConversationRead:
        """The view without the team's notes on the customer (the handoff package)."""
        return ConversationRead.model_validate(
            self.model_dump(exclude_unset=True, exclude={"handoff"})
        )

    def read(self) -> ConversationRead:
        """The whole view, its handoff package checked (`GET /api/conversations/{id}`)."""
        return ConversationRead.model_validate(self.model_dump(exclude_unset=True))


class ConversationRead(ConversationView):
    """A conversation as `GET /api/conversations/{id}` shows it: its handoff package checked
    and documented (an override keeps the key where the view has it)."""

    handoff: HandoffPackage | None = None  # type: ignore[assignment]  # staff only
