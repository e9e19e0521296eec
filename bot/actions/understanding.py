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

from bot.actions.common import FEEDBACK_BUTTONS, PERSON_BUTTON, hand_over, reset, say
from bot.languages import reads

NOT_UNDERSTOOD_LIMIT = 2
NOT_UNDERSTOOD_TEXT = (
    "Sorry, I didn't understand that. Could you put it another way? I can only read English "
    "for now, and a member of our team is one click away."
)
ASK_AGAIN_TEXT = "Sorry, I didn't understand that. Did the article answer your question?"
CHOOSE_AGAIN_TEXT = (
    "Sorry, I didn't understand that. Pick one of the articles above, or tell me more about "
    "what you need."
)
HANDOVER_TEXT = (
    "I'm sorry I couldn't understand. I'm connecting you with a member of our team; they'll "
    "see everything we've talked about."
)


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
                text=HANDOVER_TEXT,
            ),
        ]
    pending = tracker.get_slot("pending")
    if pending == "feedback":
        say(dispatcher, ASK_AGAIN_TEXT, buttons=[*FEEDBACK_BUTTONS, PERSON_BUTTON])
    elif pending == "clarify":
        say(dispatcher, CHOOSE_AGAIN_TEXT, buttons=[PERSON_BUTTON])
    else:
        say(dispatcher, NOT_UNDERSTOOD_TEXT, buttons=[PERSON_BUTTON])
    return [SlotSet("not_understood", count)]
