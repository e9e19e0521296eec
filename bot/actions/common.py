"""What every action shares: the knowledge source protocol and the message shapes the app
understands (see conversations/replies.py)."""

from __future__ import annotations

from typing import Any, Protocol

from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.search import SearchOutcome, Thresholds
from knowledge_base.store import Article

FEEDBACK_BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
HANDOFF_TEXT = (
    "I'm connecting you with a member of our team. They'll see everything we've talked "
    "about, so you won't need to repeat yourself."
)


class KnowledgeSource(Protocol):
    thresholds: Thresholds

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome: ...

    def article(self, article_id: str) -> Article | None: ...


def say(dispatcher: CollectingDispatcher, text: str, **extra: Any) -> None:
    """Send one chat message as a custom payload, so Rasa keeps it whole."""
    dispatcher.utter_message(json_message={"text": text, **extra})


def show_article(dispatcher: CollectingDispatcher, article: Article, score: float) -> None:
    say(
        dispatcher,
        f"**{article.title}**\n\n{article.body}".strip(),
        article_id=article.id,
        title=article.title,
        skill=article.skill,
        score=round(score, 4),
    )


def ask_feedback(dispatcher: CollectingDispatcher) -> None:
    say(dispatcher, "Did that answer your question?", buttons=FEEDBACK_BUTTONS)


def hand_over(
    dispatcher: CollectingDispatcher,
    *,
    reason: str,
    skill: str | None = None,
    priority: str | None = None,
    question: str | None = None,
    text: str = HANDOFF_TEXT,
) -> None:
    say(dispatcher, text)
    signal: dict[str, Any] = {"reason": reason}
    if skill:
        signal["skill"] = skill
    if priority:
        signal["priority"] = priority
    if question:
        signal["question"] = question
    dispatcher.utter_message(json_message={"handoff": signal})
