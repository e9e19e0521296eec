"""Handing over when the customer asks for a person or complains.

The request's topic picks the skill: what the customer said with the request taken out (or, when
nothing is left, their earlier question) is searched, and when the knowledge base would answer it,
or offers choices that all belong to one skill, the chat goes to an agent with that skill.
Otherwise it goes to `general`. A complaint right after an answer means the answer did not help,
a "request" that names nobody to talk to is answered as the question it is, and so is a first
message read as a complaint that the knowledge base answers outright (or, when the NLU is unsure
of the complaint, offers choices for: bot/actions/knowledge.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import feedback, hand_over
from bot.actions.feedback import ActionFeedback
from bot.actions.knowledge import hits
from bot.actions.understanding import typed_text, understood
from bot.topic import names_a_person, topic, word_count
from knowledge_base.search import Decision, to_a_person

REASONS = {"request_human": ("customer_request", None), "complain": ("frustration", "high")}
TEXTS = {"complain": "complaint"}  # the intent -> what the bot says as it hands over (bot.po)


class ActionHandOver(ActionFeedback):
    """Shares the feedback's unhelpful path, for a complaint about the answer just shown."""

    def name(self) -> str:
        return "action_hand_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        if intent == "complain" and tracker.get_slot("pending") == "feedback":
            return [*understood(), *self.unhelpful(dispatcher, tracker)]
        text = typed_text(tracker)
        # Nothing shown yet, and none of the app's triggers fired (insults, shouting and repeats
        # are handed over before the bot is asked): the NLU reads some plain questions as
        # complaints, so one the knowledge base answers outright is answered, and one the NLU
        # is unsure of gets choices too.
        if intent == "complain" and (
            answered := await self.question_instead(dispatcher, tracker, sure_answers=True)
        ):
            return answered
        if (
            intent == "request_human"
            and self._kb is not None
            and word_count(text) >= 3  # "agent pls": trust the NLU
            and not names_a_person(text)
        ):
            return await self.answer(dispatcher, tracker)  # a question that sounds like a request
        reason, priority = REASONS.get(intent, ("customer_request", None))
        question = tracker.get_slot("question")
        if tracker.get_slot("pending") == "feedback" and tracker.get_slot("shown"):
            # Asked whether the answer helped, the customer asks for a person instead ("No, I
            # still want a person"): it did not, and the agent reads so.
            feedback(dispatcher, tracker, helpful=False)
        about = topic(text) if intent == "request_human" else ""  # a complaint names no topic
        skill, sensitive = await self.skill_for(about or question or "")
        if sensitive:  # a scam, a bereavement: the topic's team, first, however it was asked
            priority = "high"
        # Asked while choices were on offer: the agent reads them, with their scores, as when
        # the customer says "None of these".
        offered = (
            hits(tracker.get_slot("candidates")) if tracker.get_slot("pending") == "clarify" else []
        )
        return [
            SlotSet("pending", None),
            SlotSet("candidates", []),
            *understood(),
            *hand_over(
                dispatcher,
                tracker,
                reason=reason,
                skill=skill,
                priority=priority,
                question=question,
                says=TEXTS.get(intent, "handoff"),
                attempts=[{**h.as_dict(), "helpful": False, "offered": True} for h in offered]
                or None,
            ),
        ]

    async def skill_for(self, about: str) -> tuple[str | None, bool]:
        """The skill of the article the knowledge base would answer `about` with (or of all the
        choices it would offer); None (`general`) when it would hand over or mixes skills. And
        whether the topic is one a sensitive article puts in a person's hands (the bot itself
        would hand it over, bot/actions/knowledge.py): then that article's skill."""
        if self._kb is None or not about.strip():
            return None, False
        outcome = await asyncio.to_thread(self._kb.search, about, limit=5)
        person = to_a_person(outcome, self._kb.thresholds_for(about).margin, self.sensitive)
        if person is not None:
            return person.skill or None, True
        skills = {h.skill for h in outcome.results if h.skill}
        if outcome.decision is Decision.ANSWER and outcome.results:
            return outcome.results[0].skill or None, False
        if outcome.decision is Decision.CLARIFY and len(skills) == 1:
            return skills.pop(), False
        return None, False
