"""Who owns a conversation: its status, the table of allowed moves, and the one function that
moves it (check, write, append an event, in one transaction)."""

from __future__ import annotations

from enum import StrEnum

from conversations.errors import ConversationNotFound, IllegalTransition
from conversations.events import Event, StatusChanged, record
from core.db import Storage


class Status(StrEnum):
    BOT = "bot"  # Rasa answers
    QUEUED = "queued"  # waiting for a live agent
    ASSIGNED = "assigned"  # a live agent owns it
    RESOLVED = "resolved"
    TICKETED = "ticketed"  # carried on as a ticket
    ABANDONED = "abandoned"  # the customer left past the idle limit


ALLOWED: dict[Status, frozenset[Status]] = {
    Status.BOT: frozenset({Status.QUEUED, Status.RESOLVED, Status.ABANDONED}),
    Status.QUEUED: frozenset({Status.ASSIGNED, Status.TICKETED, Status.ABANDONED}),
    Status.ASSIGNED: frozenset(
        {Status.RESOLVED, Status.QUEUED, Status.TICKETED, Status.BOT, Status.ABANDONED}
    ),
    # A customer writing again after a resolution reopens the chat with the bot.
    Status.RESOLVED: frozenset({Status.BOT}),
    Status.TICKETED: frozenset(),
    Status.ABANDONED: frozenset({Status.BOT}),  # the customer came back
}

OPEN = frozenset({Status.BOT, Status.QUEUED, Status.ASSIGNED})


def can_move(current: Status, target: Status) -> bool:
    return target in ALLOWED[current]


def transition(
    storage: Storage,
    conversation_id: str,
    target: Status,
    *,
    reason: str,
    at: str,
    also: tuple[Event, ...] = (),
    fields: dict[str, object] | None = None,
) -> Status:
    """Move a conversation to `target`, or raise `IllegalTransition`; returns the old status.

    `fields` are further columns written with the move (the handoff package, say) and `also`
    further events recorded with it, all in the same transaction.
    """
    with storage.write() as db:
        row = db.execute(
            "select status from conversations where id = ?", [conversation_id]
        ).fetchone()
        if row is None:
            raise ConversationNotFound(conversation_id)
        current = Status(row[0])
        if not can_move(current, target):
            raise IllegalTransition(current, target)
        db.table("conversations").update(
            conversation_id, {"status": target.value, "updated_at": at, **(fields or {})}
        )
        record(db, conversation_id, StatusChanged(current.value, target.value, reason), at=at)
        for event in also:
            record(db, conversation_id, event, at=at)
    return current
