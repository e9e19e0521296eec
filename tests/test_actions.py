"""The custom actions with rasa-sdk's CollectingDispatcher and trackers built from dicts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import (
    ActionAfterEmail,
    ActionAnswerQuestion,
    ActionAskEmail,
    ActionChooseArticle,
    ActionEmailMe,
    ActionFeedback,
    ActionHandOver,
    ActionThanks,
    ValidateEmailForm,
)
from core.words import say
from knowledge_base.search import Decision, Hit, SearchOutcome, Thresholds
from knowledge_base.store import Article

ARTICLES = {
    "freeze-card": Article("freeze-card", "Freeze your card", "Open Cards.", [], "cards", []),
    "lost-card": Article("lost-card", "Lost or stolen card", "Report it.", [], "cards", []),
    "report-fraud": Article("report-fraud", "Report fraud", "Call us.", [], "fraud", ["sensitive"]),
    # Tagged by editors who typed it otherwise: capitals, full-width letters.
    "stolen-id": Article("stolen-id", "Stolen identity", "Call us.", [], "fraud", ["Sensitive"]),
    "stolen-pin": Article(
        "stolen-pin", "Stolen PIN", "Call us.", [], "fraud", ["ＳＥＮＳＩＴＩＶＥ"]
    ),
}


class FakeKnowledge:
    thresholds = Thresholds(answer=0.56, margin=0.03, clarify=0.52, window=0.05)

    def __init__(self, outcome: SearchOutcome) -> None:
        self.outcome = outcome

    def thresholds_for(self, question: str) -> Thresholds:
        return self.thresholds

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome:
        return self.outcome

    def article(self, article_id: str) -> Article | None:
        return ARTICLES.get(article_id)


def hit(article_id: str, score: float) -> Hit:
    a = ARTICLES[article_id]
    return Hit(a.id, a.title, score, a.skill)


def tracker(
    text: str,
    intent: str,
    slots: dict[str, Any] | None = None,
    entities=None,
    confidence: float = 0.9,
) -> Tracker:
    return Tracker(
        "c1",
        slots or {},
        {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
        },
        [],
        False,
        None,
        {},
        "action_listen",
    )


def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return customs, slots


def signal(customs, name):
    return next((c[name] for c in customs if name in c), None)


def test_answer_shows_the_article_and_asks_for_feedback() -> None:
    kb = FakeKnowledge(
        SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.8), hit("lost-card", 0.6)])
    )
    customs, slots = run(ActionAnswerQuestion(kb), tracker("freeze my card", "question"))
    assert customs[0]["article_id"] == "freeze-card"
    assert customs[1]["buttons"] == [
        {"title": "Yes", "payload": "/affirm"},
        {"title": "No", "payload": "/deny"},
    ]
    assert slots["pending"] == "feedback"
    assert [c["article_id"] for c in slots["candidates"]] == ["lost-card"]
    assert signal(customs, "handoff") is None


def test_sensitive_article_is_shown_and_handed_over_at_once() -> None:
    kb = FakeKnowledge(SearchOutcome(Decision.ANSWER, [hit("report-fraud", 0.8)]))
    customs, _ = run(ActionAnswerQuestion(kb), tracker("someone stole money", "question"))
    assert customs[0]["article_id"] == "report-fraud"
    assert signal(customs, "handoff") == {
        "reason": "sensitive_topic",
        "skill": "fraud",
        "priority": "high",
        "question": "someone stole money",
    }


@pytest.mark.parametrize("article_id", ["stolen-id", "stolen-pin"])
def test_a_sensitive_tag_counts_however_it_is_typed(article_id: str) -> None:
    kb = FakeKnowledge(SearchOutcome(Decision.ANSWER, [hit(article_id, 0.8)]))
    customs, _ = run(ActionAnswerQuestion(kb), tracker("someone stole my identity", "question"))
    assert signal(customs, "handoff")["reason"] == "sensitive_topic"


def test_sensitive_choice_in_a_clarification_goes_to_a_person() -> None:
    kb = FakeKnowledge(
        SearchOutcome(Decision.CLARIFY, [hit("lost-card", 0.55), hit("report-fraud", 0.54)])
    )
    customs, _ = run(ActionAnswerQuestion(kb), tracker("someone has my card", "question"))
    assert signal(customs, "handoff")["reason"] == "sensitive_topic"


def test_a_sensitive_article_far_down_the_choices_is_left_out_not_handed_over() -> None:
    """A routine question whose third choice happens to be the fraud article: the customer
    gets the other choices, not a person at high priority, and no fraud button."""
    kb = FakeKnowledge(
        SearchOutcome(
            Decision.CLARIFY,
            [hit("freeze-card", 0.60), hit("lost-card", 0.58), hit("report-fraud", 0.53)],
        )
    )
    customs, slots = run(ActionAnswerQuestion(kb), tracker("my card", "question"))
    assert signal(customs, "handoff") is None
    assert [b["title"] for b in customs[0]["buttons"]] == [
        "Freeze your card",
        "Lost or stolen card",
        "None of these",
    ]
    assert [c["article_id"] for c in slots["candidates"]] == ["freeze-card", "lost-card"]


def test_clarify_offers_buttons_and_none_of_these() -> None:
    kb = FakeKnowledge(
        SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.55), hit("lost-card", 0.54)])
    )
    customs, slots = run(ActionAnswerQuestion(kb), tracker("my card", "question"))
    buttons = customs[0]["buttons"]
    assert [b["title"] for b in buttons] == [
        "Freeze your card",
        "Lost or stolen card",
        "None of these",
    ]
    assert buttons[0]["payload"] == '/choose_article{"article_id": "freeze-card"}'
    assert slots["pending"] == "clarify"


@pytest.mark.parametrize(
    ("intent", "reason"), [("question", "no_answer"), ("nlu_fallback", "low_nlu_confidence")]
)
def test_escalate_hands_over(intent: str, reason: str) -> None:
    kb = FakeKnowledge(SearchOutcome(Decision.ESCALATE, []))
    customs, _ = run(ActionAnswerQuestion(kb), tracker("what is the meaning of life", intent))
    assert signal(customs, "handoff")["reason"] == reason


def test_a_word_or_two_nothing_fits_is_asked_about_before_a_hand_over() -> None:
    """ "help": the customer may say more (or take the person button); a second such turn
    hands over, as any two turns not understood do."""
    kb = FakeKnowledge(SearchOutcome(Decision.ESCALATE, []))
    customs, slots = run(ActionAnswerQuestion(kb), tracker("help", "nlu_fallback"))
    assert "handoff" not in {key for c in customs for key in c}
    assert slots["not_understood"] == 1
    again = tracker("help me", "nlu_fallback", {"not_understood": 1.0})
    customs, _ = run(ActionAnswerQuestion(kb), again)
    assert signal(customs, "handoff")["reason"] == "not_understood"


def test_choosing_an_article_shows_it() -> None:
    candidates = [hit("freeze-card", 0.55).as_dict(), hit("lost-card", 0.54).as_dict()]
    t = tracker(
        '/choose_article{"article_id": "lost-card"}',
        "choose_article",
        {"candidates": candidates, "question": "my card"},
        [{"entity": "article_id", "value": "lost-card"}],
    )
    customs, slots = run(ActionChooseArticle(FakeKnowledge(SearchOutcome(Decision.CLARIFY, []))), t)
    assert customs[0]["article_id"] == "lost-card"
    assert slots["pending"] == "feedback"
    assert [c["article_id"] for c in slots["candidates"]] == ["freeze-card"]


def test_yes_resolves() -> None:
    t = tracker("yes", "affirm", {"pending": "feedback", "shown": "freeze-card"})
    customs, _ = run(ActionFeedback(FakeKnowledge(SearchOutcome(Decision.ANSWER, []))), t)
    assert signal(customs, "feedback") == {
        "article_id": "freeze-card",
        "helpful": True,
        "question": None,
    }
    assert signal(customs, "resolve") == {"article_id": "freeze-card"}


def test_first_no_tries_the_next_best_second_no_hands_over() -> None:
    kb = FakeKnowledge(SearchOutcome(Decision.ANSWER, []))
    t = tracker(
        "no",
        "deny",
        {
            "pending": "feedback",
            "shown": "freeze-card",
            "candidates": [hit("lost-card", 0.6).as_dict()],
            "unhelpful": 0.0,
        },
    )
    customs, slots = run(ActionFeedback(kb), t)
    assert signal(customs, "feedback") == {
        "article_id": "freeze-card",
        "helpful": False,
        "question": None,
    }
    assert any(c.get("article_id") == "lost-card" for c in customs)
    assert signal(customs, "handoff") is None
    t2 = tracker(
        "no",
        "deny",
        {
            "pending": "feedback",
            "shown": "lost-card",
            "candidates": [],
            "unhelpful": slots["unhelpful"],
        },
    )
    customs2, _ = run(ActionFeedback(kb), t2)
    assert signal(customs2, "handoff")["reason"] == "unhelpful_answers"


def test_no_with_nothing_else_to_try_hands_over() -> None:
    t = tracker("no", "deny", {"pending": "feedback", "shown": "freeze-card", "candidates": []})
    customs, _ = run(ActionFeedback(FakeKnowledge(SearchOutcome(Decision.ANSWER, []))), t)
    assert signal(customs, "handoff")["reason"] == "unhelpful_answers"


def test_none_of_these_hands_over() -> None:
    t = tracker("none of these", "deny", {"pending": "clarify", "question": "my card"})
    customs, _ = run(ActionFeedback(FakeKnowledge(SearchOutcome(Decision.CLARIFY, []))), t)
    assert signal(customs, "handoff") == {"reason": "clarification_declined", "question": "my card"}


def test_none_of_these_tells_the_agent_what_was_offered_and_routes_by_the_best() -> None:
    offered = [hit("lost-card", 0.55).as_dict(), hit("freeze-card", 0.54).as_dict()]
    t = tracker(
        "none of these",
        "deny",
        {"pending": "clarify", "question": "my card", "candidates": offered},
    )
    customs, _ = run(ActionFeedback(FakeKnowledge(SearchOutcome(Decision.CLARIFY, []))), t)
    handoff = signal(customs, "handoff")
    assert handoff["skill"] == "cards"
    assert [(a["title"], a["offered"]) for a in handoff["attempts"]] == [
        ("Lost or stolen card", True),
        ("Freeze your card", True),
    ]


def test_asking_for_a_person_while_choices_are_on_offer_tells_the_agent_their_scores() -> None:
    offered = [hit("lost-card", 0.55).as_dict(), hit("freeze-card", 0.54).as_dict()]
    t = tracker(
        "agent",
        "request_human",
        {"pending": "clarify", "question": "my card", "candidates": offered},
    )
    customs, _ = run(ActionHandOver(), t)
    handoff = signal(customs, "handoff")
    assert [
        (a["article_id"], a["score"], a["offered"], a["helpful"]) for a in handoff["attempts"]
    ] == [
        ("lost-card", 0.55, True, False),
        ("freeze-card", 0.54, True, False),
    ]
    # Nothing on offer (an answer awaiting feedback, or nothing yet): the app finds what was shown.
    customs, _ = run(ActionHandOver(), tracker("agent", "request_human", {"candidates": offered}))
    assert "attempts" not in signal(customs, "handoff")


@pytest.mark.parametrize("typed", [("maybe", "affirm"), ("blah blah", "nlu_fallback")])
def test_choices_are_offered_again_with_the_reply_to_words_that_pick_none(typed) -> None:
    """Only the newest message's buttons can be pressed: a reply that asks the customer to
    pick one carries the choices again."""
    text, intent = typed
    offered = [hit("lost-card", 0.55).as_dict(), hit("freeze-card", 0.54).as_dict()]
    t = tracker(text, intent, {"pending": "clarify", "question": "my card", "candidates": offered})
    customs, _ = run(ActionFeedback(FakeKnowledge(SearchOutcome(Decision.CLARIFY, []))), t)
    titles = [b["title"] for b in customs[-1]["buttons"]]
    assert titles[:3] == ["Lost or stolen card", "Freeze your card", "None of these"]


@pytest.mark.parametrize(
    ("intent", "reason", "priority"),
    [("request_human", "customer_request", None), ("complain", "frustration", "high")],
)
def test_hand_over_action(intent: str, reason: str, priority: str | None) -> None:
    customs, _ = run(ActionHandOver(), tracker("...", intent))
    handoff = signal(customs, "handoff")
    assert handoff["reason"] == reason
    assert handoff.get("priority") == priority


def test_asking_for_a_person_instead_of_saying_whether_the_answer_helped_means_it_did_not() -> None:
    t = tracker(
        "No, I still want a person please",
        "request_human",
        {"pending": "feedback", "shown": "lost-card", "question": "my card is gone"},
    )
    customs, _ = run(ActionHandOver(), t)
    assert signal(customs, "feedback") == {
        "article_id": "lost-card",
        "helpful": False,
        "question": "my card is gone",
    }
    assert signal(customs, "handoff")["reason"] == "customer_request"
    # Nothing awaiting feedback: nothing said about any article.
    customs, _ = run(ActionHandOver(), tracker("a person please", "request_human"))
    assert signal(customs, "feedback") is None


def test_asking_for_a_person_about_a_sensitive_topic_goes_to_its_team_first() -> None:
    """ "A person about a scam payment": the topic is one the bot itself would put in a person's
    hands (a sensitive article among close choices), so its skill and a high priority, as if
    the customer had only said what happened."""
    close = SearchOutcome(Decision.CLARIFY, [hit("lost-card", 0.55), hit("report-fraud", 0.545)])
    t = tracker("I need to talk to a person about a scam payment I made", "request_human")
    customs, _ = run(ActionHandOver(FakeKnowledge(close)), t)
    handoff = signal(customs, "handoff")
    assert (handoff["skill"], handoff["priority"]) == ("fraud", "high")
    assert handoff["reason"] == "customer_request"
    routine = SearchOutcome(Decision.CLARIFY, [hit("lost-card", 0.55), hit("freeze-card", 0.54)])
    customs, _ = run(ActionHandOver(FakeKnowledge(routine)), t)
    assert (signal(customs, "handoff")["skill"], signal(customs, "handoff").get("priority")) == (
        "cards",
        None,
    )


def tracker_with(text: str, intent: str, slots=None, metadata=None) -> Tracker:
    t = tracker(text, intent, slots)
    t.latest_message["metadata"] = metadata or {}
    return t


NOBODY_ONLINE = {"agents_available": False, "customer_email": None}


def test_no_email_and_nobody_online_asks_for_an_email_first() -> None:
    customs, slots = run(
        ActionHandOver(), tracker_with("a person please", "request_human", metadata=NOBODY_ONLINE)
    )
    assert signal(customs, "handoff") is None
    assert slots["handoff_reason"] == "customer_request"
    # The app is told the hand-over waits on an address: a customer who leaves now still
    # leaves a ticket at the idle limit.
    assert signal(customs, "paused") == {
        "reason": "customer_request",
        "skill": None,  # the app's defaults, as for a hand-over signal
        "priority": None,
        "question": None,
    }
    dispatcher = CollectingDispatcher()
    events = asyncio.run(
        ActionHandOver().run(
            dispatcher, tracker_with("x", "request_human", metadata=NOBODY_ONLINE), {}
        )
    )
    assert {"event": "followup", "name": "email_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]


@pytest.mark.parametrize(
    ("action", "text", "intent", "said"),
    [
        (ActionAnswerQuestion(FakeKnowledge(SearchOutcome(Decision.ESCALATE, []))),
         "what is the meaning of life", "question", "bot.no_answer_no_agent"),
        (ActionAnswerQuestion(FakeKnowledge(SearchOutcome(Decision.ANSWER, [hit("report-fraud", 0.8)]))),
         "someone stole money", "question", "bot.sensitive_no_agent"),
        (ActionHandOver(), "this is useless", "complain", "bot.complaint_no_agent"),
        (ActionHandOver(), "a person please", "request_human", "bot.handoff_no_agent"),
    ],
)  # fmt: skip
def test_with_nobody_online_the_bot_still_says_why_it_hands_over(action, text, intent, said):
    """The customer learns why (no article, a matter for a person, a complaint) as well as
    that nobody is free, before the bot asks for an address."""
    customs, _ = run(action, tracker_with(text, intent, metadata=NOBODY_ONLINE))
    assert [c["text"] for c in customs if "text" in c][-1] == say("en", said)


@pytest.mark.parametrize(
    "metadata",
    [
        {"agents_available": True},
        {"agents_available": False, "customer_email": "a@b.co"},
        # Nobody online and no address, but this server sends no email: the chat is the way.
        {"agents_available": False, "customer_email": None, "sends_email": False},
    ],
)
def test_hand_over_goes_ahead_when_someone_can_reply(metadata) -> None:
    customs, _ = run(
        ActionHandOver(), tracker_with("a person please", "request_human", metadata=metadata)
    )
    assert signal(customs, "handoff")["reason"] == "customer_request"
    # Nobody online: it becomes a ticket at once, so the bot connects the customer to nobody.
    said = [c["text"] for c in customs if "text" in c]
    online = metadata["agents_available"]
    assert said == [say("en", "bot.handoff" if online else "bot.handoff_no_agent")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ana@example.com", "ana@example.com"),
        ("sure, it's ana.lee@example.co.uk.", "ana.lee@example.co.uk"),
        ("skip", "-"),
        ("no thanks", "-"),
        ("ana at example dot com", None),
        ("@example.com", None),
    ],
)
def test_email_form_validation(text: str, value: str | None) -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateEmailForm().validate_email(text, dispatcher, tracker(text, "question"), {})
    assert result == {"email": value}
    assert dispatcher.messages == []  # the form's question says what was wrong (below)


def test_the_email_question_asked_again_says_the_reply_held_no_address() -> None:
    first, _ = run(ActionAskEmail(), tracker("a person", "request_human"))
    waiting = tracker("ana at example", "question", {"requested_slot": "email"})
    again, _ = run(ActionAskEmail(), waiting)
    assert first == [{"text": say("en", "bot.ask_email")}]
    assert again == [{"text": say("en", "bot.email_invalid")}]


def in_the_form(*replies: str) -> Tracker:
    """A tracker whose email form began, then heard `replies` (the last one is the latest)."""
    t = tracker(replies[-1], "question", {"requested_slot": "email"})
    t.events = [
        {"event": "user", "text": "a person please"},
        {"event": "active_loop", "name": "email_form"},
        *({"event": "user", "text": r} for r in replies),
    ]
    return t


def test_asking_for_a_person_while_asked_for_an_address_goes_on_without_one() -> None:
    """Nobody is free, so the bot asks for an address; the customer presses "Talk to a person"
    (or asks in words): not a wrong address, but the hand-over goes on, as a ticket the team
    sees, saying nobody is free rather than "that doesn't look like an email address"."""
    validate = ValidateEmailForm().validate_email
    for text in ("/request_human", "I just want to talk to someone"):
        pressed = tracker(text, "request_human", {"requested_slot": "email"})
        assert validate(text, CollectingDispatcher(), pressed, {}) == {"email": "-"}
    after = tracker(
        "/request_human",
        "request_human",
        {"email": "-", "handoff_reason": "customer_request", "question": "my card is blocked"},
    )
    after.latest_message["metadata"] = NOBODY_ONLINE
    customs, _ = run(ActionAfterEmail(), after)
    assert [c["text"] for c in customs if "text" in c] == [say("en", "bot.handoff_no_agent")]
    assert signal(customs, "handoff")["reason"] == "customer_request"


def test_a_second_reply_with_no_address_goes_on_without_one() -> None:
    validate = ValidateEmailForm().validate_email
    first = validate("hello?", CollectingDispatcher(), in_the_form("hello?"), {})
    second = in_the_form("hello?", "my card was stolen")
    assert first == {"email": None}
    assert validate("my card was stolen", CollectingDispatcher(), second, {}) == {"email": "-"}
    # An address is still taken, however late it comes.
    late = in_the_form("hello?", "oh, ana@example.com")
    assert validate("oh, ana@example.com", CollectingDispatcher(), late, {}) == {
        "email": "ana@example.com"
    }


def test_the_hand_over_says_whether_the_customer_skipped_or_gave_no_address() -> None:
    def words_after(text: str) -> list[dict]:
        slots = {"email": "-", "handoff_reason": "no_answer", "question": "pet insurance?"}
        customs, _ = run(ActionAfterEmail(), tracker_with(text, "question", slots, NOBODY_ONLINE))
        assert signal(customs, "handoff") == {"reason": "no_answer", "question": "pet insurance?"}
        return [c for c in customs if "text" in c]

    assert words_after("skip") == [{"text": say("en", "bot.email_skipped")}]
    assert words_after("my card was stolen") == [{"text": say("en", "bot.email_not_given")}]


def test_after_the_form_the_hand_over_carries_on_with_the_address() -> None:
    t = tracker_with(
        "ana@example.com",
        "question",
        {"email": "ana@example.com", "handoff_reason": "no_answer", "question": "pet insurance?"},
        NOBODY_ONLINE,
    )
    customs, slots = run(ActionAfterEmail(), t)
    assert signal(customs, "contact") == {"email": "ana@example.com"}
    assert signal(customs, "handoff") == {"reason": "no_answer", "question": "pet insurance?"}
    assert slots["handoff_reason"] is None


def test_an_address_given_without_asking_is_noted_and_files_nothing() -> None:
    kb = FakeKnowledge(SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.8)]))
    for action, intent in [(ActionEmailMe(kb), "email_me"), (ActionAnswerQuestion(kb), "question")]:
        customs, slots = run(action, tracker_with("My email is ana@example.com", intent))
        assert signal(customs, "contact") == {"email": "ana@example.com"}
        assert signal(customs, "ticket") is None and signal(customs, "handoff") is None
        assert customs[-1] == {"text": say("en", "bot.email_noted", email="ana@example.com")}
        assert slots == {"email": "ana@example.com"}


def test_email_me_at_an_address_files_a_ticket_to_it() -> None:
    customs, _ = run(
        ActionEmailMe(), tracker_with("please email me at ana@example.com", "email_me")
    )
    assert signal(customs, "contact") == {"email": "ana@example.com"}
    assert signal(customs, "ticket")["reason"] == "customer_chose_email"


def test_email_me_with_a_known_address_files_a_ticket() -> None:
    customs, _ = run(
        ActionEmailMe(), tracker_with("email me", "email_me", metadata={"customer_email": "a@b.co"})
    )
    assert signal(customs, "ticket")["reason"] == "customer_chose_email"
    customs, slots = run(ActionEmailMe(), tracker_with("email me", "email_me", metadata={}))
    assert signal(customs, "ticket") is None and slots["handoff_reason"] == "customer_chose_email"


@pytest.mark.parametrize("online", [True, False])
def test_email_me_on_a_server_that_sends_no_email_goes_to_a_person(online) -> None:
    """No email to promise: the customer is told so and handed to a person, who replies in the
    chat (a ticket saying so when nobody is free); no address is asked for."""
    off = {"sends_email": False, "agents_available": online, "customer_email": None}
    customs, slots = run(
        ActionEmailMe(),
        tracker_with("please email me at ana@example.com", "email_me", metadata=off),
    )
    assert customs[-2] == {"text": say("en", "bot.email_off")}
    assert signal(customs, "contact") == {"email": "ana@example.com"}  # kept for the team
    assert signal(customs, "ticket") is None
    assert signal(customs, "handoff")["reason"] == "customer_request"
    assert "handoff_reason" not in slots


def test_praise_is_thanked_unless_the_knowledge_base_answers_it_outright() -> None:
    """ "great service" is thanks, however sure the NLU is; a knowledge base holding an article
    it answers with outright (an assistant's reply to praise) answers with that."""
    sure = tracker("great service", "thanks", confidence=1.0)
    customs, _ = run(ActionThanks(FakeKnowledge(SearchOutcome(Decision.ESCALATE, []))), sure)
    assert signal(customs, "courtesy") == {"act": "thanks"}
    answered = FakeKnowledge(SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.9)]))
    customs, slots = run(ActionThanks(answered), sure)
    assert customs[0]["article_id"] == "freeze-card" and slots["pending"] == "feedback"
    assert signal(customs, "courtesy") is None


@pytest.mark.parametrize(
    "text", ["Suicaで払えますか", "Ｓｕｉｃａで払える？", "can I pay by Suica?"]
)
def test_a_question_read_as_thanks_is_searched_as_a_question(text) -> None:
    """However sure the NLU is that it is thanks, a text phrased as a question is not: the
    knowledge base's choices for it are offered, and nobody is told "you're welcome"."""
    sure = tracker(text, "thanks", confidence=0.99)
    choices = SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.55), hit("lost-card", 0.54)])
    customs, slots = run(ActionThanks(FakeKnowledge(choices)), sure)
    assert slots["pending"] == "clarify"
    assert signal(customs, "courtesy") is None
    for plain in ("ありがとうございました", "ありがとうございます、そうですか"):  # "I see"
        customs, _ = run(
            ActionThanks(FakeKnowledge(choices)), tracker(plain, "thanks", confidence=0.99)
        )
        assert signal(customs, "courtesy") == {"act": "thanks"}, plain
