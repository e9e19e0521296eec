"""What every action shares: the knowledge source protocol, the message shapes the app
understands (see conversations/replies.py), and the bot's words in the conversation's language.

Every text the bot says comes from locale/<language>/LC_MESSAGES/bot.po (core/words.py), said by
an action: `words(tracker, "greet")`. The language is the one the app sends in the message's
metadata; without it, the language the customer's message is written in (core/language.py), else
that of their latest message whose language is sure (a button or a short "ok" says nothing),
else English.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Protocol

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from core import words as catalogue
from core.language import DEFAULT, detect, supported
from knowledge_base.search import SearchOutcome, Thresholds
from knowledge_base.store import Article


class KnowledgeSource(Protocol):
    def thresholds_for(self, question: str) -> Thresholds: ...

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome: ...

    def article(self, article_id: str) -> Article | None:
        """Any status: the actions show only published ones (KnowledgeAction.article)."""
        ...


# One turn says several texts, each asking for the language: detect each message once.
_detect = lru_cache(maxsize=4096)(detect)


def language(tracker: Tracker) -> str:
    """The conversation's language (see the module's docstring)."""
    told = supported((tracker.latest_message.get("metadata") or {}).get("language"))
    if told:
        return told
    latest = str(tracker.latest_message.get("text") or "")
    earlier = [
        (str(e.get("text") or ""), e.get("metadata") or {})
        for e in reversed(tracker.events or [])
        if isinstance(e, dict) and e.get("event") == "user"
    ]
    for text, metadata in [(latest, {}), *earlier]:
        told = supported(metadata.get("language")) if isinstance(metadata, dict) else None
        if told:
            return told
        found = _detect(text)
        if found.language and found.sure:
            return found.language
    return DEFAULT


def words(tracker: Tracker, name: str, **params: Any) -> str:
    """The bot's text `name` ("greet" is `bot.greet`) in the conversation's language."""
    return catalogue.say(language(tracker), f"bot.{name}", **params)


def feedback_buttons(tracker: Tracker) -> list[dict[str, str]]:
    return [
        {"title": words(tracker, "yes_button"), "payload": "/affirm"},
        {"title": words(tracker, "no_button"), "payload": "/deny"},
    ]


def choice_buttons(tracker: Tracker, choices: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The articles on offer (`choices`: hits as dicts, the `candidates` slot), then "None of
    these"; sent again with every reply while they are on offer, as only the newest message's
    buttons can be pressed."""
    return [
        *(
            {
                "title": str(c.get("title") or c["article_id"]),
                "payload": "/choose_article" + json.dumps({"article_id": c["article_id"]}),
            }
            for c in choices
            if isinstance(c, dict) and c.get("article_id")
        ),
        {"title": words(tracker, "none_of_these_button"), "payload": "/deny"},
    ]


def feedback(dispatcher: CollectingDispatcher, tracker: Tracker, *, helpful: bool) -> None:
    """Tell the app whether the article shown (the `shown` slot) answered the question."""
    dispatcher.utter_message(
        json_message={
            "feedback": {
                "article_id": tracker.get_slot("shown"),
                "helpful": helpful,
                "question": tracker.get_slot("question"),
            }
        }
    )


def person_button(tracker: Tracker) -> dict[str, str]:
    return {"title": words(tracker, "person_button"), "payload": "/request_human"}


def reset() -> list[dict[str, Any]]:
    """Nothing pending any more: no answer awaiting feedback, no choices on offer."""
    return [SlotSet("pending", None), SlotSet("shown", None), SlotSet("candidates", [])]


def say(dispatcher: CollectingDispatcher, text: str, **extra: Any) -> None:
    """Send one chat message as a custom payload, so Rasa keeps it whole."""
    dispatcher.utter_message(json_message={"text": text, **extra})


def note_email(
    dispatcher: CollectingDispatcher, tracker: Tracker, address: str
) -> list[dict[str, Any]]:
    """The customer only gave their address ("my email is …"): keep it for a later ticket and
    carry on, instead of taking it as a request to be emailed."""
    dispatcher.utter_message(json_message={"contact": {"email": address}})
    say(dispatcher, words(tracker, "email_noted", email=address))
    return [SlotSet("email", address)]


def show_article(dispatcher: CollectingDispatcher, article: Article, score: float) -> None:
    say(
        dispatcher,
        f"**{article.title}**\n\n{article.body}".strip(),
        article_id=article.id,
        title=article.title,
        skill=article.skill,
        score=round(score, 4),
    )


def ask_feedback(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    say(dispatcher, words(tracker, "ask_feedback"), buttons=feedback_buttons(tracker))


def needs_email(tracker: Tracker) -> bool:
    """No way to reach the customer and nobody online to chat: the hand-over will become a
    ticket, so ask for an email address first (the app says both in the message metadata).
    Not on a server that sends no email: the reply to the ticket comes in the chat."""
    metadata = tracker.latest_message.get("metadata") or {}
    return (
        metadata.get("agents_available") is False
        and metadata.get("sends_email") is not False
        and not metadata.get("customer_email")
        and not tracker.get_slot("email")
    )


# What the bot says on handing over, with a wording of its own for when nobody is online
# (`<says>_no_agent` in bot.po).
NO_AGENT = frozenset({"handoff", "no_answer", "sensitive", "complaint", "not_understood_handover"})


def hand_over(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    reason: str,
    skill: str | None = None,
    priority: str | None = None,
    question: str | None = None,
    says: str = "handoff",
    attempts: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Signal the app to hand over, saying the text `says` (why, in bot.po), or, when the
    customer can't be reached afterwards, keep the reason and ask for an email address first
    (email_form, then action_after_email), saying why and that nobody is free (`<says>_no_agent`)."""
    if needs_email(tracker):
        say(dispatcher, words(tracker, f"{says}_no_agent"))
        paused(dispatcher, reason=reason, skill=skill, priority=priority, question=question)
        return [
            SlotSet("handoff_reason", reason),
            SlotSet("handoff_skill", skill),
            SlotSet("handoff_priority", priority),
            SlotSet("question", question),
            FollowupAction("email_form"),
        ]
    # Nobody online but an address known: the hand-over becomes a ticket at once, so the bot
    # does not say it is connecting the customer to someone.
    nobody = (tracker.latest_message.get("metadata") or {}).get("agents_available") is False
    say(dispatcher, words(tracker, f"{says}_no_agent" if nobody and says in NO_AGENT else says))
    send_handoff(
        dispatcher,
        reason=reason,
        skill=skill,
        priority=priority,
        question=question,
        attempts=attempts,
    )
    return []


def paused(
    dispatcher: CollectingDispatcher,
    *,
    reason: str,
    skill: str | None = None,
    priority: str | None = None,
    question: str | None = None,
) -> None:
    """Tell the app a hand-over waits for the customer's address (email_form): should they
    leave before giving one, the app files it as a ticket at the idle limit rather than lose
    what they asked (conversations/service.py `hand_over_paused`)."""
    dispatcher.utter_message(
        json_message={
            "paused": {"reason": reason, "skill": skill, "priority": priority, "question": question}
        }
    )


def send_handoff(
    dispatcher: CollectingDispatcher,
    *,
    reason: str,
    skill: str | None = None,
    priority: str | None = None,
    question: str | None = None,
    attempts: list[dict[str, Any]] | None = None,
) -> None:
    """The signal the app acts on (conversations/replies.py): queue the chat for a person;
    `attempts`, the articles the bot tried when the app's record of shown articles lacks
    them (choices offered are not shown articles)."""
    signal: dict[str, Any] = {"reason": reason}
    if attempts:
        signal["attempts"] = attempts
    if skill:
        signal["skill"] = skill
    if priority:
        signal["priority"] = priority
    if question:
        signal["question"] = question
    dispatcher.utter_message(json_message={"handoff": signal})
