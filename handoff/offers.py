"""Offers of waiting chats to agents: how one is closed, and who is told."""

from __future__ import annotations

from typing import Any, Protocol

from conversations.events import OfferClosed, record


class Publisher(Protocol):
    def publish(self, room: str, event: str, data: dict[str, Any]) -> None: ...


class NoPublisher:
    def publish(self, room: str, event: str, data: dict[str, Any]) -> None:
        return None


def close_offer(
    db: Any,
    publisher: Publisher,
    *,
    offer_id: int,
    conversation_id: str,
    agent_id: str,
    outcome: str,
    at: str,
) -> None:
    """Close one offer (accepted, declined, expired, withdrawn); an agent whose offer went away
    without them deciding is told, so their console drops it."""
    db.table("offers").update(offer_id, {"status": outcome, "decided_at": at})
    record(db, conversation_id, OfferClosed(agent_id, outcome), at=at)
    if outcome in ("expired", "withdrawn"):
        publisher.publish(
            f"agent:{agent_id}", "offer_withdrawn", {"conversation_id": conversation_id}
        )


def withdraw_pending(db: Any, publisher: Publisher, conversation_id: str, *, at: str) -> None:
    """The chat is leaving the queue: every pending offer of it goes too."""
    for offer_id, agent_id in db.execute(
        "select id, agent_id from offers where conversation_id = ? and status = 'pending'",
        [conversation_id],
    ).fetchall():
        close_offer(
            db,
            publisher,
            offer_id=offer_id,
            conversation_id=conversation_id,
            agent_id=agent_id,
            outcome="withdrawn",
            at=at,
        )
