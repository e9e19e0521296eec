"""What the customer reads about their ticket: in the chat and by email.

The reasons here are told to the customer ("why you are getting a ticket"); the reasons an
agent reads in a hand-over summary are `handoff.package.HANDOVER_REASON_FOR_STAFF`.
"""

from __future__ import annotations

from dataclasses import dataclass

TICKET_REASON_FOR_CUSTOMER = {
    "max_wait": "Everyone on our team is busy right now",
    "nobody_online": "No one from our team is available right now",
    "outside_hours": "Our team is away until business hours",
    "agent_escalated": "Our team needs a little more time on this",
    "customer_chose_email": "As you asked",
}
ANY_OTHER_REASON = "We need a little more time"

CSAT_BUTTONS = [{"title": str(n), "payload": f'/csat{{"score": {n}}}'} for n in range(1, 6)]


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def filed_text(ticket_id: str, *, reason: str, email: str | None) -> str:
    """The chat message telling the customer their ticket's number and what happens next."""
    follow_up = (
        f"We'll reply by email to {email}."
        if email
        else "Keep this number; you can check on it in this chat."
    )
    why = TICKET_REASON_FOR_CUSTOMER.get(reason, ANY_OTHER_REASON)
    return f"{why}, so we've filed ticket {ticket_id} with everything you've told us. {follow_up}"


def filed_email(ticket_id: str, *, customer_name: str | None) -> Email:
    return Email(
        subject=f"[{ticket_id}] We've received your request",
        body=f"Hello {customer_name or ''},\n\nWe've filed ticket {ticket_id} with everything "
        "you told us in the chat. We'll reply to this address.\n",
    )


def solved_text(ticket_id: str) -> str:
    return f"Ticket {ticket_id} is solved. How would you rate the help you got?"


def solved_email(ticket_id: str) -> Email:
    return Email(
        subject=f"[{ticket_id}] Your request is solved",
        body=f"Your request {ticket_id} is solved. If anything is still wrong, reply in the "
        "chat and we'll pick it up again.\n",
    )


def reply_email(ticket_id: str, text: str) -> Email:
    return Email(
        subject=f"[{ticket_id}] A reply from our team",
        body=f"{text}\n\nReply in the chat to answer.\n",
    )
