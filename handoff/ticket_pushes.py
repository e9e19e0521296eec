"""What a ticket's changes push over socket.io: every change to the agents' and ops' inboxes,
and a change of status to the customer's chat too, whose banner says it ("solved: write here
if you still need help", "closed: start a new chat")."""

from __future__ import annotations

from core.db import Database
from core.realtime import DESK_ROOM
from handoff.offers import Publisher


def to_desk(publisher: Publisher, ticket_id: str, event: str) -> None:
    publisher.publish(DESK_ROOM, "ticket", {"ticket_id": ticket_id, "event": event})


def to_customer(publisher: Publisher, db: Database, ticket_id: str) -> None:
    [(conversation_id, status)] = db.execute(
        "select conversation_id, status from tickets where id = ?", [ticket_id]
    ).fetchall()
    publisher.publish(
        f"conversation:{conversation_id}",
        "status",
        {"conversation_id": conversation_id, "ticket_id": ticket_id, "ticket_status": status},
    )
