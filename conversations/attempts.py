"""The articles the bot showed in a chat, as a hand-over reads them (`ConversationStore` has
this read, from here): those for the matter in hand, not every article of the chat, so the
agent's summary and the chat's skill are about what the customer is asking now."""

from __future__ import annotations

import json
from typing import Any

from conversations.events import ArticleShown, FeedbackGiven, StatusChanged
from core.db import Storage

CHOOSE = "/choose_article"  # a choice's payload: /choose_article{"article_id": …}


class Attempts:
    storage: Storage

    def knowledge_attempts(
        self, conversation_id: str, question: str | None = None
    ) -> list[dict[str, Any]]:
        """Articles the bot showed for the matter in hand, in order, with whether the customer
        said they helped: since the customer last asked `question`, else since the chat last
        came back from resolved (what helped with an earlier matter is not this one's)."""
        db = self.storage.db
        attempts: list[dict[str, Any]] = []
        for name, data in db.execute(
            "select name, data from events where conversation_id = ?"
            " and name in (?, ?, ?) order by id",
            [conversation_id, ArticleShown.name, FeedbackGiven.name, StatusChanged.name],
        ).fetchall():
            payload = json.loads(data)
            if name == StatusChanged.name:
                if payload["reason"] == "customer_returned":
                    attempts.clear()
            elif name == ArticleShown.name:
                attempts.append({**payload, "helpful": None})
            else:
                for attempt in reversed(attempts):
                    if attempt["article_id"] == payload["article_id"]:
                        attempt["helpful"] = payload["helpful"]
                        break
        if not question:
            return attempts
        # Each article shown is a message of the chat too, so those since the question was
        # last asked are the last so many of the list (timestamps may tie; ids do not).
        (asked,) = db.execute(
            "select max(id) from messages where conversation_id = ? and sender = 'customer'"
            " and text = ?",
            [conversation_id, question],
        ).fetchone()
        if asked is None:  # not typed as such (the bot's own wording): the matter since resolved
            return attempts
        (since,) = db.execute(
            "select count(*) from messages where conversation_id = ? and id > ?"
            " and article_id is not null",
            [conversation_id, asked],
        ).fetchone()
        return attempts[max(len(attempts) - since, 0) :] if since else []

    def offered_choices(
        self, conversation_id: str, question: str | None = None
    ) -> list[dict[str, Any]]:
        """The articles on offer as choices when the bot's last question with buttons was
        "which one fits?" (since the customer asked `question`), none picked: for a hand-over
        whose package would otherwise name no article, as when the customer said "None of
        these" and was asked for an email address first, or asked for a person while the
        choices were on offer. A choice picked is followed by "did that answer it?", whose
        buttons are the last then: choices of a matter gone by are not this one's."""
        db = self.storage.db
        (asked,) = db.execute(
            "select max(id) from messages where conversation_id = ? and sender = 'customer'"
            " and text = ?",
            [conversation_id, question or ""],
        ).fetchone()
        for (buttons,) in db.execute(
            "select buttons from messages where conversation_id = ? and sender = 'bot'"
            " and buttons is not null and id > ? order by id desc limit 1",
            [conversation_id, asked or 0],
        ).fetchall():
            return [
                {
                    **json.loads(b["payload"][len(CHOOSE) :]),
                    "title": b["title"],
                    "helpful": False,
                    "offered": True,
                }
                for b in json.loads(buttons)
                if b.get("payload", "").startswith(CHOOSE)
            ]
        return []
