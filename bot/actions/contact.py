"""Getting an email address before a chat becomes a ticket, and "email me instead"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import (
    hand_over,
    note_email,
    paused,
    person_button,
    say,
    send_handoff,
    words,
)
from bot.actions.knowledge import KnowledgeAction
from bot.actions.understanding import typed_text, understood
from core.contact import asks_to_be_emailed, declines, find_email, names_email

SKIPPED = "-"  # the email slot's value when the customer chose not to give one or gave none
TRIES = 2  # replies with no address in them before the form goes on without one


class ValidateEmailForm(FormValidationAction):
    def name(self) -> str:
        return "validate_email_form"

    def validate_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept an address anywhere in the reply ("it's ana@example.com"), or 'skip'.
        Anything else leaves the slot empty, and the form asks again (`action_ask_email`
        says what was wrong), once: a customer who answers twice with something else (often
        what they need, "my card was stolen") is not kept in the form; the hand-over goes on
        without an address, and what they wrote is in the transcript it carries."""
        text = str(slot_value or "").strip()
        found = find_email(text)
        if found:
            return {"email": found}
        if declines(text) or asks_for_person(tracker) or replies_to_form(tracker) >= TRIES:
            return {"email": SKIPPED}
        return {"email": None}


def asks_for_person(tracker: Tracker) -> bool:
    """The customer asked for a person (the "Talk to a person" button, or in words) while the
    bot asked for their address because nobody is free: the hand-over goes on without one, as
    a ticket the team sees, rather than their request being read as a wrong address."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return intent == "request_human" or typed_text(tracker) == "/request_human"


def replies_to_form(tracker: Tracker) -> int:
    """The customer's messages since the email form began, this one included (0 when the
    tracker does not show the form beginning: it then keeps asking)."""
    replies = 0
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == "email_form":
            return replies
        replies += event.get("event") == "user"
    return 0


def known_email(tracker: Tracker) -> str | None:
    metadata = tracker.latest_message.get("metadata") or {}
    email = tracker.get_slot("email")
    if email and email != SKIPPED:
        return str(email)
    return metadata.get("customer_email") or None


class ActionEmailMe(KnowledgeAction):
    """The customer would rather be emailed than wait: file a ticket (asking for an address
    first if we have none). Before anything was asked, the message is tried on the knowledge
    base first (bot/actions/knowledge.py): 「スパムメールが多すぎる」 is a question."""

    def name(self) -> str:
        return "action_email_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = typed_text(tracker)
        given = find_email(text)
        if given and not asks_to_be_emailed(text):  # "my email is …" only tells us the address
            return note_email(dispatcher, tracker, given)
        answered = await self.question_instead(dispatcher, tracker, unasked=True)
        if answered is not None:
            return answered
        if not given and not text.startswith("/") and not names_email(text):
            # The NLU guessed: nothing here asks for email ("wait, I am back", 0.49). No ticket
            # the customer did not ask for; they are asked what they need.
            say(dispatcher, words(tracker, "what_help_unsure"))
            return understood()
        if (tracker.latest_message.get("metadata") or {}).get("sends_email") is False:
            # This server sends no email: a person instead, who replies in the chat (a ticket
            # when nobody is free), with the address kept if one was given.
            if given:
                dispatcher.utter_message(json_message={"contact": {"email": given}})
            question = tracker.get_slot("question")
            return hand_over(
                dispatcher, tracker, reason="customer_request", says="email_off", question=question
            )
        email = given or known_email(tracker)
        if email is None:
            paused(dispatcher, reason="customer_chose_email", question=tracker.get_slot("question"))
            return [SlotSet("handoff_reason", "customer_chose_email"), FollowupAction("email_form")]
        if given:  # "email me at …": the address to reply to
            dispatcher.utter_message(json_message={"contact": {"email": given}})
        say(dispatcher, words(tracker, "email_me", email=email))
        dispatcher.utter_message(
            json_message={
                "ticket": {
                    "reason": "customer_chose_email",
                    "question": tracker.get_slot("question"),
                }
            }
        )
        return []


class ActionAfterEmail(Action):
    """The email form is done: pass on the address and carry on with the hand-over it paused."""

    def name(self) -> str:
        return "action_after_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        email = known_email(tracker)
        reason = tracker.get_slot("handoff_reason") or "customer_request"
        question = tracker.get_slot("question")
        cleared = [
            SlotSet("handoff_reason", None),
            SlotSet("handoff_skill", None),
            SlotSet("handoff_priority", None),
        ]
        declined = declines(tracker.latest_message.get("text") or "")
        if reason == "customer_chose_email" and not email and declined:
            # They wanted an email, then chose to give no address: a ticket saying "you would
            # rather hear from us by email" with none would be nobody's to act on.
            say(dispatcher, words(tracker, "email_me_declined"), buttons=[person_button(tracker)])
            dispatcher.utter_message(json_message={"dropped": {}})
            return cleared
        if email:
            dispatcher.utter_message(json_message={"contact": {"email": email}})
            say(dispatcher, words(tracker, "email_thanks"))
        elif asks_for_person(tracker):
            say(dispatcher, words(tracker, "handoff_no_agent"))
        elif declined:
            say(dispatcher, words(tracker, "email_skipped"))
        else:
            say(dispatcher, words(tracker, "email_not_given"))
        if reason == "customer_chose_email":
            dispatcher.utter_message(
                json_message={"ticket": {"reason": reason, "question": question}}
            )
        else:
            send_handoff(
                dispatcher,
                reason=reason,
                skill=tracker.get_slot("handoff_skill"),
                priority=tracker.get_slot("handoff_priority"),
                question=question,
            )
        return cleared
