"""The customer's reply to "did that answer your question?": only a yes resolves the chat.

A yes is the Yes button, or a typed message the NLU takes for `affirm` with at least
`YES_CONFIDENCE`, in a language the bot reads. A no (or a complaint, see bot/actions/handoff.py)
tries the next-best article, then a person. A hesitation ("hmm", "not sure") or an unsure yes is
asked about again with the buttons; text the bot cannot read too, counted as not understood. Any
other reply never reaches here: a new question goes to the knowledge base, a request to a person.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import (
    choice_buttons,
    feedback,
    feedback_buttons,
    hand_over,
    person_button,
    reset,
    say,
    words,
)
from bot.actions.knowledge import KnowledgeAction, hits
from bot.actions.understanding import not_understood, typed_text, understood, unreadable
from bot.languages import reads
from bot.topic import asks_something, phrased_as_question
from knowledge_base.search import Decision

YES_CONFIDENCE = 0.9
YES_BUTTON = "/affirm"


def is_yes(message: dict[str, Any]) -> bool:
    """The Yes button, or a confident English (or other read language) typed yes. A text
    phrased as a question is none, however sure the NLU is: "yes?", 「はい？」, 「それだけですか？」
    ask something, and "yes but what about the fees?" asks the next question."""
    text = str(message.get("text") or "").strip()
    if text.startswith("/"):
        return text == YES_BUTTON
    intent = message.get("intent") or {}
    return (
        intent.get("name") == "affirm"
        and float(intent.get("confidence") or 0) >= YES_CONFIDENCE
        and reads(text)
        and not phrased_as_question(text)
    )


class ActionFeedback(KnowledgeAction):
    """The customer's yes or no: after an answer, after a clarification, or out of the blue."""

    def name(self) -> str:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if unreadable(tracker):  # whatever the NLU made of it, it is not a yes
            return not_understood(dispatcher, tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        pending = tracker.get_slot("pending")
        yes = is_yes(tracker.latest_message)
        if pending == "feedback":
            if intent == "deny":
                return [*understood(), *self.unhelpful(dispatcher, tracker)]
            unsure_yes = intent == "affirm" and not yes
            if unsure_yes and (asked := await self.asked_instead(dispatcher, tracker)) is not None:
                return asked
            if not yes:  # "hmm", "maybe", a yes the NLU is unsure of: ask again
                say(
                    dispatcher,
                    words(tracker, "ask_feedback_again"),
                    buttons=[*feedback_buttons(tracker), person_button(tracker)],
                )
                return understood()
            shown = tracker.get_slot("shown")
            feedback(dispatcher, tracker, helpful=True)
            say(dispatcher, words(tracker, "resolved"))
            dispatcher.utter_message(json_message={"resolve": {"article_id": shown}})
            return [*reset(), SlotSet("unhelpful", 0.0), *understood()]
        if pending == "clarify":
            if intent == "deny":
                # The agent reads which articles were offered; the best one's skill routes it.
                offered = hits(tracker.get_slot("candidates"))
                return [
                    *reset(),
                    *understood(),
                    *hand_over(
                        dispatcher,
                        tracker,
                        reason="clarification_declined",
                        skill=offered[0].skill if offered else None,  # "": general
                        question=tracker.get_slot("question"),
                        attempts=[
                            {**h.as_dict(), "helpful": False, "offered": True} for h in offered
                        ],
                    ),
                ]
            choices = choice_buttons(tracker, tracker.get_slot("candidates") or [])
            say(dispatcher, words(tracker, "which_one"), buttons=choices)
            return understood()
        answered = await self.question_instead(dispatcher, tracker)
        if answered is not None:
            return answered
        if intent == "deny":
            say(dispatcher, words(tracker, "anything_else"))
        elif intent == "affirm":
            say(dispatcher, words(tracker, "what_help"))
        else:
            say(dispatcher, words(tracker, "what_help_unsure"))
        return understood()

    async def asked_instead(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]] | None:
        """A reply phrased as a question that the NLU took for an unsure yes (「箱はもう捨てちゃった
        んですけど、それでも返品できますか」, 0.75) or for a yes at all ("yes but what about the
        fees?") is the next question: its answer or choices when the knowledge base has them;
        None otherwise (asked about again)."""
        text = typed_text(tracker)
        if self._kb is None or text.startswith("/") or not asks_something(text):
            return None
        return await self.searched_instead(
            dispatcher, tracker, text, {Decision.ANSWER, Decision.CLARIFY}
        )

    def unhelpful(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        """The article shown did not help: record it, try the next-best once, then a person."""
        question = tracker.get_slot("question")
        feedback(dispatcher, tracker, helpful=False)
        unhelpful = float(tracker.get_slot("unhelpful") or 0) + 1
        candidates = hits(tracker.get_slot("candidates"))
        if unhelpful < 2 and candidates:
            say(dispatcher, words(tracker, "next_best"))
            return [
                *self.show(dispatcher, tracker, candidates[0], candidates[1:], question),
                SlotSet("unhelpful", unhelpful),
            ]
        return [
            *reset(),
            SlotSet("unhelpful", 0.0),
            *hand_over(dispatcher, tracker, reason="unhelpful_answers", question=question),
        ]
