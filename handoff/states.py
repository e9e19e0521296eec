"""A ticket's life cycle: its status, the table of allowed moves, and the one function that
moves it (check, write, append to the ticket's log, in one transaction). Every event in a
ticket's log is written by `record` here."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from conversations.events import Event
from conversations.locks import for_update
from core.db import Storage
from handoff.errors import IllegalTicketMove, TicketNotFound


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    SOLVED = "solved"
    CLOSED = "closed"


ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset(
        {TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.SOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.OPEN: frozenset({TicketStatus.PENDING, TicketStatus.SOLVED, TicketStatus.CLOSED}),
    TicketStatus.PENDING: frozenset({TicketStatus.OPEN, TicketStatus.SOLVED, TicketStatus.CLOSED}),
    TicketStatus.SOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),  # a reply reopens
    TicketStatus.CLOSED: frozenset(),
}

# Where a ticket's SLA clocks still run.
UNFINISHED = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING})


def can_move(current: TicketStatus, target: TicketStatus) -> bool:
    return target in ALLOWED[current]


def record(db: Any, ticket_id: str, event: Event, *, at: str) -> None:
    """Append one event to a ticket's log."""
    db.table("ticket_events").insert(
        {
            "ticket_id": ticket_id,
            "name": event.name,
            "data": json.dumps(event.data()),
            "created_at": at,
        }
    )


def transition(
    storage: Storage,
    ticket_id: str,
    target: TicketStatus,
    *,
    at: str,
    event: Event,
    fields: dict[str, object] | None = None,
) -> TicketStatus:
    """Move a ticket to `target`, or raise `IllegalTicketMove`; returns the old status.

    `fields` are further columns written with the move and `event` the entry in the ticket's
    log that tells of it, in the same transaction.
    """
    with storage.write() as db:
        row = db.execute(
            "select status from tickets where id = ?" + for_update(db), [ticket_id]
        ).fetchone()
        if row is None:
            raise TicketNotFound(ticket_id)
        current = TicketStatus(row[0])
        if not can_move(current, target):
            raise IllegalTicketMove(current, target)
        changes = {"status": target.value, "updated_at": at, **(fields or {})}
        assignments = ", ".join(f'"{column}" = :{column}' for column in changes)
        # Compare and set: written only if it is still the status read above (as it is while
        # this transaction holds the write lock; callers read the ticket inside it too).
        changed = db.execute(
            f"update tickets set {assignments} where id = :_id and status = :_status",
            {**changes, "_id": ticket_id, "_status": current.value},
        ).rowcount
        if changed != 1:
            raise IllegalTicketMove(current, target)
        record(db, ticket_id, event, at=at)
    return current
