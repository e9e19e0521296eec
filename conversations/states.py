"""Who owns a conversation: its status, the table of allowed moves, and the one function that
moves it (compare, check, write, append an event, in one transaction).

Every move says what the caller found: the status, and for an assigned chat the agent. Both
are compared inside the move's transaction, so of two changes racing (an agent's accept and the
idle limit's abandonment, say) exactly one happens and the other changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from conversations.errors import ConversationMoved, ConversationNotFound, IllegalTransition
from conversations.events import Event, StatusChanged, record
from conversations.locks import for_update
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

# The reason of the move back to resolved when a customer's message after the resolution was only
# a thanks or a goodbye: the chat stays resolved as it was, and the figures read it so.
ONLY_THANKED = "customer_only_thanked"

OPEN = frozenset({Status.BOT, Status.QUEUED, Status.ASSIGNED})


def can_move(current: Status, target: Status) -> bool:
    return target in ALLOWED[current]


def transition(
    storage: Storage,
    conversation_id: str,
    target: Status,
    *,
    expect: Status | Collection[Status],
    owner: str | None = None,
    reason: str,
    at: str,
    also: tuple[Event, ...] = (),
    fields: dict[str, object] | None = None,
) -> Status:
    """Move a conversation to `target`; returns the old status.

    `expect` is the status (or any of the statuses) the caller found it in, and `owner` the
    agent it found an assigned chat with: if the conversation moved on since, nothing changes
    and `ConversationMoved` says what it is now. A move the table does not allow raises
    `IllegalTransition`. `fields` are further columns written with the move (the handoff
    package, say) and `also` further events recorded with it, all in the same transaction.
    """
    expected = (expect,) if isinstance(expect, Status) else tuple(expect)
    with storage.write() as db:
        row = db.execute(
            "select status, assigned_agent_id from conversations where id = ?" + for_update(db),
            [conversation_id],
        ).fetchone()
        if row is None:
            raise ConversationNotFound(conversation_id)
        current, current_owner = Status(row[0]), row[1]
        moved = ConversationMoved(
            conversation_id,
            status=current.value,
            owner=current_owner,
            expected=tuple(status.value for status in expected),
            expected_owner=owner,
        )
        if current not in expected or (current is Status.ASSIGNED and current_owner != owner):
            raise moved
        if not can_move(current, target):
            raise IllegalTransition(current, target)
        changes = {"status": target.value, "updated_at": at, **(fields or {})}
        assignments = ", ".join(f'"{column}" = :{column}' for column in changes)
        # Compare and set: written only if it is still what was read above.
        changed = db.execute(
            f"update conversations set {assignments} where id = :_id and status = :_status"
            " and (status != 'assigned' or assigned_agent_id = :_owner"
            " or (assigned_agent_id is null and :_owner is null))",
            {**changes, "_id": conversation_id, "_status": current.value, "_owner": owner},
        ).rowcount
        if changed != 1:  # cannot happen while this transaction holds the write lock
            raise moved
        record(db, conversation_id, StatusChanged(current.value, target.value, reason), at=at)
        for event in also:
            record(db, conversation_id, event, at=at)
    return current
