"""The ticket tier's entry point: a conversation leaves the queue (or an agent) as a ticket that
carries the whole chat, the handoff package and the agents' notes."""

from __future__ import annotations

import json
from typing import Any, Protocol

from cascade.clock import Clock, iso
from cascade.db import Storage
from conversations.store import ConversationStore
from handoff.errors import HandoffError
from handoff.events import TicketFiled
from handoff.states import Status, transition

REASON_TEXT = {
    "max_wait": "Everyone on our team is busy right now",
    "nobody_online": "No one from our team is available right now",
    "agent_escalated": "Our team needs a little more time on this",
}


class TicketNotFound(HandoffError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no ticket with id {ticket_id!r}")


class TicketSink(Protocol):
    def file(self, conversation_id: str, *, reason: str, note: str | None = None) -> str: ...


def ticket_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "priority": row["priority"],
        "skill": row["skill"],
        "reason": row["reason"],
        "conversation_id": row["conversation_id"],
        "customer_email": row["customer_email"],
        "transcript": json.loads(row["transcript"]),
        "handoff": json.loads(row["handoff"]) if row["handoff"] else None,
        "notes": json.loads(row["notes"]),
        "sla": None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


class TicketStore:
    def __init__(self, *, storage: Storage, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock
        self.conversations = ConversationStore(storage)

    def file(self, conversation_id: str, *, reason: str, note: str | None = None) -> str:
        """File the ticket, move the conversation to `ticketed` and tell the customer, at once."""
        now = iso(self.clock.now())
        with self.storage.write() as db:
            conversation = self.conversations.get(conversation_id)
            number = (db.execute("select max(number) from tickets").fetchone()[0] or 1000) + 1
            ticket_id = f"T-{number}"
            notes = [
                {"agent_id": n["agent_id"], "text": n["text"], "created_at": n["created_at"]}
                for n in db.query(
                    "select * from notes where conversation_id = ? order by id", [conversation_id]
                )
            ]
            if note:
                notes.append({"agent_id": None, "text": note, "created_at": now})
            email = conversation["customer_email"]
            follow_up = (
                f"We'll reply by email to {email}."
                if email
                else "Keep this number; you can check on it in this chat."
            )
            self.conversations.add_message(
                conversation_id,
                sender="system",
                text=f"{REASON_TEXT.get(reason, 'We need a little more time')}, so we've filed "
                f"ticket {ticket_id} with everything you've told us. {follow_up}",
                at=now,
            )
            db.table("tickets").insert(
                {
                    "id": ticket_id,
                    "number": number,
                    "conversation_id": conversation_id,
                    "status": "new",
                    "priority": conversation["priority"] or "normal",
                    "skill": conversation["skill"] or "general",
                    "reason": reason,
                    "customer_email": email,
                    "transcript": json.dumps(self.conversations.messages(conversation_id)),
                    "handoff": conversation["handoff"],
                    "notes": json.dumps(notes),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            transition(
                self.storage,
                conversation_id,
                Status.TICKETED,
                reason=reason,
                at=now,
                also=(TicketFiled(ticket_id, reason),),
                fields={"ticket_id": ticket_id},
            )
        return ticket_id

    def get(self, ticket_id: str) -> dict[str, Any]:
        rows = list(self.storage.db.query("select * from tickets where id = ?", [ticket_id]))
        if not rows:
            raise TicketNotFound(ticket_id)
        return ticket_view(rows[0])
