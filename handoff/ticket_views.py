"""A ticket as the ticket store returns it and its routes show it: the summary (lists, webhooks,
the CLI) and the whole ticket (with the transcript, and for staff the handoff, notes and
events).

Keys a ticket leaves out (for the customer, `notes`, `handoff` and `events`; in lists,
`sla_clocks` unless asked for) are unset rather than null: routes returning these models set
`response_model_exclude_unset=True`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from conversations.store import Opening
from conversations.view import Message
from handoff.ticket_sla import SlaClock, SlaState

SUBJECT_CHARS = 120

__all__ = [
    "SlaClock",
    "SlaState",
    "Ticket",
    "TicketEvent",
    "TicketListed",
    "TicketNote",
    "TicketSummary",
]


class TicketSummary(BaseModel):
    id: str
    status: str
    priority: str
    skill: str
    reason: str
    assignee_agent_id: str | None
    conversation_id: str
    customer_email: str | None
    customer_name: str | None = Field(None, description="The name the customer gave, if any")
    subject: str | None = Field(
        None,
        description="The question the hand-over was about, else what the customer first typed;"
        f" cut at {SUBJECT_CHARS} characters",
    )
    language: str = Field(description="The customer's language (its conversation's)")
    sla: dict[str, SlaState]
    created_at: str
    updated_at: str

    @classmethod
    def of(
        cls, row: dict[str, Any], *, sla: dict[str, SlaState], opening: Opening
    ) -> TicketSummary:
        """The summary of a ticket's row and its conversation's `opening`. The subject is the
        question the hand-over was about, else what the customer first typed (a greeting, at
        worst)."""
        keep = cls.model_fields.keys() - {"sla", "language", "customer_name", "subject"}
        asked = json.loads(row["handoff"]).get("question") if row.get("handoff") else None
        return cls(
            **{key: row[key] for key in keep},
            customer_name=opening.customer_name,
            subject=subject(asked or opening.first_typed),
            sla=sla,
            language=opening.language,
        )


def subject(text: str | None) -> str | None:
    """`text` on one line, at most `SUBJECT_CHARS` characters (an ellipsis marks a cut; Japanese
    has no spaces to cut at, so it is cut at a character)."""
    if not text:
        return None
    line = " ".join(text.split())
    return line if len(line) <= SUBJECT_CHARS else line[: SUBJECT_CHARS - 1].rstrip() + "…"


class TicketListed(TicketSummary):
    sla_clocks: dict[str, SlaClock] | None = None  # with ?clocks=true


class TicketNote(BaseModel):
    agent_id: str | None
    text: str
    created_at: str


class TicketEvent(BaseModel):
    name: str
    data: dict[str, Any]
    created_at: str


class Ticket(TicketSummary):
    transcript: list[Message]
    handoff: dict[str, Any] | None = None  # staff only
    notes: list[TicketNote] | None = None  # staff only
    events: list[TicketEvent] | None = None  # staff only
    emailed: bool | None = None  # staff only: whether a reply also goes out by email

    def for_customer(self) -> Ticket:
        """The ticket without what only the team reads (its notes, handoff and events)."""
        return Ticket.model_validate(
            self.model_dump(exclude_unset=True, exclude={"notes", "handoff", "events", "emailed"})
        )
