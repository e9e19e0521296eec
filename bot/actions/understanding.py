"""Turns the bot could not understand: it says so and offers a person, and after
`NOT_UNDERSTOOD_LIMIT` such turns in a row it hands over by itself (reason `not_understood`),
so nobody is trapped with a bot that cannot read them.

A turn is not understood when the message is in no language the bot reads (bot/languages.py),
or when the NLU found no meaning in it (intent `nonsense`) and the knowledge base had nothing
either. The count lives in the `not_understood` slot; every understood turn sets it back to 0.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import (
    choice_buttons,
    feedback_buttons,
    hand_over,
    person_button,
    reset,
    say,
    words,
)
from bot.languages import reads

NOT_UNDERSTOOD_LIMIT = 2


def typed_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "").strip()


def unreadable(tracker: Tracker) -> bool:
    """The customer's message is in no language the bot reads (a button's payload always is)."""
    return not reads(typed_text(tracker))


def understood() -> list[dict[str, Any]]:
    return [SlotSet("not_understood", 0.0)]


def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Say so and ask again (what was pending stays pending), or hand over at the limit."""
    count = float(tracker.get_slot("not_understood") or 0) + 1
    if count >= NOT_UNDERSTOOD_LIMIT:
        return [
            *reset(),
            SlotSet("not_understood", 0.0),
            *hand_over(
                dispatcher,
                tracker,
                reason="not_understood",
                question=tracker.get_slot("question"),
                says="not_understood_handover",
            ),
        ]
    pending = tracker.get_slot("pending")
    person = person_button(tracker)
    if pending == "feedback":
        say(
            dispatcher,
            words(tracker, "not_understood_feedback"),
            buttons=[*feedback_buttons(tracker), person],
        )
    elif pending == "clarify":
        choices = choice_buttons(tracker, tracker.get_slot("candidates") or [])
        say(dispatcher, words(tracker, "not_understood_choice"), buttons=[*choices, person])
    else:
        say(dispatcher, words(tracker, "not_understood"), buttons=[person])
    return [SlotSet("not_understood", count)]
