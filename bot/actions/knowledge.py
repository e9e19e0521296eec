"""Answering from the knowledge base: answer, clarify or hand over; then ask if it helped.

A message is a question for the knowledge base when the NLU reads it as one, and also when it
reads a dialogue act (hello, thanks, goodbye, yes, no, "not sure", a complaint) but is not sure
of it (below `ACT_CONFIDENCE`) while nothing is pending: questions the NLU has not met, written
in words its training data lacks (kana alone, 「めいぎへんこう」), come out as some act with a
middling confidence, where the acts it was taught come out near 1. Such a message gets the
knowledge base's answer or choices when it has any, and the act's own reply otherwise. A request
to be emailed before anything was asked is tried the same way, however sure the NLU is
(「スパムメールが多すぎる」 reads as one). So is a text whose words cannot carry the act at all (a
thanks or goodbye phrased as a question, a question about the bot that names no bot), and that
one also while an answer or choices await the customer's reply: "what are the fees?" after an
answer is the next question, not a question about the bot.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import (
    KnowledgeSource,
    ask_feedback,
    choice_buttons,
    hand_over,
    note_email,
    person_button,
    reset,
    say,
    show_article,
    words,
)
from bot.actions.understanding import not_understood, typed_text, understood, unreadable
from bot.topic import asks_something, phrased_as_question, word_count
from core.contact import only_gives_email
from knowledge_base.search import Decision, Hit, SearchOutcome, to_a_person
from knowledge_base.store import Article

# Below this the NLU's dialogue act is not trusted while nothing is pending (see above).
ACT_CONFIDENCE = 0.95
# A message this short that the NLU cannot place and the knowledge base cannot answer is asked
# about again rather than handed over at once.
SAY_MORE_WORDS = 2


class KnowledgeAction(Action):
    """rasa-sdk builds actions with no arguments, so the knowledge source is a keyword argument;
    the app passes its own when it registers the actions (bot/server.py)."""

    def __init__(self, kb: KnowledgeSource | None = None) -> None:
        self._kb = kb

    @property
    def kb(self) -> KnowledgeSource:
        if self._kb is None:
            raise RuntimeError(f"{self.name()} needs a knowledge source; serve it with bot.server")
        return self._kb

    def name(self) -> str:  # pragma: no cover - every subclass names itself
        raise NotImplementedError

    def article(self, article_id: str) -> Article | None:
        """The article, only while it is published: an id from the tracker (a choice's button,
        the candidates slot) may be stale, or forged, and name a draft or an archived one."""
        found = self.kb.article(article_id)
        return found if found is not None and found.status == "published" else None

    def sensitive(self, article_id: str) -> bool:
        return (article := self.article(article_id)) is not None and article.sensitive

    def show(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        hit: Hit,
        others: list[Hit],
        question: str | None,
    ) -> list[dict[str, Any]]:
        """Show one article: sensitive ones go straight to a person, others ask for feedback."""
        article = self.article(hit.article_id)
        if article is None:
            return [
                *reset(),
                *hand_over(
                    dispatcher,
                    tracker,
                    reason="no_answer",
                    question=question,
                    says="no_answer",
                ),
            ]
        show_article(dispatcher, article, hit.score)
        if article.sensitive:
            return [
                *reset(),
                *hand_over(
                    dispatcher,
                    tracker,
                    reason="sensitive_topic",
                    skill=article.skill,
                    priority="high",
                    question=question,
                    says="sensitive",
                ),
            ]
        ask_feedback(dispatcher, tracker)
        return [
            SlotSet("pending", "feedback"),
            SlotSet("shown", article.id),
            SlotSet("candidates", [h.as_dict() for h in others]),
            SlotSet("question", question),
        ]

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """Answer the customer's message from the knowledge base: answer, clarify or hand over
        (or say it was not understood)."""
        text = typed_text(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if address := only_gives_email(text):  # "my email is …" is no question
            return note_email(dispatcher, tracker, address)
        if unreadable(tracker):  # the knowledge base would only guess at it
            return not_understood(dispatcher, tracker)
        outcome = await asyncio.to_thread(self.kb.search, text, limit=5)
        if (intent == "nonsense" and self._meaningless(outcome, text)) or (
            # After an answer, a reply the NLU could not place ("ok") is asked about again, and
            # so is a word or two nothing fits ("help"): the customer can say more, or take
            # the person button (a second such turn hands over).
            intent == "nlu_fallback"
            and (tracker.get_slot("pending") == "feedback" or word_count(text) <= SAY_MORE_WORDS)
            and outcome.decision is Decision.ESCALATE
        ):
            # Choices for a message with no meaning would be guesses: only a sure answer counts.
            return not_understood(dispatcher, tracker)
        return [*understood(), *self.decide(dispatcher, tracker, outcome, text, intent)]

    @staticmethod
    def _meaningless(outcome: SearchOutcome, text: str) -> bool:
        """A message read as nonsense that is none for the bot: no outright answer, and either
        nothing close or a text that asks nothing. A text phrased as a question (「あと何ギガ
        残ってる？」, read as nonsense at 0.97 by one training) gets its choices."""
        if outcome.decision is Decision.ANSWER:
            return False
        return outcome.decision is Decision.ESCALATE or not asks_something(text)

    async def question_instead(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        *,
        unasked: bool = False,
        sure_answers: bool = False,
        courtesy: bool = False,
        unlikely: bool = False,
    ) -> list[dict[str, Any]] | None:
        """The knowledge base's answer or choices for a dialogue act that may be a question
        (module docstring), or None: the act stands. `unasked`: the act makes sense only once
        something was asked, so the NLU's confidence does not matter before then.
        `sure_answers`: however sure the NLU is of the act, an outright answer still wins.
        `courtesy`: the act is a thanks or a goodbye, which a text phrased as a question is
        not, however sure the NLU is ("Suicaで払えますか" read as thanks gets its choices).
        `unlikely`: the text does not read as the act, however sure the NLU is."""
        text = typed_text(tracker)
        misread = unlikely or (courtesy and phrased_as_question(text))  # the words cannot be it
        replying = tracker.get_slot("pending") is not None
        if self._kb is None or (replying and not misread) or unreadable(tracker):
            return None
        intent = tracker.latest_message.get("intent") or {}
        doubted = (
            float(intent.get("confidence") or 0) < ACT_CONFIDENCE
            or (unasked and not tracker.get_slot("question"))
            or misread
        )
        if text.startswith("/") or not (doubted or sure_answers):
            return None
        wanted = {Decision.ANSWER, Decision.CLARIFY} if doubted else {Decision.ANSWER}
        return await self.searched_instead(dispatcher, tracker, text, wanted)

    async def searched_instead(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str,
        wanted: set[Decision],
    ) -> list[dict[str, Any]] | None:
        """`text` taken as a question: the knowledge base's answer or choices when its decision
        is one of `wanted`, else None (what the NLU read stands)."""
        outcome = await asyncio.to_thread(self.kb.search, text, limit=5)
        if outcome.decision not in wanted:
            return None
        return [*understood(), *self.decide(dispatcher, tracker, outcome, text, "question")]

    def decide(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        outcome: SearchOutcome,
        text: str,
        intent: str | None,
    ) -> list[dict[str, Any]]:
        if outcome.decision is Decision.ANSWER:
            rest = [
                h for h in outcome.results[1:] if h.score >= self.kb.thresholds_for(text).clarify
            ]
            return self.show(dispatcher, tracker, outcome.results[0], rest, text)
        if outcome.decision is Decision.CLARIFY:
            # Possibly fraud, bereavement, ...: a person decides, not a button (one further down
            # the choices is left out).
            margin = self.kb.thresholds_for(text).margin
            person = to_a_person(outcome, margin, self.sensitive)
            if person is not None:
                return [
                    *reset(),
                    SlotSet("question", text),
                    *hand_over(
                        dispatcher,
                        tracker,
                        reason="sensitive_topic",
                        skill=person.skill,
                        priority="high",
                        question=text,
                        says="sensitive",
                    ),
                ]
            choices = [h.as_dict() for h in outcome.results if not self.sensitive(h.article_id)]
            say(dispatcher, words(tracker, "clarify"), buttons=choice_buttons(tracker, choices))
            return [
                SlotSet("pending", "clarify"),
                SlotSet("candidates", choices),
                SlotSet("question", text),
            ]
        reason = "low_nlu_confidence" if intent == "nlu_fallback" else "no_answer"
        return [
            *reset(),
            SlotSet("question", text),
            *hand_over(
                dispatcher,
                tracker,
                reason=reason,
                question=text,
                says="no_answer",
            ),
        ]


class ActionAnswerQuestion(KnowledgeAction):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await self.answer(dispatcher, tracker)


def hits(raw: Any) -> list[Hit]:
    return [
        Hit(
            str(h["article_id"]),
            str(h.get("title", "")),
            float(h.get("score", 0)),
            str(h.get("skill", "")),
        )
        for h in (raw or [])
        if isinstance(h, dict) and h.get("article_id")
    ]


class ActionChooseArticle(KnowledgeAction):
    def name(self) -> str:
        return "action_choose_article"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        chosen = next(tracker.get_latest_entity_values("article_id"), None)
        if chosen is None and tracker.get_slot("pending") == "clarify":
            # A place the list does not have, typed ("the fourth one" of three; the app sends
            # the bare intent): asked again, as a reply the bot cannot read.
            return not_understood(dispatcher, tracker)
        candidates = hits(tracker.get_slot("candidates"))
        hit = next((h for h in candidates if h.article_id == chosen), None)
        article = self.article(chosen) if chosen else None  # none, gone or no longer published
        if article is None:
            say(dispatcher, words(tracker, "article_missing"), buttons=[person_button(tracker)])
            return reset()
        hit = hit or Hit(article.id, article.title, 0.0, article.skill)
        others = [h for h in candidates if h.article_id != hit.article_id]
        return [
            *understood(),
            *self.show(dispatcher, tracker, hit, others, tracker.get_slot("question")),
        ]
