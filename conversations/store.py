"""Conversations and messages in SQLite. Messages are only ever appended."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from conversations.errors import ConversationNotFound
from conversations.events import ConversationStarted, record
from conversations.states import Status
from core.db import Storage


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
    return message


class ConversationStore:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def create(self, *, customer: dict[str, Any], page_url: str | None, at: str) -> str:
        conversation_id = uuid.uuid4().hex
        with self.storage.write() as db:
            db.table("conversations").insert(
                {
                    "id": conversation_id,
                    "status": Status.BOT.value,
                    "customer_name": customer.get("name"),
                    "customer_email": customer.get("email"),
                    "page_url": page_url,
                    "priority": "normal",
                    "created_at": at,
                    "updated_at": at,
                }
            )
            record(db, conversation_id, ConversationStarted(page_url), at=at)
        return conversation_id

    def get(self, conversation_id: str) -> dict[str, Any]:
        rows = list(
            self.storage.db.query("select * from conversations where id = ?", [conversation_id])
        )
        if not rows:
            raise ConversationNotFound(conversation_id)
        return rows[0]

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
    ) -> tuple[dict[str, Any], bool]:
        """Append a message; returns it and whether it is new (False: that client_id was stored)."""
        row = {
            "conversation_id": conversation_id,
            "sender": sender,
            "text": text,
            "buttons": json.dumps(buttons) if buttons else None,
            "article_id": article_id,
            "client_id": client_id,
            "reply_to": reply_to,
            "created_at": at,
        }
        try:
            with self.storage.write() as db:
                cursor = db.execute(
                    "insert into messages (conversation_id, sender, text, buttons, article_id,"
                    " client_id, reply_to, created_at) values (:conversation_id, :sender, :text,"
                    " :buttons, :article_id, :client_id, :reply_to, :created_at)",
                    row,
                )
                row["id"] = cursor.lastrowid
        except sqlite3.IntegrityError:
            existing = self.by_client_id(conversation_id, client_id, sender=sender)
            if existing is None:
                raise
            return existing, False
        message = message_view(row)
        for listener in self.storage.message_listeners:
            listener(conversation_id, message)
        return message, True

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
        rows = list(
            self.storage.db.query(
                "select * from messages where conversation_id = ? and sender in ('bot', 'system')"
                " order by id desc limit 1",
                [conversation_id],
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

    def knowledge_attempts(self, conversation_id: str) -> list[dict[str, Any]]:
        """Articles the bot showed, in order, with whether the customer said they helped."""
        attempts: list[dict[str, Any]] = []
        for name, data in self.storage.db.execute(
            "select name, data from events where conversation_id = ?"
            " and name in ('kb.article_shown', 'kb.feedback') order by id",
            [conversation_id],
        ).fetchall():
            payload = json.loads(data)
            if name == "kb.article_shown":
                attempts.append({**payload, "helpful": None})
            else:
                for attempt in reversed(attempts):
                    if attempt["article_id"] == payload["article_id"]:
                        attempt["helpful"] = payload["helpful"]
                        break
        return attempts

    # -- for the wiring

    def assigned_agent(self, conversation_id: str) -> str | None:
        """The agent a conversation is assigned to now, if any: who hears its new messages."""
        row = self.storage.db.execute(
            "select assigned_agent_id from conversations where id = ? and status = ?",
            [conversation_id, Status.ASSIGNED.value],
        ).fetchone()
        return row[0] if row and row[0] else None
