"""A ticket's life cycle: the table of allowed moves, and the one function that moves it."""

from __future__ import annotations

import json

import pytest

from conversations.events import TicketUpdated
from core.db import Storage
from handoff.errors import IllegalTicketMove, TicketNotFound
from handoff.states import TicketStatus, can_move, transition


def new_ticket(storage: Storage, status: TicketStatus = TicketStatus.NEW) -> str:
    with storage.write() as db:
        db.table("tickets").insert(
            {"id": "T-1001", "number": 1001, "status": status.value, "updated_at": "t0"}
        )
    return "T-1001"


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (TicketStatus.NEW, TicketStatus.OPEN, True),
        (TicketStatus.NEW, TicketStatus.PENDING, True),  # an agent replied at once
        (TicketStatus.OPEN, TicketStatus.SOLVED, True),
        (TicketStatus.OPEN, TicketStatus.NEW, False),
        (TicketStatus.PENDING, TicketStatus.OPEN, True),  # the customer wrote again
        (TicketStatus.SOLVED, TicketStatus.OPEN, True),  # ... and reopened it
        (TicketStatus.SOLVED, TicketStatus.PENDING, False),
        (TicketStatus.CLOSED, TicketStatus.OPEN, False),  # closed is final
    ],
)
def test_transition_table(current: TicketStatus, target: TicketStatus, allowed: bool) -> None:
    assert can_move(current, target) is allowed


def test_a_move_writes_status_fields_and_the_log_together(storage: Storage) -> None:
    ticket_id = new_ticket(storage)
    event = TicketUpdated("agent-1", {"status": "solved", "solved_at": "t1"})
    previous = transition(
        storage, ticket_id, TicketStatus.SOLVED, at="t1", event=event, fields={"solved_at": "t1"}
    )
    assert previous is TicketStatus.NEW
    row = storage.db["tickets"].get(ticket_id)
    assert (row["status"], row["solved_at"], row["updated_at"]) == ("solved", "t1", "t1")
    [(name, data)] = storage.db.execute("select name, data from ticket_events").fetchall()
    assert name == "ticket.updated"
    assert json.loads(data) == {"by": "agent-1", "status": "solved", "solved_at": "t1"}


def test_an_illegal_move_is_refused_and_changes_nothing(storage: Storage) -> None:
    ticket_id = new_ticket(storage, TicketStatus.CLOSED)
    event = TicketUpdated("agent-1", {"status": "open"})
    with pytest.raises(IllegalTicketMove, match="a ticket that is 'closed' cannot become 'open'"):
        transition(storage, ticket_id, TicketStatus.OPEN, at="t1", event=event)
    assert storage.db["tickets"].get(ticket_id)["status"] == "closed"
    assert storage.db["ticket_events"].count == 0


def test_an_unknown_ticket_is_not_found(storage: Storage) -> None:
    new_ticket(storage)
    with pytest.raises(TicketNotFound):
        transition(
            storage,
            "T-9",
            TicketStatus.OPEN,
            at="t1",
            event=TicketUpdated(None, {"status": "open"}),
        )
