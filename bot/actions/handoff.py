"""Handing over when the customer asks for a person or complains."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import hand_over

REASONS = {"request_human": ("customer_request", None), "complain": ("frustration", "high")}
TEXTS = {
    "complain": (
        "I'm sorry this hasn't gone well. I'm bringing in a member of our team now; "
        "they'll see everything we've talked about."
    ),
}


class ActionHandOver(Action):
    def name(self) -> str:
        return "action_hand_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        reason, priority = REASONS.get(intent, ("customer_request", None))
        kwargs = {"text": TEXTS[intent]} if intent in TEXTS else {}
        return [
            SlotSet("pending", None),
            SlotSet("candidates", []),
            *hand_over(
                dispatcher,
                tracker,
                reason=reason,
                priority=priority,
                question=tracker.get_slot("question"),
                **kwargs,
            ),
        ]
