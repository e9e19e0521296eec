"""Forgetting customers: retention's purge of old closed conversations, and the erasure of one
customer's every conversation.

A purged conversation stays as an anonymous record, so the ops figures of past days do not
change: its row keeps status, skill, priority, times and the CSAT score; its event log keeps
every event, less the free texts (page address, CSAT comment, transfer note); and one empty
customer message remains, which is what makes it count as a contact (ops/metrics.py). Who the
customer was (name, email, visitor and user id), what anyone wrote, the handoff package's
summary and transcript, and the widget sessions go.

An erased conversation goes whole: row, messages, events, sessions.

Each function takes the write transaction's `db` and a list of conversation ids; the other
packages forget their own rows of the same conversations (`cascade/operations.py`).
"""

from __future__ import annotations

import json
from typing import Any

from conversations.states import Status
from core.db import Database

CLOSED = (Status.RESOLVED, Status.ABANDONED, Status.TICKETED)
# Event data that is free text, or points at the person: cleared by a purge.
FREE_TEXT_KEYS = ("page_url", "comment", "note")
# What a purged handoff package holds instead of what was said and who said it; the rest
# (reason, skill, priority, language, sentiment, the articles tried, when) stays.
CLEARED_HANDOFF: dict[str, Any] = {
    "summary": "",
    "question": None,
    "customer": {"name": None, "email": None},
    "page_url": None,
    "transcript": [],
}


def in_ids(db: Database, name: str = "ids") -> str:
    """A subquery of the ids in the JSON array passed as `:name`, for `in` (one parameter
    however many ids)."""
    return db.json_values(f":{name}")


def json_cleared(db: Database, column: str, key: str) -> str:
    """The JSON object in `column` with `key` set to null."""
    if db.dialect == "sqlite":
        return f"json_set({column}, '$.{key}', null)"
    return f"jsonb_set({column}::jsonb, '{{{key}}}', 'null')::text"


def customer_conversations(db: Database, email: str) -> list[str]:
    """Every conversation of the customer with this address: those that gave it, and those
    that share a visitor id (the same browser) or a signed user id with one of them, and so
    on until no new one is found."""
    found: set[str] = set()
    emails, visitors, users = {email.strip().lower()}, set[str](), set[str]()
    while True:
        rows = db.execute(
            "select id, lower(customer_email), visitor_id, user_id from conversations"
            f" where lower(customer_email) in {in_ids(db, 'emails')}"
            f" or visitor_id in {in_ids(db, 'visitors')}"
            f" or user_id in {in_ids(db, 'users')}",
            {
                "emails": json.dumps(sorted(emails)),
                "visitors": json.dumps(sorted(visitors)),
                "users": json.dumps(sorted(users)),
            },
        ).fetchall()
        new = {row[0] for row in rows} - found
        if not new:
            return sorted(found)
        found |= new
        for _, address, visitor, user in rows:
            emails |= {address} if address else set()
            visitors |= {visitor} if visitor else set()
            users |= {user} if user else set()


def closed_before(db: Database, cutoff: str) -> list[tuple[str, str]]:
    """(id, status) of the closed conversations not purged yet in which nothing happened at
    or after `cutoff` (no move, no message)."""
    return [
        (row[0], row[1])
        for row in db.execute(
            f"""
            select c.id, c.status from conversations c
            where c.status in ({",".join("?" for _ in CLOSED)}) and c.purged_at is null
              and coalesce(c.updated_at, c.created_at) < ?
              and coalesce((select max(m.created_at) from messages m
                            where m.conversation_id = c.id), '') < ?
            order by c.created_at
            """,
            [*(status.value for status in CLOSED), cutoff, cutoff],
        ).fetchall()
    ]


def anonymous_handoff(raw: str | None) -> str | None:
    """A handoff package (JSON) in its shape, its texts and the customer's details cleared."""
    if not raw:
        return raw
    return json.dumps({**json.loads(raw), **CLEARED_HANDOFF})


def anonymise(db: Database, ids: list[str], *, at: str) -> None:
    """Reduce these conversations to anonymous records (see the module's docstring)."""
    if not ids:
        return
    params = {"ids": json.dumps(ids)}
    listed = in_ids(db)
    for cid, raw in db.execute(
        f"select id, handoff from conversations where id in {listed} and handoff is not null",
        params,
    ).fetchall():
        db.execute(
            "update conversations set handoff = ? where id = ?", [anonymous_handoff(raw), cid]
        )
    db.execute(
        "update conversations set customer_name = null, customer_email = null, page_url = null,"
        " visitor_id = null, user_id = null, csat_comment = null, awaiting = null,"
        f" purged_at = :at where id in {listed}",
        {**params, "at": at},
    )
    # One empty customer message stays: the sign that the customer wrote, which makes a contact.
    db.execute(
        f"""
        delete from messages where conversation_id in {listed} and id not in (
            select min(id) from messages where conversation_id in {listed}
              and sender = 'customer' group by conversation_id)
        """,
        params,
    )
    db.execute(
        "update messages set text = '', buttons = null, client_id = null, article_id = null,"
        f" reply_to = null where conversation_id in {listed}",
        params,
    )
    for key in FREE_TEXT_KEYS:
        db.execute(
            f"update events set data = {json_cleared(db, 'data', key)}"
            f" where conversation_id in {listed} and {db.json_field('data', key)} is not null",
            params,
        )
    db.execute(f"delete from channel_sessions where conversation_id in {listed}", params)
    db.execute(f"delete from unanswered_messages where conversation_id in {listed}", params)


def forget(db: Database, ids: list[str]) -> None:
    """Delete these conversations with their messages, events and widget sessions."""
    if not ids:
        return
    params = {"ids": json.dumps(ids)}
    listed = in_ids(db)
    for table, column in (
        ("unanswered_messages", "conversation_id"),
        ("messages", "conversation_id"),
        ("events", "conversation_id"),
        ("channel_sessions", "conversation_id"),
        ("conversations", "id"),
    ):
        db.execute(f"delete from {table} where {column} in {listed}", params)
