"""Conversations and messages in SQLite. Messages are only ever appended."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from functools import partial
from typing import Any, NamedTuple

from conversations.attempts import Attempts
from conversations.errors import ConversationNotFound
from conversations.events import (
    ConversationStarted,
    CsatGiven,
    Event,
    LanguageSet,
    record,
)
from conversations.locks import for_update
from conversations.queued import Queued
from conversations.quiet import Quiet
from conversations.states import Status
from core.db import IntegrityError, Storage
from core.language import DEFAULT


def message_view(row: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": row["id"],
        "sender": row["sender"],
        "text": row["text"],
        "created_at": row["created_at"],
    }
    if row.get("buttons"):
        message["buttons"] = json.loads(row["buttons"])
    if row.get("article_id"):
        message["article_id"] = row["article_id"]
    if row.get("author"):
        message["author"] = row["author"]
    return message


class Opening(NamedTuple):
    """What a list of tickets or chats names a conversation by."""

    language: str  # the language to write to the customer in
    customer_name: str | None  # the name the customer gave
    first_typed: str | None  # what the customer first typed (a button press is not typed)


class ConversationStore(Quiet, Queued, Attempts):
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        # This replica's name among several (core/replicas.py), kept with the turns it takes;
        # None for one process alone.
        self.host: str | None = None

    def create(
        self,
        *,
        customer: dict[str, Any],
        page_url: str | None,
        at: str,
        visitor_id: str | None = None,
        user_id: str | None = None,
        language: str | None = None,
    ) -> str:
        """A new conversation with the bot; `user_id` only once its signature was checked,
        `language` when the conversation started with a locale."""
        conversation_id = uuid.uuid4().hex
        with self.storage.write() as db:
            db.table("conversations").insert(
                {
                    "id": conversation_id,
                    "status": Status.BOT.value,
                    "customer_name": customer.get("name"),
                    "customer_email": customer.get("email"),
                    "page_url": page_url,
                    "visitor_id": visitor_id,
                    "user_id": user_id,
                    "priority": "normal",
                    "language": language,
                    "language_source": "locale" if language else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            record(db, conversation_id, ConversationStarted(page_url), at=at)
            if language:
                record(db, conversation_id, LanguageSet(language, "locale"), at=at)
        return conversation_id

    def language(self, conversation_id: str) -> str:
        """The language to write to the customer in: the default until one is decided."""
        row = self.storage.db.execute(
            "select language from conversations where id = ?", [conversation_id]
        ).fetchone()
        return (row[0] if row else None) or DEFAULT

    def set_language(self, conversation_id: str, language: str, *, at: str) -> bool:
        """Hold the conversation in `language` from now on; False when it already was."""
        with self.storage.write() as db:
            changed = db.execute(
                "update conversations set language = ?, language_source = 'detected'"
                " where id = ? and (language is null or language != ?)",
                [language, conversation_id, language],
            ).rowcount
            if changed:
                record(db, conversation_id, LanguageSet(language, "detected"), at=at)
        return bool(changed)

    def get(self, conversation_id: str, *, lock: bool = False) -> dict[str, Any]:
        """The conversation's row; `lock`: read to decide a change on it (inside the write
        transaction that makes it), so its row is held until that commits."""
        db = self.storage.db
        sql = "select * from conversations where id = ?" + (for_update(db) if lock else "")
        rows = list(db.query(sql, [conversation_id]))
        if not rows:
            raise ConversationNotFound(conversation_id)
        return rows[0]

    def openings(self, conversation_ids: Collection[str]) -> dict[str, Opening]:
        """What a list of tickets or chats shows of each conversation, in one query (of one
        erased or never made: the default language and nothing more)."""
        if not conversation_ids:
            return {}
        marks = ", ".join("?" * len(conversation_ids))
        rows = self.storage.db.execute(
            "select c.id, c.language, c.customer_name, (select m.text from messages m"
            " where m.conversation_id = c.id and m.sender = 'customer'"
            " and substr(m.text, 1, 1) != '/' order by m.id limit 1)"
            f" from conversations c where c.id in ({marks})",
            list(conversation_ids),
        ).fetchall()
        found = {row[0]: Opening(row[1] or DEFAULT, row[2], row[3]) for row in rows}
        return {id_: found.get(id_, Opening(DEFAULT, None, None)) for id_ in conversation_ids}

    def add_message(
        self,
        conversation_id: str,
        *,
        sender: str,
        text: str,
        at: str,
        client_id: str | None = None,
        buttons: list[dict[str, str]] | None = None,
        article_id: str | None = None,
        reply_to: int | None = None,
        author: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Append a message; returns it and whether it is new (False: that client_id was stored).
        `author`: the name an agent's message is shown under."""
        row = {
            "conversation_id": conversation_id,
            "sender": sender,
            "text": text,
            "buttons": json.dumps(buttons) if buttons else None,
            "article_id": article_id,
            "client_id": client_id,
            "reply_to": reply_to,
            "author": author,
            "created_at": at,
        }
        try:
            with self.storage.write() as db:
                cursor = db.execute(
                    "insert into messages (conversation_id, sender, text, buttons, article_id,"
                    " client_id, reply_to, author, created_at) values (:conversation_id, :sender,"
                    " :text, :buttons, :article_id, :client_id, :reply_to, :author, :created_at)"
                    " returning id",
                    row,
                )
                row["id"] = cursor.fetchone()[0]
        except IntegrityError:
            existing = self.by_client_id(conversation_id, client_id, sender=sender)
            if existing is None:
                raise
            return existing, False
        message = message_view(row)
        for listener in self.storage.message_listeners:
            # Heard once the message is there for everyone to read (not at all if rolled back).
            self.storage.after_commit(partial(listener, conversation_id, message))
        return message, True

    def message(self, message_id: int) -> dict[str, Any]:
        rows = list(self.storage.db.query("select * from messages where id = ?", [message_id]))
        if not rows:
            raise LookupError(f"no message with id {message_id}")
        return message_view(rows[0])

    # -- customer messages whose turn is not taken yet ------------------------------------------

    def await_turn(self, message: dict[str, Any], conversation_id: str, *, payload: str) -> None:
        """Mark the customer's `message` as awaiting its turn (call it in the transaction that
        stores the message): a crash before `turn_taken` leaves it for the next start-up."""
        with self.storage.write() as db:
            db.table("unanswered_messages").insert(
                {
                    "message_id": message["id"],
                    "conversation_id": conversation_id,
                    "payload": None if payload == message["text"] else payload,
                    "created_at": message["created_at"],
                    "host": self.host,
                }
            )

    def awaits_turn(self, message_id: int) -> bool:
        found = self.storage.db.execute(
            "select 1 from unanswered_messages where message_id = ?", [message_id]
        )
        return found.fetchone() is not None

    def turn_taken(self, message_id: int) -> None:
        with self.storage.write() as db:
            db.execute("delete from unanswered_messages where message_id = ?", [message_id])

    def unanswered(
        self, *, only: Collection[int] | None = None
    ) -> list[tuple[str, dict[str, Any], str]]:
        """Customer messages whose turn was never taken, oldest first, as (conversation id,
        message, what to send the bot); with `only`, those of these message ids."""
        rows = self.storage.db.query(
            "select m.*, u.payload from unanswered_messages u"
            " join messages m on m.id = u.message_id order by u.message_id"
        )
        return [
            (row["conversation_id"], message_view(row), row["payload"] or row["text"])
            for row in rows
            if only is None or row["id"] in only
        ]

    def unanswered_hosts(self) -> set[str | None]:
        """The replicas taking customer turns not yet taken (None: stored by one process alone,
        or before replicas were named)."""
        rows = self.storage.db.execute("select distinct host from unanswered_messages")
        return {row[0] for row in rows}

    def claim_unanswered(self, hosts: set[str | None]) -> set[int]:
        """Take over the turns the replicas `hosts` left (they are gone) for this replica, in
        one write, so two replicas never take the same turn; their message ids."""
        named = sorted(h for h in hosts if h is not None)
        held = [f"host in ({','.join('?' for _ in named)})"] if named else []
        where = " or ".join(held + (["host is null"] if None in hosts else []))
        if not where:
            return set()
        with self.storage.write() as db:
            rows = db.execute(
                f"update unanswered_messages set host = ? where {where} returning message_id",
                [self.host, *named],
            )
            return {row[0] for row in rows}

    def customer_messages(self, conversation_id: str) -> int:
        """How many messages the customer has written in the conversation."""
        return int(
            self.storage.db.execute(
                "select count(*) from messages where conversation_id = ? and sender = 'customer'",
                [conversation_id],
            ).fetchone()[0]
        )

    def last_customer_text(self, conversation_id: str) -> str | None:
        found = self.storage.db.execute(
            "select text from messages where conversation_id = ? and sender = 'customer'"
            " order by id desc limit 1",
            [conversation_id],
        ).fetchone()
        return found[0] if found else None

    def by_client_id(
        self, conversation_id: str, client_id: str | None, *, sender: str = "customer"
    ) -> dict[str, Any] | None:
        if client_id is None:
            return None
        rows = list(
            self.storage.db.query(
                "select * from messages where conversation_id = ? and sender = ? and client_id = ?",
                [conversation_id, sender, client_id],
            )
        )
        return message_view(rows[0]) if rows else None

    def replies_to(self, message_id: int) -> list[dict[str, Any]]:
        rows = self.storage.db.query(
            "select * from messages where reply_to = ? order by id", [message_id]
        )
        return [message_view(row) for row in rows]

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        rows = self.storage.db.query(
            "select * from messages where conversation_id = ? order by id", [conversation_id]
        )
        return [message_view(row) for row in rows]

    def since(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """`message` and every message after it in its conversation."""
        rows = self.storage.db.query(
            "select m.* from messages m join messages first on first.id = ?"
            " where m.conversation_id = first.conversation_id and m.id >= first.id order by m.id",
            [message["id"]],
        )
        return [message_view(row) for row in rows]

    def last_bot_message(self, conversation_id: str) -> dict[str, Any] | None:
        found = self.bot_messages(conversation_id, limit=1)
        return found[0] if found else None

    def bot_messages(self, conversation_id: str, *, limit: int) -> list[dict[str, Any]]:
        """The last `limit` messages of the bot and the app, the latest first."""
        rows = self.storage.db.query(
            "select * from messages where conversation_id = ? and sender in ('bot', 'system')"
            " order by id desc limit ?",
            [conversation_id, limit],
        )
        return [message_view(row) for row in rows]

    def last_said_to_customer(self, conversation_id: str, *, before: int) -> dict[str, Any] | None:
        """The last message before message `before` that was not the customer's own."""
        rows = list(
            self.storage.db.query(
                "select * from messages where conversation_id = ? and sender <> 'customer'"
                " and id < ? order by id desc limit 1",
                [conversation_id, before],
            )
        )
        return message_view(rows[0]) if rows else None

    def customer_texts(self, conversation_id: str, *, before: int) -> list[str]:
        rows = self.storage.db.execute(
            "select text from messages where conversation_id = ? and sender = 'customer'"
            " and id < ? order by id",
            [conversation_id, before],
        ).fetchall()
        return [row[0] for row in rows]

    # -- for the wiring

    def assigned_agent(self, conversation_id: str) -> str | None:
        """The agent a conversation is assigned to now, if any: who hears its new messages."""
        row = self.storage.db.execute(
            "select assigned_agent_id from conversations where id = ? and status = ?",
            [conversation_id, Status.ASSIGNED.value],
        ).fetchone()
        return row[0] if row and row[0] else None

    # -- for the handoff tier ---------------------------------------------------------------

    def assigned_counts(self) -> dict[str, int]:
        """How many chats each agent has now."""
        rows = self.storage.db.execute(
            "select assigned_agent_id, count(*) from conversations where status = 'assigned'"
            " and assigned_agent_id is not null group by assigned_agent_id"
        ).fetchall()
        return {agent_id: count for agent_id, count in rows}

    def assigned_to(self, agent_id: str) -> list[str]:
        """The chats an agent has now, oldest first."""
        rows = self.storage.db.execute(
            "select id from conversations where assigned_agent_id = ? and status = 'assigned'"
            " order by assigned_at, id",
            [agent_id],
        ).fetchall()
        return [conversation_id for (conversation_id,) in rows]

    def has_event(self, conversation_id: str, event: type[Event], *, since: str) -> bool:
        row = self.storage.db.execute(
            "select 1 from events where conversation_id = ? and name = ? and created_at >= ?",
            [conversation_id, event.name, since],
        ).fetchone()
        return row is not None

    def latest_event(
        self, conversation_id: str, event: type[Event], *, since: str
    ) -> dict[str, Any] | None:
        """The data of the conversation's latest event of one kind since `since`, if any."""
        row = self.storage.db.execute(
            "select data from events where conversation_id = ? and name = ? and created_at >= ?"
            " order by id desc limit 1",
            [conversation_id, event.name, since],
        ).fetchone()
        return json.loads(row[0]) if row else None

    def recent(self, event: type[Event], *, limit: int) -> list[dict[str, Any]]:
        """The data of the latest `limit` events of one kind, across conversations."""
        rows = self.storage.db.execute(
            "select data from events where name = ? order by id desc limit ?", [event.name, limit]
        ).fetchall()
        return [json.loads(data) for (data,) in rows]

    def rate(self, conversation_id: str, *, score: int, comment: str | None, at: str) -> None:
        """Keep the customer's rating of the help they got."""
        with self.storage.write() as db:
            db.table("conversations").update(
                conversation_id, {"csat_score": score, "csat_comment": comment}
            )
            record(db, conversation_id, CsatGiven(score, comment), at=at)
