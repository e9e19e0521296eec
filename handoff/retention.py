"""Forgetting customers, in the handoff tier's tables: tickets, their log, agents' notes,
offers and the outbox (see `conversations.retention` for the conversations themselves).

A purge leaves a closed ticket as an anonymous record (number, status, priority, skill, SLA
times, and its log of changes, which the SLA figures count) without the customer's address,
the transcript, the handoff package's texts or the agents' notes. An erasure deletes the
customer's tickets and every outbox message to them or about their conversations.
"""

from __future__ import annotations

import json

from conversations.retention import anonymous_handoff, in_ids
from core.db import Database
from handoff.states import TicketStatus


def settled_before(db: Database, conversation_ids: list[str], cutoff: str) -> set[str]:
    """Of these conversations, those whose tickets are all closed and unchanged since before
    `cutoff` (a conversation with no ticket is among them)."""
    open_ones = {
        row[0]
        for row in db.execute(
            f"select conversation_id from tickets where conversation_id in {in_ids(db)}"
            " and (status != :closed or coalesce(updated_at, created_at) >= :cutoff)",
            {
                "ids": json.dumps(conversation_ids),
                "closed": TicketStatus.CLOSED.value,
                "cutoff": cutoff,
            },
        ).fetchall()
    }
    return set(conversation_ids) - open_ones


def anonymise(db: Database, conversation_ids: list[str]) -> None:
    """The tickets of these conversations keep their figures and lose their texts; agents'
    notes on the chats go."""
    if not conversation_ids:
        return
    params = {"ids": json.dumps(conversation_ids)}
    listed = in_ids(db)
    for ticket_id, raw in db.execute(
        f"select id, handoff from tickets where conversation_id in {listed}", params
    ).fetchall():
        db.execute(
            "update tickets set customer_email = null, transcript = '[]', notes = '[]',"
            " handoff = ? where id = ?",
            [anonymous_handoff(raw), ticket_id],
        )
    db.execute(f"delete from notes where conversation_id in {listed}", params)


def purge_outbox(db: Database, cutoff: str) -> int:
    """Delete the messages sent, or given up on (dead), that were queued before `cutoff`;
    pending ones stay until they go out."""
    return db.execute(
        "delete from outbox where status in ('sent', 'dead') and created_at < ?", [cutoff]
    ).rowcount


def forget(db: Database, conversation_ids: list[str], *, email: str) -> int:
    """Delete the tickets of these conversations or to this address, with their logs, the
    notes and offers of the conversations, and every outbox message (pending, sent or dead)
    to the address or about those conversations. Returns how many tickets went."""
    address = email.strip().lower()
    params = {"ids": json.dumps(conversation_ids), "email": address}
    listed = in_ids(db)
    tickets = [
        row[0]
        for row in db.execute(
            f"select id from tickets where conversation_id in {listed}"
            " or lower(customer_email) = :email",
            params,
        ).fetchall()
    ]
    outbox = [
        outbox_id
        for outbox_id, to_them, kind, body in db.execute(
            "select id, lower(recipient) = :email, kind, body from outbox"
            " where lower(recipient) = :email or kind = 'webhook'",
            {"email": address},
        ).fetchall()
        if to_them or (kind == "webhook" and _about(body, set(conversation_ids), address))
    ]
    db.executemany("delete from outbox where id = ?", [(outbox_id,) for outbox_id in outbox])
    ticket_ids = {"ids": json.dumps(tickets)}
    db.execute(f"delete from ticket_events where ticket_id in {listed}", ticket_ids)
    db.execute(f"delete from tickets where id in {listed}", ticket_ids)
    db.execute(f"delete from notes where conversation_id in {listed}", params)
    db.execute(f"delete from offers where conversation_id in {listed}", params)
    return len(tickets)


def _about(body: str | None, conversation_ids: set[str], address: str) -> bool:
    """Whether a webhook's JSON body is about one of these conversations or their customer
    (read here rather than in SQL: a body that is not JSON is about no one)."""
    try:
        data = json.loads(body or "").get("data")
    except (ValueError, AttributeError):
        return False
    if not isinstance(data, dict):
        return False
    customer = data.get("customer")
    emails = [data.get("customer_email")]
    emails += [customer.get("email")] if isinstance(customer, dict) else []
    conversation = data.get("conversation_id")
    return (isinstance(conversation, str) and conversation in conversation_ids) or any(
        isinstance(email, str) and email.lower() == address for email in emails
    )
