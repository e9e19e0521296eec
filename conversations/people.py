"""The people behind the bot (agents, their queue, tickets) as a conversation sees them.

A conversation asks for a person with a `HandoffRequest` and reaches the handoff tier only
through `People`, which `handoff/` provides and the app wires, so this package never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from core.language import DEFAULT

URGENT_REASONS = frozenset({"frustration", "sensitive_topic"})
# The payload of the "Email me instead" button offered to a customer waiting in the queue.
EMAIL_INSTEAD = "/email_me"


def priority_for(reason: str) -> str:
    return "high" if reason in URGENT_REASONS else "normal"


def sentiment_for(reason: str) -> str:
    return "negative" if reason in {"frustration", "unhelpful_answers"} else "neutral"


@dataclass(frozen=True)
class HandoffRequest:
    """What the bot (or the app) knows when it decides to hand over."""

    reason: str
    skill: str = "general"
    priority: str = "normal"
    question: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    sentiment: str = "neutral"
    detail: str | None = None

    @classmethod
    def from_signal(cls, signal: dict[str, Any]) -> HandoffRequest:
        reason = str(signal.get("reason") or "no_answer")
        return cls(
            reason=reason,
            skill=str(signal.get("skill") or "general"),
            priority=str(signal.get("priority") or priority_for(reason)),
            question=signal.get("question"),
            attempts=list(signal.get("attempts") or []),
            sentiment=str(signal.get("sentiment") or sentiment_for(reason)),
            detail=signal.get("detail"),
        )


@dataclass(frozen=True)
class Place:
    """Where a chat waiting for a person stands in line."""

    position: int  # among chats needing the same skill
    estimated_wait_s: int | None  # None: nobody who can take it is online


@dataclass(frozen=True)
class TicketState:
    """The ticket a chat became, as the customer writing in that chat needs to know it."""

    id: str
    closed: bool
    told: str  # what the chat answers: added to the ticket, or that it is closed


class People(Protocol):
    """What the handoff tier does for a conversation."""

    def hand_over(
        self, conversation_id: str, request: HandoffRequest, *, route: bool = True
    ) -> None:
        """Bot to queue, with the package a person needs to carry on; `route=False` only
        queues it (a ticket follows at once)."""
        ...

    def email_instead(self, conversation_id: str, *, reason: str = "customer_chose_email") -> str:
        """The waiting customer would rather be emailed (or, `reason`, cannot wait for anyone):
        file a ticket now; returns its id."""
        ...

    def place_in_queue(self, conversation_id: str) -> Place | None:
        """Where the chat stands while it waits for a person, else None."""
        ...

    def agent_name(self, agent_id: str) -> str | None: ...

    def ticket_status(self, ticket_id: str) -> str | None:
        """Where the chat's ticket stands (new, open, pending, solved, closed)."""
        ...

    def rate(self, conversation_id: str, score: int, comment: str | None) -> None:
        """The customer's rating of a finished chat."""
        ...

    def customer_wrote_on_ticket(
        self, conversation_id: str, *, address: str | None = None
    ) -> TicketState | None:
        """The customer wrote in a ticketed chat: the ticket hears of it (and may reopen), and
        of the `address` they gave in it (the reply goes there)."""
        ...

    def sends_email(self) -> bool:
        """Whether this server sends email (an SMTP server is set up): without it, nothing
        offers "email me instead"."""
        ...

    def can_chat_now(self, language: str = DEFAULT) -> bool:
        """Whether a hand-over now would wait for a person who chats in `language` (rather
        than become a ticket)."""
        ...

    def expand_canned(self, shortcut: str, conversation_id: str) -> str:
        """An agent's canned response, filled in for this conversation."""
        ...

    def agent_has_chat(self, conversation_id: str, agent_id: str) -> bool:
        """Whether the chat is offered to the agent now or assigned to them (what an agent may
        read)."""
        ...
