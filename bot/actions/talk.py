"""The bot's plain replies (greeting, goodbye, you're welcome, the email form's question and
Rasa's own fallback), spoken from the catalogue in the conversation's language.

They are actions rather than domain responses so that every word the bot says has one source,
locale/<language>/LC_MESSAGES/bot.po; the cost is one call from Rasa to the app's action route
per reply, as every other turn already makes (README, "How the bot decides", has the figure).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import feedback_buttons, person_button, say, words
from bot.actions.knowledge import KnowledgeAction
from bot.actions.understanding import typed_text
from bot.topic import asks_about_the_bot, phrased_as_question


class Reply(Action):
    """Says one text of the catalogue; nothing else happens."""

    action_name = ""
    text = ""  # the key in bot.po, without "bot."
    buttons = False  # with a "talk to a person" button
    # A thanks or a goodbye says so to the app (`courtesy`): one after a resolution leaves the
    # chat resolved instead of reopening it.
    courtesy = False

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        extra = {"buttons": [person_button(tracker)]} if self.buttons else {}
        say(dispatcher, words(tracker, self.text), **extra)
        if self.courtesy:
            dispatcher.utter_message(json_message={"courtesy": {"act": self.text}})
        return []


class ActReply(Reply, KnowledgeAction):
    """The reply to a dialogue act the customer may not have meant (bot/actions/knowledge.py:
    a question the NLU read as a greeting is answered as the question). `sure_answers`: an
    article the knowledge base answers with outright wins however sure the NLU is of the act."""

    sure_answers = False
    about_the_bot = False  # the act is a question about the bot: the text must name it

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = typed_text(tracker)
        answered = await self.question_instead(
            dispatcher,
            tracker,
            sure_answers=self.sure_answers,
            courtesy=self.courtesy,
            unlikely=self.about_the_bot and not asks_about_the_bot(text),
        )
        if answered is not None:
            return answered
        if self.courtesy and phrased_as_question(text) and not text.startswith("/"):
            # "is that all?", read as a goodbye: a question nothing here answers, never a
            # goodbye (nor a thanks that leaves the chat resolved).
            return unanswered(dispatcher, tracker)
        return await super().run(dispatcher, tracker, domain)


def unanswered(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """The reply to a question the knowledge base has nothing for that the NLU read as an act:
    after an answer, "did that answer your question?" again with its buttons; otherwise what
    else the customer needs; a person one click away either way."""
    if tracker.get_slot("pending") == "feedback":
        buttons = [*feedback_buttons(tracker), person_button(tracker)]
        say(dispatcher, words(tracker, "ask_feedback_again"), buttons=buttons)
    else:
        say(dispatcher, words(tracker, "what_help_unsure"), buttons=[person_button(tracker)])
    return []


class ActionGreet(ActReply):
    action_name, text = "action_greet", "greet"


class ActionGoodbye(ActReply):
    action_name, text, courtesy = "action_goodbye", "goodbye", True


class ActionThanks(ActReply):
    """Praise is thanks too ("great service"); a knowledge base that holds an article for it
    (an assistant's "you're welcome") answers with that."""

    action_name, text, courtesy = "action_thanks", "thanks", True
    sure_answers = True


class ActionBotChallenge(ActReply):
    """ "Are you a bot?", "who am I talking to?", "what can you do?": the bot says what it is,
    with a person one click away (not a hand-over, and not a complaint)."""

    action_name, text = "action_bot_challenge", "bot_challenge"
    buttons = True
    about_the_bot = True


class ActionAskEmail(Reply):
    """The email form's question (Rasa asks `action_ask_<slot>` when the domain lists it).
    Asked again after a reply with no address in it, it says so in one message, instead of a
    complaint followed by the same question: `requested_slot` is still "email" then, and unset
    the first time (the form sets it after asking, and clears it when it is done)."""

    action_name, text = "action_ask_email", "ask_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        again = tracker.get_slot("requested_slot") == "email"
        say(dispatcher, words(tracker, "email_invalid" if again else self.text))
        return []


class ActionDefaultFallback(Action):
    """Rasa's fallback when no rule fits, as Rasa's own does it (the message is reverted, so
    the dialogue carries on as if it had not been said), with a person one click away."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, words(tracker, "default"), buttons=[person_button(tracker)])
        return [UserUtteranceReverted()]
