"""What every action shares: the knowledge source protocol and the message shapes the app
understands (see conversations/replies.py)."""

from __future__ import annotations

from typing import Any, Protocol

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.search import SearchOutcome, Thresholds
from knowledge_base.store import Article

FEEDBACK_BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
PERSON_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}
HANDOFF_TEXT = (
    "I'm connecting you with a member of our team. They'll see everything we've talked "
    "about, so you won't need to repeat yourself."
)


class KnowledgeSource(Protocol):
    @property
    def thresholds(self) -> Thresholds: ...

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome: ...

    def article(self, article_id: str) -> Article | None: ...


def reset() -> list[dict[str, Any]]:
    """Nothing pending any more: no answer awaiting feedback, no choices on offer."""
    return [SlotSet("pending", None), SlotSet("shown", None), SlotSet("candidates", [])]


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


NO_AGENT_TEXT = (
    "No one from our team is free to chat right now, so I'll pass this on to them with "
    "everything we've talked about."
)


def needs_email(tracker: Tracker) -> bool:
    """No way to reach the customer and nobody online to chat: the hand-over will become a
    ticket, so ask for an email address first (the app says both in the message metadata)."""
    metadata = tracker.latest_message.get("metadata") or {}
    return (
        metadata.get("agents_available") is False
        and not metadata.get("customer_email")
        and not tracker.get_slot("email")
    )


def hand_over(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    reason: str,
    skill: str | None = None,
    priority: str | None = None,
    question: str | None = None,
    text: str = HANDOFF_TEXT,
) -> list[dict[str, Any]]:
    """Signal the app to hand over, or, when the customer can't be reached afterwards, keep
    the reason and ask for an email address first (email_form, then action_after_email)."""
    if needs_email(tracker):
        say(dispatcher, NO_AGENT_TEXT)
        return [
            SlotSet("handoff_reason", reason),
            SlotSet("handoff_skill", skill),
            SlotSet("handoff_priority", priority),
            SlotSet("question", question),
            FollowupAction("email_form"),
        ]
    say(dispatcher, text)
    send_handoff(dispatcher, reason=reason, skill=skill, priority=priority, question=question)
    return []


def send_handoff(
    dispatcher: CollectingDispatcher,
    *,
    reason: str,
    skill: str | None = None,
    priority: str | None = None,
    question: str | None = None,
) -> None:
    """The signal the app acts on (conversations/replies.py): queue the chat for a person."""
    signal: dict[str, Any] = {"reason": reason}
    if skill:
        signal["skill"] = skill
    if priority:
        signal["priority"] = priority
    if question:
        signal["question"] = question
    dispatcher.utter_message(json_message={"handoff": signal})
