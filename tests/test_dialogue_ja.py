"""The dialogue in Japanese: the same rules as in English, the bot's words from the Japanese
catalogue, the topic of a request for a person read from Japanese. The actions with rasa-sdk's
CollectingDispatcher and trackers built from dicts; the search is a fake."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import (
    ActionAfterEmail,
    ActionAskEmail,
    ActionBotChallenge,
    ActionDefaultFallback,
    ActionFeedback,
    ActionGoodbye,
    ActionGreet,
    ActionHandOver,
    ActionThanks,
    ValidateEmailForm,
)
from bot.actions.common import language
from bot.topic import names_a_person, topic
from core.words import say
from knowledge_base.search import Decision, Hit, SearchOutcome
from tests.test_actions import FakeKnowledge, hit, run, signal

PERSON_JA = {"title": "担当者と話す", "payload": "/request_human"}
FEEDBACK_JA = [{"title": "はい", "payload": "/affirm"}, {"title": "いいえ", "payload": "/deny"}]


def tracker(
    text: str,
    intent: str,
    slots: dict[str, Any] | None = None,
    *,
    confidence: float = 0.97,
    metadata: dict[str, Any] | None = None,
    earlier: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "metadata": metadata or {},
    }
    events = [{"event": "user", "text": t, "metadata": m} for t, m in earlier]
    events.append({"event": "user", "text": text, "metadata": metadata or {}})
    return Tracker("c1", slots or {}, latest, events, False, None, {}, "action_listen")


def after_answer(text: str, intent: str, **kwargs: Any) -> Tracker:
    slots = {
        "pending": "feedback",
        "shown": "freeze-card",
        "question": "カードを一時的に止めたい",
        "candidates": [hit("lost-card", 0.6).as_dict()],
    }
    return tracker(text, intent, slots, **kwargs)


KB = FakeKnowledge(SearchOutcome(Decision.ANSWER, []))


@pytest.mark.parametrize(
    ("text", "metadata", "earlier", "expected"),
    [
        ("こんにちは", {}, [], "ja"),  # by script
        ("hello there, how are you today", {}, [], "en"),
        ("hello", {"language": "ja"}, [], "ja"),  # the app's word comes first
        ("こんにちは", {"language": "en-GB"}, [], "en"),
        ("/affirm", {}, [("パスワードを忘れました", {})], "ja"),  # a button says nothing
        ("ok", {}, [("パスワードを忘れました", {})], "ja"),  # nor a short Latin word
        ("ok", {}, [], "en"),  # nothing sure at all: English
        ("/affirm", {}, [("hi", {"language": "ja"})], "ja"),
    ],
)
def test_the_conversations_language(text, metadata, earlier, expected) -> None:
    assert language(tracker(text, "affirm", metadata=metadata, earlier=earlier)) == expected


def test_yes_in_japanese_resolves_with_japanese_words() -> None:
    customs, slots = run(ActionFeedback(KB), after_answer("はい、解決しました", "affirm"))
    assert signal(customs, "resolve") == {"article_id": "freeze-card"}
    assert signal(customs, "feedback")["helpful"] is True
    assert say("ja", "bot.resolved") in [c.get("text") for c in customs]
    assert slots["pending"] is None


def test_an_unsure_japanese_yes_is_asked_about_again() -> None:
    customs, _ = run(ActionFeedback(KB), after_answer("うん、まあ", "affirm", confidence=0.7))
    assert signal(customs, "resolve") is None
    assert customs[-1]["text"] == say("ja", "bot.ask_feedback_again")
    assert customs[-1]["buttons"] == [*FEEDBACK_JA, PERSON_JA]


def test_a_question_taken_for_an_unsure_yes_is_answered() -> None:
    """A follow-up question the NLU read as a yes it was unsure of ("I threw the box away: can I
    still return it?") is the next question: answered, not asked about again, not resolved."""
    kb = FakeKnowledge(SearchOutcome(Decision.ANSWER, [hit("lost-card", 0.9)]))
    asked = "箱はもう捨てちゃったんですけど、それでも返品できますか"
    customs, slots = run(ActionFeedback(kb), after_answer(asked, "affirm", confidence=0.75))
    assert signal(customs, "resolve") is None
    assert any(c.get("article_id") == "lost-card" for c in customs), customs
    assert say("ja", "bot.ask_feedback_again") not in [c.get("text") for c in customs]
    assert (slots["pending"], slots["shown"]) == ("feedback", "lost-card")
    # Not phrased as a question, or asking nothing a search could answer, an unsure yes is
    # still asked about again, whatever the knowledge base finds.
    for reply in ("うん、まあ", "本当ですか"):
        customs, _ = run(ActionFeedback(kb), after_answer(reply, "affirm", confidence=0.75))
        assert customs[-1]["text"] == say("ja", "bot.ask_feedback_again"), reply


@pytest.mark.parametrize("text", ["いいえ", "解決しませんでした", "違います"])
def test_no_in_japanese_tries_the_next_best_article(text: str) -> None:
    customs, slots = run(ActionFeedback(KB), after_answer(text, "deny"))
    assert signal(customs, "feedback")["helpful"] is False
    assert [c["text"] for c in customs if "text" in c][0] == say("ja", "bot.next_best")
    assert any(c.get("article_id") == "lost-card" for c in customs)
    assert customs[-1]["text"] == "こちらの内容で解決しましたか？"
    assert customs[-1]["buttons"] == FEEDBACK_JA
    assert slots["unhelpful"] == 1.0


def test_the_yes_button_in_a_japanese_conversation_speaks_japanese() -> None:
    t = after_answer("/affirm", "affirm", confidence=1.0, metadata={"language": "ja"})
    customs, _ = run(ActionFeedback(KB), t)
    assert signal(customs, "resolve") == {"article_id": "freeze-card"}
    assert say("ja", "bot.resolved") in [c.get("text") for c in customs]


@pytest.mark.parametrize(
    ("action", "text", "key"),
    [
        (ActionGreet(), "こんにちは", "bot.greet"),
        (ActionThanks(), "ありがとうございます", "bot.thanks"),
        (ActionGoodbye(), "失礼します", "bot.goodbye"),
        (ActionAskEmail(), "メールで連絡してください", "bot.ask_email"),
        (ActionGreet(), "hi", "bot.greet"),
    ],
)
def test_plain_replies_come_from_the_catalogue(action, text: str, key: str) -> None:
    customs, _ = run(action, tracker(text, "greet"))
    expected = "ja" if text != "hi" else "en"
    assert [c for c in customs if "text" in c] == [{"text": say(expected, key)}]
    # A thanks or a goodbye tells the app so (after a resolution, the chat stays resolved).
    courtesy = isinstance(action, ActionThanks | ActionGoodbye)
    assert (signal(customs, "courtesy") is not None) is courtesy


def test_rasa_s_fallback_offers_a_person_in_japanese() -> None:
    customs, _ = run(ActionDefaultFallback(), tracker("えっと、その", "nlu_fallback"))
    assert customs == [{"text": say("ja", "bot.default"), "buttons": [PERSON_JA]}]


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("返品のことで担当の方と話したいです", "返品"),
        ("返品について担当者と話したいです", "返品"),
        ("支払いに関して担当者につないでください", "支払い"),
        ("注文のキャンセルについてスタッフと話したいです", "注文のキャンセル"),
        ("ログインできない件でオペレーターにつないでほしい", "ログインできない"),
        ("担当者と返品について話したい", "返品"),
        ("届いた商品が壊れていたので担当者と話したいです", "届いた商品が壊れていた"),
        ("人間と話したい。パスワードを忘れました", "パスワードを忘れました"),
        ("人と話したい", ""),
        ("オペレーターにつないでください", ""),
        ("誰か人はいませんか", ""),
    ],
)
def test_the_topic_of_a_request_for_a_person_in_japanese(text: str, about: str) -> None:
    assert topic(text) == about


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("担当者と話したいです", True),
        ("オペレーターにつないで", True),
        ("ボットじゃなくて人がいい", True),
        ("パスワードの変え方を知りたいです", False),
    ],
)
def test_a_japanese_request_names_a_person(text: str, names: bool) -> None:
    assert names_a_person(text) is names


class Recording(FakeKnowledge):
    def __init__(self, outcome: SearchOutcome) -> None:
        super().__init__(outcome)
        self.queries: list[str] = []

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome:
        self.queries.append(query)
        return self.outcome


def test_a_japanese_request_s_topic_picks_the_skill_and_the_bot_says_so_in_japanese() -> None:
    returns = Hit("returns", "返品の方法", 0.8, "returns")
    kb = Recording(SearchOutcome(Decision.ANSWER, [returns]))
    customs, _ = run(
        ActionHandOver(kb), tracker("返品のことで担当の方と話したいです", "request_human")
    )
    assert kb.queries == ["返品"]
    assert signal(customs, "handoff") == {"reason": "customer_request", "skill": "returns"}
    assert customs[0]["text"] == say("ja", "bot.handoff")


def test_a_japanese_question_the_nlu_took_for_a_request_is_answered() -> None:
    kb = Recording(SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.8)]))
    customs, slots = run(
        ActionHandOver(kb), tracker("カードを一時的に止める方法を知りたいです", "request_human")
    )
    assert signal(customs, "handoff") is None
    assert customs[0]["article_id"] == "freeze-card"
    assert customs[-1]["text"] == "こちらの内容で解決しましたか？"
    assert slots["pending"] == "feedback"


def test_a_japanese_complaint_hands_over_as_frustration_in_japanese() -> None:
    customs, _ = run(ActionHandOver(), tracker("本当に役に立たない", "complain"))
    assert signal(customs, "handoff") == {"reason": "frustration", "priority": "high"}
    assert customs[0]["text"] == say("ja", "bot.complaint")


@pytest.mark.parametrize(("text", "value"), [("スキップ", "-"), ("不要です", "-"), ("いいえ", "-")])
def test_the_email_form_is_skipped_in_japanese(text: str, value: str) -> None:
    result = ValidateEmailForm().validate_email(
        text, CollectingDispatcher(), tracker(text, "deny"), {}
    )
    assert result == {"email": value}


def test_an_invalid_email_is_asked_again_in_japanese() -> None:
    text = "メールはえーと"
    assert ValidateEmailForm().validate_email(
        text, CollectingDispatcher(), tracker(text, "question"), {}
    ) == {"email": None}
    customs, _ = run(ActionAskEmail(), tracker(text, "question", {"requested_slot": "email"}))
    assert customs == [{"text": say("ja", "bot.email_invalid")}]


def test_a_second_reply_with_no_address_goes_on_without_one_in_japanese() -> None:
    text = "カードを盗まれました"
    form = tracker(text, "question", {"requested_slot": "email"}, earlier=[("えーと", {})])
    form.events.insert(0, {"event": "active_loop", "name": "email_form"})
    assert ValidateEmailForm().validate_email(text, CollectingDispatcher(), form, {}) == {
        "email": "-"
    }
    slots = {"email": "-", "handoff_reason": "customer_request"}
    customs, _ = run(ActionAfterEmail(), tracker(text, "question", slots))
    assert customs[0] == {"text": say("ja", "bot.email_not_given")}
    assert signal(customs, "handoff")["reason"] == "customer_request"


@pytest.mark.parametrize(("text", "language"), [("are you a bot?", "en"), ("ボットですか？", "ja")])
def test_asked_whether_it_is_a_bot_it_says_so_with_a_person_one_click_away(
    text: str, language: str
) -> None:
    customs, slots = run(ActionBotChallenge(), tracker(text, "bot_challenge"))
    assert customs == [
        {
            "text": say(language, "bot.bot_challenge"),
            "buttons": [{"title": say(language, "bot.person_button"), "payload": "/request_human"}],
        }
    ]
    assert signal(customs, "handoff") is None and slots == {}
