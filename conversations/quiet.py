"""When customers went quiet or left: the reads the idle limit, the customer-gone rule and the
expiry of never-written chats make (`ConversationStore` has them all, from here)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Any

from conversations.errors import ConversationNotFound
from conversations.events import (
    HandedOver,
    HandoverDropped,
    HandoverPaused,
    StatusChanged,
    ThankedForAnswer,
)
from core.db import Storage

SEEN_EVERY_S = 60  # a customer's presence is written at most this often (the limit is minutes)


def last_sign(dialect: str) -> str:
    """When the customer of conversation `c` last wrote or had the chat open (else when it
    started). An agent's chat counts from when they took it at the earliest: a customer who
    waited quietly in the queue has not "gone" the moment an agent accepts. (The largest of
    several values is SQLite's `max`, PostgreSQL's `greatest`.)"""
    largest = "max" if dialect == "sqlite" else "greatest"
    return f"""{largest}(
    coalesce(c.customer_seen_at, c.created_at),
    coalesce(c.assigned_at, c.created_at),
    coalesce((select max(m.created_at) from messages m
              where m.conversation_id = c.id and m.sender = 'customer'), c.created_at))"""


class Quiet:
    storage: Storage

    def quiet_since(self, cutoff: str, *, conversation_id: str | None = None) -> list[str]:
        """Chats with the bot or in the queue whose customer last wrote at or before `cutoff`
        (of them, only `conversation_id` when given)."""
        rows = self.storage.db.execute(
            """
            select c.id from conversations c where c.status in ('bot', 'queued')
              and (cast(:id as text) is null or c.id = :id)
              and (select max(m.created_at) from messages m where m.conversation_id = c.id
                   and m.sender = 'customer') <= :cutoff
            """,
            {"cutoff": cutoff, "id": conversation_id},
        ).fetchall()
        return [conversation_id for (conversation_id,) in rows]

    def gone_since(self, cutoff: str, *, present: Collection[str] = ()) -> list[str]:
        """Chats with an agent whose customer has neither written nor had the chat open (read
        it, or a socket connected) since `cutoff`, and has no socket open now (`present`)."""
        db = self.storage.db
        rows = db.execute(
            "select c.id from conversations c where c.status = 'assigned'"
            f" and {last_sign(db.dialect)} <= ?",
            [cutoff],
        ).fetchall()
        return [conversation_id for (conversation_id,) in rows if conversation_id not in present]

    def last_sign_of_customer(self, conversation_id: str) -> str:
        """When the customer last wrote or had the chat open, or an agent took it (or it started)."""
        db = self.storage.db
        row = db.execute(
            f"select {last_sign(db.dialect)} from conversations c where c.id = ?",
            [conversation_id],
        ).fetchone()
        if row is None:
            raise ConversationNotFound(conversation_id)
        return str(row[0])

    def customer_seen(self, conversation_ids: Iterable[str], *, at: str, stale: str) -> None:
        """The customers of these chats had them open at `at` (read one, or a socket was
        connected). Written only for open chats last seen before `stale`, after a read that finds
        most of them fresh: a widget polling every few seconds costs a write a minute."""
        ids = list(conversation_ids)
        for start in range(0, len(ids), 500):  # well within SQLite's limit of bound values
            chunk = ids[start : start + 500]
            marks = ",".join("?" for _ in chunk)
            where = (
                f"id in ({marks}) and status in ('bot', 'queued', 'assigned')"
                " and (customer_seen_at is null or customer_seen_at < ?)"
            )
            due = self.storage.db.execute(
                f"select exists(select 1 from conversations where {where})", [*chunk, stale]
            ).fetchone()[0]
            if due:
                with self.storage.write() as db:
                    db.execute(
                        f"update conversations set customer_seen_at = ? where {where}",
                        [at, *chunk, stale],
                    )

    def never_written(self, *, started_before: str) -> list[str]:
        """Chats with the bot, started at or before the cutoff, in which the customer has not
        written (a button pressed counts as writing)."""
        rows = self.storage.db.execute(
            """
            select c.id from conversations c where c.status = 'bot' and c.created_at <= ?
              and not exists(select 1 from messages m where m.conversation_id = c.id
                             and m.sender = 'customer')
            """,
            [started_before],
        ).fetchall()
        return [conversation_id for (conversation_id,) in rows]

    def customer_wrote(self, conversation_id: str) -> bool:
        row = self.storage.db.execute(
            "select 1 from messages where conversation_id = ? and sender = 'customer' limit 1",
            [conversation_id],
        ).fetchone()
        return row is not None

    def answered_before(self, conversation_id: str, message_id: int) -> bool:
        """The bot's words just before the customer's message `message_id` showed an answer."""
        row = self.storage.db.execute(
            """
            select 1 from messages b where b.conversation_id = :id and b.sender = 'bot'
              and b.article_id is not null and b.id < :before
              and b.id > coalesce((select max(m.id) from messages m where m.conversation_id = :id
                                   and m.sender = 'customer' and m.id < :before), 0)
            limit 1
            """,
            {"id": conversation_id, "before": message_id},
        ).fetchone()
        return row is not None

    def thanked_last(self, conversation_id: str) -> bool:
        """The customer's last message thanked the bot for an answer (`ThankedForAnswer`,
        recorded as the bot replied to it, so after it)."""
        row = self.storage.db.execute(
            """
            select 1 from events e where e.conversation_id = :id and e.name = :name
              and e.created_at >= (select max(m.created_at) from messages m
                                   where m.conversation_id = :id and m.sender = 'customer')
            limit 1
            """,
            {"id": conversation_id, "name": ThankedForAnswer.name},
        ).fetchone()
        return row is not None

    def answered_last(self, conversation_id: str) -> bool:
        """The bot's last turn showed an answer (an article) and the customer said nothing
        since: it awaits their feedback."""
        row = self.storage.db.execute(
            """
            select 1 from messages b where b.conversation_id = :id and b.sender = 'bot'
              and b.article_id is not null
              and b.id > coalesce((select max(m.id) from messages m
                                   where m.conversation_id = :id and m.sender = 'customer'), 0)
            limit 1
            """,
            {"id": conversation_id},
        ).fetchone()
        return row is not None

    def paused_handover(self, conversation_id: str) -> dict[str, Any] | None:
        """The hand-over the bot paused to ask for the customer's address, when nothing has
        happened to the chat since (no hand-over, no change of status, not dropped): what it
        would hand over with, else None."""
        row = self.storage.db.execute(
            "select name, data from events where conversation_id = ? and name in (?, ?, ?, ?)"
            " order by id desc limit 1",
            [
                conversation_id,
                HandoverPaused.name,
                HandedOver.name,
                StatusChanged.name,
                HandoverDropped.name,
            ],
        ).fetchone()
        return json.loads(row[1]) if row and row[0] == HandoverPaused.name else None
