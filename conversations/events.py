"""Conversation events: small records with stable names, stored append-only.

They are the audit trail of every conversation and the source of every ops figure, so a
name, once used, keeps its meaning.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from core.db import Database


@dataclass(frozen=True)
class Event:
    name: ClassVar[str]

    def data(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ConversationStarted(Event):
    name: ClassVar[str] = "conversation.started"
    page_url: str | None = None


@dataclass(frozen=True)
class StatusChanged(Event):
    name: ClassVar[str] = "conversation.status_changed"
    previous: str
    status: str
    reason: str


@dataclass(frozen=True)
class HandedOver(Event):
    name: ClassVar[str] = "conversation.handed_over"
    reason: str
    skill: str
    priority: str


@dataclass(frozen=True)
class LanguageSet(Event):
    """The conversation is held in another language from here on (given, or detected)."""

    name: ClassVar[str] = "conversation.language"
    language: str
    source: str  # "locale" or "detected"


@dataclass(frozen=True)
class ArticleShown(Event):
    name: ClassVar[str] = "kb.article_shown"
    article_id: str
    title: str | None = None
    score: float | None = None
    skill: str | None = None


@dataclass(frozen=True)
class FeedbackGiven(Event):
    name: ClassVar[str] = "kb.feedback"
    article_id: str
    helpful: bool


@dataclass(frozen=True)
class TranscriptEmailed(Event):
    """The chat was queued as an email to the conversation's own address (never kept here)."""

    name: ClassVar[str] = "conversation.transcript_emailed"
    by: str  # customer or staff


def record(db: Database, conversation_id: str, event: Event, *, at: str) -> None:
    db.table("events").insert(
        {
            "conversation_id": conversation_id,
            "name": event.name,
            "data": json.dumps(event.data()),
            "created_at": at,
        }
    )


@dataclass(frozen=True)
class OfferMade(Event):
    name: ClassVar[str] = "queue.offer_made"
    agent_id: str
    widened: bool


@dataclass(frozen=True)
class OfferClosed(Event):
    name: ClassVar[str] = "queue.offer_closed"
    agent_id: str
    outcome: str  # accepted, declined, expired, withdrawn


@dataclass(frozen=True)
class Accepted(Event):
    name: ClassVar[str] = "agent.accepted"
    agent_id: str
    wait_s: float


@dataclass(frozen=True)
class ChatHandled(Event):
    """An agent's stint on a chat ended (resolved, transferred, escalated or handed back)."""

    name: ClassVar[str] = "agent.chat_handled"
    agent_id: str
    handle_s: float
    outcome: str


@dataclass(frozen=True)
class Transferred(Event):
    name: ClassVar[str] = "agent.transferred"
    from_agent_id: str
    skill: str
    to_agent_id: str | None
    note: str | None


@dataclass(frozen=True)
class ThankedForAnswer(Event):
    """The customer thanked the bot (or said goodbye) right after an answer, instead of saying
    whether it helped: like silence after an answer, no sign it failed."""

    name: ClassVar[str] = "bot.thanked_after_answer"


@dataclass(frozen=True)
class HandoverPaused(Event):
    """The bot would hand over, but nobody is online and the customer gave no address: it asks
    for one first (what it would hand over with is kept here)."""

    name: ClassVar[str] = "bot.handover_paused"
    reason: str
    skill: str | None
    priority: str | None
    question: str | None


@dataclass(frozen=True)
class HandoverDropped(Event):
    """The hand-over the bot paused for an address is off: being emailed was all the customer
    asked for, and they chose to give no address. Nothing is filed at the idle limit."""

    name: ClassVar[str] = "bot.handover_dropped"


@dataclass(frozen=True)
class TicketFiled(Event):
    name: ClassVar[str] = "ticket.filed"
    ticket_id: str
    reason: str


@dataclass(frozen=True)
class CsatGiven(Event):
    name: ClassVar[str] = "conversation.csat"
    score: int
    comment: str | None


@dataclass(frozen=True)
class SlaWarning(Event):
    """A service-level clock (a ticket's, or a queued chat's `queue_wait`) passed 75 %."""

    name: ClassVar[str] = "sla.warning"
    metric: str


@dataclass(frozen=True)
class SlaBreached(Event):
    name: ClassVar[str] = "sla.breached"
    metric: str


# -- a ticket's own events, kept in the ticket's log (`ticket_events`) --------------------------


@dataclass(frozen=True)
class TicketCreated(Event):
    name: ClassVar[str] = "ticket.created"
    reason: str


@dataclass(frozen=True)
class TicketUpdated(Event):
    """Who changed the ticket, and each changed column with its new value."""

    name: ClassVar[str] = "ticket.updated"
    by: str | None
    changes: dict[str, Any]

    def data(self) -> dict[str, Any]:
        return {"by": self.by, **self.changes}


@dataclass(frozen=True)
class TicketNoted(Event):
    name: ClassVar[str] = "ticket.note"
    by: str | None


@dataclass(frozen=True)
class TicketReplied(Event):
    name: ClassVar[str] = "ticket.replied"
    by: str | None


@dataclass(frozen=True)
class TicketReopened(Event):
    name: ClassVar[str] = "ticket.reopened"
    by: str
