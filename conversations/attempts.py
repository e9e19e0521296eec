"""The articles the bot showed in a chat, as a hand-over reads them (`ConversationStore` has
this read, from here): those for the matter in hand, not every article of the chat, so the
agent's summary and the chat's skill are about what the customer is asking now."""

from __future__ import annotations

import json
from typing import Any

from conversations.events import ArticleShown, FeedbackGiven, StatusChanged
from core.db import Storage

CHOOSE_ARTICLE = "/choose_article"  # a choice's payload: /choose_article{"article_id": …}
ASK_FOR_PERSON = "/request_human"  # the person button, and the widget's menu item
BUTTONS_LOOKED_BACK = 10  # bot messages searched for a pressed button, or a list on offer


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

    def choices_on_offer(self, conversation_id: str) -> list[dict[str, str]]:
        """The buttons of the articles the bot's latest list offers, while nothing has been
        shown or asked since (messages with only the person button, "pick one of the articles
        above", an email question, leave the list standing)."""
        for said in self.bot_messages(conversation_id, limit=BUTTONS_LOOKED_BACK):
            buttons = said.get("buttons") or []
            choices = [b for b in buttons if b["payload"].startswith(CHOOSE_ARTICLE)]
            if choices:
                return choices
            if said.get("article_id") or any(b["payload"] != ASK_FOR_PERSON for b in buttons):
                return []  # an answer shown, or another question asked, since
        return []

    def offered_choices(self, conversation_id: str) -> list[dict[str, Any]]:
        """The articles on offer as choices, none picked: for a hand-over whose package would
        otherwise name no article, as when the customer said "None of these" and was asked
        for an email address first, or asked for a person while the choices were on offer."""
        return [
            {
                **json.loads(b["payload"][len(CHOOSE_ARTICLE) :]),
                "title": b["title"],
                "helpful": False,
                "offered": True,
            }
            for b in self.choices_on_offer(conversation_id)
        ]

    def bot_messages(self, conversation_id: str, *, limit: int) -> list[dict[str, Any]]:
        raise NotImplementedError  # ConversationStore's
