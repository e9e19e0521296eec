"""Only a yes resolves, nobody is trapped, the request's topic picks the skill: the pure pieces
and the actions, with rasa-sdk's CollectingDispatcher and trackers built from dicts."""

from __future__ import annotations

import pytest

from bot.actions import (
    ActionAfterEmail,
    ActionAnswerQuestion,
    ActionBotChallenge,
    ActionEmailMe,
    ActionFeedback,
    ActionGoodbye,
    ActionGreet,
    ActionHandOver,
    ActionThanks,
)
from bot.actions.feedback import is_yes
from bot.languages import reading
from bot.topic import names_a_person, topic
from core.words import say
from knowledge_base.search import Decision, Hit, SearchOutcome
from tests.test_actions import FakeKnowledge, hit, run, signal, tracker

PERSON = {"title": "Talk to a person", "payload": "/request_human"}


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("카드가 아직 안 왔어요", False),  # Korean: read by nobody, however short
        ("Моя карта ещё не пришла", False),
        ("カードがまだ届きません", True),  # Japanese, read like English
        ("はい", True),
        ("人と話したい", True),
        ("ﾊﾟｽﾜｰﾄﾞ忘れた", True),  # half-width kana
        ("👍", False),  # nothing to read
        ("12345", False),
        ("Meine Karte ist noch nicht angekommen", False),
        ("Sí, gracias, eso responde a mi pregunta", False),
        ("Ma carte n'est pas encore arrivée chez moi", False),
        ("yes", True),  # short: the NLU and its confidence decide
        ("hmm", True),
        ("ok", True),
        ("/affirm", True),  # a button
        ("My card hasn't arrived yet", True),
        ("I want to speak to a human about a card payment I don't recognise", True),
        ("why was I charged a fee for a cash withdrawal abroad", True),
        ("my ATM card カード is lost", True),  # mostly Latin letters
    ],
)
def test_which_messages_the_bot_reads(text: str, read: bool) -> None:
    assert reading(text).read is read


@pytest.mark.parametrize(
    ("text", "confidence", "intent", "yes"),
    [
        ("/affirm", 1.0, "affirm", True),
        ("yes, that answers it", 0.99, "affirm", True),
        ("yes", 0.9, "affirm", True),
        ("ok", 0.77, "affirm", False),  # unsure: asked again
        ("카드가 아직 안 왔어요", 0.97, "affirm", False),  # not read, whatever the NLU says
        ("はい、解決しました", 0.98, "affirm", True),  # Japanese, by the same rule
        ("はい", 0.9, "affirm", True),
        ("うん、まあ", 0.72, "affirm", False),  # unsure: asked again
        ("yes?", 0.99, "affirm", False),  # a question: asks something, says no yes
        ("はい？", 0.95, "affirm", False),
        ("それだけですか？", 0.97, "affirm", False),  # "is that all?"
        ("yes but what about the fees?", 0.99, "affirm", False),
        ("はい、そうですか", 0.95, "affirm", True),  # "yes, I see": no question
        ("hmm", 0.99, "unsure", False),
        ("/deny", 1.0, "deny", False),
        ("/request_human", 1.0, "request_human", False),
    ],
)
def test_only_a_confident_read_yes_is_a_yes(text, confidence, intent, yes) -> None:
    message = {"text": text, "intent": {"name": intent, "confidence": confidence}}
    assert is_yes(message) is yes


@pytest.mark.parametrize(
    ("text", "about"),
    [
        (
            "I want to speak to a human about a card payment I don't recognise",
            "a card payment I don't recognise",
        ),
        ("can I talk to a person about my card payment please", "my card payment"),
        ("I'd like to know more about your loans", "know more loans"),  # names nobody: words
        ("human please, my transfer is missing", "transfer missing"),
        ("transfer me to an agent", ""),
        ("can I talk to a real person please", ""),
        ("/request_human", ""),
    ],
)
def test_the_topic_of_a_request_for_a_person(text: str, about: str) -> None:
    assert topic(text) == about


def feedback_tracker(text: str, intent: str, confidence: float = 0.99, **slots):
    t = tracker(
        text,
        intent,
        {"pending": "feedback", "shown": "freeze-card", "question": "lock my card", **slots},
    )
    t.latest_message["intent"]["confidence"] = confidence
    return t


NO_KB = FakeKnowledge(SearchOutcome(Decision.ESCALATE, []))


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [("hmm", "unsure", 0.99), ("ok", "affirm", 0.7), ("maybe", "affirm", 0.6)],
)
def test_a_hesitation_after_an_answer_is_asked_about_again(text, intent, confidence) -> None:
    customs, slots = run(ActionFeedback(NO_KB), feedback_tracker(text, intent, confidence))
    assert signal(customs, "resolve") is None
    assert signal(customs, "feedback") is None
    assert customs[-1]["buttons"][-1] == PERSON
    assert [b["payload"] for b in customs[-1]["buttons"]] == ["/affirm", "/deny", "/request_human"]
    assert "pending" not in slots  # still waiting for the answer's feedback


def test_unreadable_text_after_an_answer_is_asked_about_again_then_handed_over() -> None:
    first = feedback_tracker("카드가 아직 안 왔어요", "affirm", 0.97)
    customs, slots = run(ActionFeedback(NO_KB), first)
    assert signal(customs, "resolve") is None
    assert (
        customs[-1]["text"]
        == "Sorry, I didn't understand that. Did the article answer your question?"
    )
    assert customs[-1]["buttons"][-1] == PERSON
    assert slots["not_understood"] == 1.0
    second = feedback_tracker(
        "상담원과 이야기하고 싶어요", "affirm", 0.97, not_understood=slots["not_understood"]
    )
    customs, slots = run(ActionFeedback(NO_KB), second)
    assert signal(customs, "resolve") is None
    assert signal(customs, "handoff") == {"reason": "not_understood", "question": "lock my card"}
    assert slots["not_understood"] == 0.0


def test_a_question_in_another_language_is_not_searched_and_offers_a_person() -> None:
    class Watching(FakeKnowledge):
        def search(self, query: str, *, limit: int = 5) -> SearchOutcome:
            raise AssertionError("an unreadable message went to the knowledge base")

    customs, slots = run(
        ActionAnswerQuestion(Watching(SearchOutcome(Decision.ESCALATE, []))),
        tracker("Meine Karte ist noch nicht angekommen", "question"),
    )
    assert customs[-1]["buttons"] == [PERSON]
    assert signal(customs, "handoff") is None
    assert slots["not_understood"] == 1.0


def test_nonsense_the_knowledge_base_cannot_place_is_not_understood() -> None:
    customs, slots = run(ActionAnswerQuestion(NO_KB), tracker("sdfsdf", "nonsense"))
    assert signal(customs, "handoff") is None
    assert customs[-1]["buttons"] == [PERSON]
    t = tracker("qwpoeiru", "nonsense", {"not_understood": slots["not_understood"]})
    customs, _ = run(ActionAnswerQuestion(NO_KB), t)
    assert signal(customs, "handoff")["reason"] == "not_understood"


def test_a_reply_the_nlu_cannot_place_after_an_answer_is_asked_about_again() -> None:
    customs, slots = run(ActionAnswerQuestion(NO_KB), feedback_tracker("ok", "nlu_fallback", 0.4))
    assert signal(customs, "handoff") is None
    assert customs[-1]["buttons"][-1] == PERSON
    assert slots["not_understood"] == 1.0


def test_choices_for_nonsense_are_not_offered() -> None:
    kb = FakeKnowledge(SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.5), fraud(0.5)]))
    customs, slots = run(ActionAnswerQuestion(kb), tracker("sdkfjh qwpeoiru", "nonsense"))
    assert customs[-1]["buttons"] == [PERSON]
    assert slots["not_understood"] == 1.0


def test_a_question_read_as_nonsense_gets_its_choices() -> None:
    """Phrased as a question, a message has a meaning whatever the NLU made of it: 「あと何ギガ
    残ってる？」 ("how many gigabytes have I left?") read as nonsense still gets the choices."""
    kb = FakeKnowledge(
        SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.5), hit("lost-card", 0.5)])
    )
    customs, slots = run(
        ActionAnswerQuestion(kb), tracker("あと何ギガ残ってる？", "nonsense", confidence=0.97)
    )
    assert slots["pending"] == "clarify"
    assert '/choose_article{"article_id": "freeze-card"}' in [
        b["payload"] for b in customs[-1]["buttons"]
    ]


def test_an_understood_turn_starts_the_count_again() -> None:
    kb = FakeKnowledge(SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.8)]))
    _, slots = run(
        ActionAnswerQuestion(kb), tracker("freeze my card", "question", {"not_understood": 1.0})
    )
    assert slots["not_understood"] == 0.0


def test_a_complaint_after_an_answer_goes_down_the_unhelpful_path() -> None:
    t = feedback_tracker(
        "that is not what I asked", "complain", candidates=[hit("lost-card", 0.6).as_dict()]
    )
    customs, _ = run(ActionHandOver(NO_KB), t)
    assert signal(customs, "feedback")["helpful"] is False
    assert signal(customs, "handoff") is None
    assert any(c.get("article_id") == "lost-card" for c in customs)


class Recording(FakeKnowledge):
    def __init__(self, outcome: SearchOutcome) -> None:
        super().__init__(outcome)
        self.queries: list[str] = []

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome:
        self.queries.append(query)
        return self.outcome


def fraud(score: float) -> Hit:
    return Hit("report-fraud", "Report fraud", score, "fraud")


LOANS = Hit("loan-rates", "Loan rates", 0.6, "loans")  # no article behind it: not sensitive


@pytest.mark.parametrize(
    ("outcome", "skill"),
    [
        (SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.8), fraud(0.5)]), "cards"),
        (
            SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.6), hit("lost-card", 0.6)]),
            "cards",
        ),
        # Choices of two skills: no one skill, unless one is a sensitive article as close as
        # the best (report-fraud is tagged sensitive): the bot would hand that topic over.
        (SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.6), LOANS]), None),
        (SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.6), fraud(0.6)]), "fraud"),
        (SearchOutcome(Decision.ESCALATE, [hit("freeze-card", 0.3)]), None),
    ],
)
def test_the_request_topic_picks_the_skill(outcome: SearchOutcome, skill: str | None) -> None:
    kb = Recording(outcome)
    text = "I want to speak to a human about a card payment I don't recognise"
    customs, _ = run(ActionHandOver(kb), tracker(text, "request_human"))
    assert kb.queries == ["a card payment I don't recognise"]
    handoff = signal(customs, "handoff")
    assert handoff["reason"] == "customer_request"
    assert handoff.get("skill") == skill
    assert handoff.get("priority") == ("high" if skill == "fraud" else None)


def test_a_request_with_no_topic_searches_the_earlier_question() -> None:
    kb = Recording(SearchOutcome(Decision.ANSWER, [hit("lost-card", 0.8)]))
    t = tracker("/request_human", "request_human", {"question": "I lost my card"})
    customs, _ = run(ActionHandOver(kb), t)
    assert kb.queries == ["I lost my card"]
    assert signal(customs, "handoff")["skill"] == "cards"


def test_every_fallback_offers_a_person() -> None:
    from bot.actions import ActionChooseArticle, ActionDefaultFallback

    customs, _ = run(ActionDefaultFallback(), tracker("so anyway", "nlu_fallback"))
    assert customs[-1]["buttons"] == [PERSON]  # Rasa's own fallback
    t = tracker('/choose_article{"article_id": "gone"}', "choose_article", {"candidates": []})
    t.latest_message["entities"] = [{"entity": "article_id", "value": "gone"}]
    customs, _ = run(ActionChooseArticle(NO_KB), t)
    assert customs[-1]["buttons"] == [PERSON]
    customs, _ = run(ActionAnswerQuestion(NO_KB), tracker("네", "affirm"))
    assert customs[-1]["buttons"] == [PERSON]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("can I talk to a person please", True),
        ("I want to talk to customer support", True),
        ("i dont want to talk to a bot", True),
        ("operator", True),
        ("/request_human", True),
        ("i want to know the routing number", False),
        ("find me news about the match", False),
    ],
)
def test_a_request_for_a_person_names_one(text: str, names: bool) -> None:
    assert names_a_person(text) is names


def test_a_request_that_names_nobody_is_answered_as_a_question() -> None:
    kb = Recording(SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.8)]))
    customs, slots = run(
        ActionHandOver(kb), tracker("i want to know how to freeze it", "request_human")
    )
    assert kb.queries == ["i want to know how to freeze it"]
    assert signal(customs, "handoff") is None
    assert customs[0]["article_id"] == "freeze-card"
    assert slots["pending"] == "feedback"


@pytest.mark.parametrize(
    ("outcome", "answered"),
    [
        (SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.8)]), True),
        (SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.6), hit("lost-card", 0.6)]), False),
        (SearchOutcome(Decision.ESCALATE, [hit("freeze-card", 0.3)]), False),
    ],
)
def test_a_first_message_read_as_a_complaint_is_answered_only_when_sure(
    outcome: SearchOutcome, answered: bool
) -> None:
    """The NLU reads some plain questions as complaints; with nothing shown yet, one the
    knowledge base answers outright gets its answer, any other goes to a person as frustration."""
    kb = Recording(outcome)
    said = tracker("my card is stuck again", "complain", confidence=0.99)
    customs, slots = run(ActionHandOver(kb), said)
    assert kb.queries[0] == "my card is stuck again"
    if answered:
        assert signal(customs, "handoff") is None
        assert customs[0]["article_id"] == "freeze-card" and slots["pending"] == "feedback"
    else:
        assert signal(customs, "handoff")["reason"] == "frustration"


# A dialogue act the NLU is unsure of, with nothing pending, is tried on the knowledge base
# (bot/actions/knowledge.py): questions in words the NLU never met come out as some act.
ACTS = [
    (ActionGreet, "greet", "bot.greet"),
    (ActionThanks, "thanks", "bot.thanks"),
    (ActionGoodbye, "goodbye", "bot.goodbye"),
    (ActionFeedback, "affirm", "bot.what_help"),
    (ActionFeedback, "deny", "bot.anything_else"),
    (ActionFeedback, "unsure", "bot.what_help_unsure"),
]
CHOICES = SearchOutcome(Decision.CLARIFY, [hit("freeze-card", 0.6), hit("lost-card", 0.58)])


@pytest.mark.parametrize(("action", "intent", "key"), ACTS)
def test_an_act_the_nlu_is_unsure_of_gets_the_knowledge_bases_choices(action, intent, key) -> None:
    kb = Recording(CHOICES)
    customs, slots = run(action(kb), tracker("めいぎへんこう", intent, confidence=0.5))
    assert kb.queries == ["めいぎへんこう"]
    assert say("ja", key) not in [c.get("text") for c in customs]
    assert slots["pending"] == "clarify" and slots["question"] == "めいぎへんこう"
    assert [b["payload"] for b in customs[-1]["buttons"]][:2] == [
        '/choose_article{"article_id": "freeze-card"}',
        '/choose_article{"article_id": "lost-card"}',
    ]


@pytest.mark.parametrize(("action", "intent", "key"), ACTS)
@pytest.mark.parametrize(
    ("confidence", "outcome", "slots"),
    [
        (0.99, CHOICES, {}),  # the NLU is sure: the act stands, the knowledge base is not asked
        (0.5, SearchOutcome(Decision.ESCALATE, []), {}),  # nothing better to say
        (0.5, CHOICES, {"pending": "feedback", "shown": "freeze-card"}),  # a reply to the bot
    ],
)
def test_an_act_stands_when_sure_when_the_knowledge_base_has_nothing_or_when_replying(
    action, intent, key, confidence, outcome, slots
) -> None:
    kb = Recording(outcome)
    t = tracker("hello there", intent, slots=slots, confidence=confidence)
    customs, new_slots = run(action(kb), t)
    assert new_slots.get("pending") != "clarify"
    if not slots:
        assert [c["text"] for c in customs if "text" in c] == [say("en", key)]
    # Thanks asks even when sure (praise may be an article, "you're welcome"), and only an
    # outright answer would win: choices never do.
    if (confidence > 0.95 and action is not ActionThanks) or slots:
        assert kb.queries == []


def test_an_unsure_complaint_gets_choices_and_a_sure_one_a_person() -> None:
    unsure = tracker("てざりんぐ やりかた", "complain", confidence=0.55)
    customs, slots = run(ActionHandOver(Recording(CHOICES)), unsure)
    assert signal(customs, "handoff") is None and slots["pending"] == "clarify"
    sure = tracker("てざりんぐ やりかた", "complain", confidence=0.99)
    customs, slots = run(ActionHandOver(Recording(CHOICES)), sure)
    assert signal(customs, "handoff")["reason"] == "frustration"


@pytest.mark.parametrize("text", ["what are the fees", "what are your fees?"])
def test_a_question_that_names_no_bot_is_no_question_about_the_bot(text: str) -> None:
    """However sure the NLU is that "what are the fees" asks what the bot is (it was, 1.00),
    a text that names neither the bot nor its reader is tried on the knowledge base."""
    kb = Recording(CHOICES)
    customs, slots = run(ActionBotChallenge(kb), tracker(text, "bot_challenge", confidence=1.0))
    assert kb.queries == [text]
    assert slots["pending"] == "clarify"
    assert say("en", "bot.bot_challenge") not in [c.get("text") for c in customs]


@pytest.mark.parametrize("text", ["are you a bot", "who am I talking to", "what can you do"])
def test_a_sure_question_about_the_bot_is_answered_as_one(text: str) -> None:
    kb = Recording(CHOICES)
    customs, _ = run(ActionBotChallenge(kb), tracker(text, "bot_challenge", confidence=1.0))
    assert kb.queries == []
    assert customs[0]["text"] == say("en", "bot.bot_challenge")


def test_email_me_that_names_no_email_files_nothing() -> None:
    """Every way of asking to be emailed says so: "wait, I am back", read as one (0.49), gets
    no ticket and no email form; the customer is asked what they need."""
    said = tracker("wait, I am back", "email_me", slots={"question": "x"}, confidence=0.49)
    said.latest_message["metadata"] = {"customer_email": "a@b.co"}
    customs, slots = run(ActionEmailMe(Recording(SearchOutcome(Decision.ESCALATE, []))), said)
    assert signal(customs, "ticket") is None and signal(customs, "paused") is None
    assert [c.get("text") for c in customs] == [say("en", "bot.what_help_unsure")]
    assert slots.get("requested_slot") is None


@pytest.mark.parametrize("text", ["Can I be emailed instead?", "contact me at ana@example.com"])
def test_email_me_said_otherwise_still_files_the_ticket(text: str) -> None:
    said = tracker(text, "email_me", slots={"question": "x"}, confidence=0.99)
    said.latest_message["metadata"] = {"customer_email": "ana@example.com"}
    customs, _ = run(ActionEmailMe(Recording(SearchOutcome(Decision.ESCALATE, []))), said)
    assert signal(customs, "ticket")["reason"] == "customer_chose_email", customs


def test_email_me_before_anything_was_asked_is_tried_as_a_question() -> None:
    """「スパムメールが多すぎる」 (too much spam mail) reads as "email me" with 0.985."""
    answer = SearchOutcome(Decision.ANSWER, [hit("freeze-card", 0.9)])
    first = tracker("スパムメールが多すぎる", "email_me", confidence=0.99)
    first.latest_message["metadata"] = {"customer_email": "a@b.co"}
    customs, slots = run(ActionEmailMe(Recording(answer)), first)
    assert customs[0]["article_id"] == "freeze-card" and slots["pending"] == "feedback"
    assert signal(customs, "ticket") is None
    # Once something was asked, "email me" is the request it reads as: a ticket.
    later = tracker("email me", "email_me", slots={"question": "x"}, confidence=0.99)
    later.latest_message["metadata"] = {"customer_email": "a@b.co"}
    kb = Recording(answer)
    customs, _ = run(ActionEmailMe(kb), later)
    assert signal(customs, "ticket")["reason"] == "customer_chose_email" and kb.queries == []


FEES = SearchOutcome(Decision.ANSWER, [hit("lost-card", 0.9)])


def test_a_yes_with_the_next_question_answers_the_question() -> None:
    """ "yes but what about the fees?", however sure the NLU is of the yes, asks the next
    question: answered, and the chat is not resolved."""
    t = feedback_tracker("yes but what about the fees?", "affirm", 0.99)
    customs, slots = run(ActionFeedback(Recording(FEES)), t)
    assert signal(customs, "resolve") is None
    assert any(c.get("article_id") == "lost-card" for c in customs), customs
    assert (slots["pending"], slots["shown"]) == ("feedback", "lost-card")


@pytest.mark.parametrize("text", ["yes?", "is that all?"])
def test_a_short_question_after_an_answer_neither_resolves_nor_says_goodbye(text: str) -> None:
    """ "yes?" read as a yes, "is that all?" read as a goodbye (both sure): neither resolves
    the chat nor says goodbye; "did that answer your question?" is asked again."""
    action = ActionFeedback(NO_KB) if text == "yes?" else ActionGoodbye(NO_KB)
    intent = "affirm" if text == "yes?" else "goodbye"
    customs, _ = run(action, feedback_tracker(text, intent, 0.99))
    assert signal(customs, "resolve") is None and signal(customs, "courtesy") is None
    assert [c.get("text") for c in customs] == [say("en", "bot.ask_feedback_again")]
    assert [b["payload"] for b in customs[-1]["buttons"]] == ["/affirm", "/deny", "/request_human"]


def test_a_goodbye_phrased_as_a_question_with_nothing_pending_asks_what_they_need() -> None:
    customs, _ = run(ActionGoodbye(NO_KB), tracker("is that all?", "goodbye", confidence=0.99))
    assert signal(customs, "courtesy") is None
    assert [c.get("text") for c in customs] == [say("en", "bot.what_help_unsure")]
    assert customs[-1]["buttons"] == [PERSON]


def test_a_question_read_as_about_the_bot_after_an_answer_is_the_next_question() -> None:
    """ "what are the fees?" after an answer, read as a question about the bot (1.00), is
    searched: its choices, not "I'm the virtual assistant"."""
    kb = Recording(CHOICES)
    t = feedback_tracker("what are the fees?", "bot_challenge", 1.0)
    customs, slots = run(ActionBotChallenge(kb), t)
    assert kb.queries == ["what are the fees?"]
    assert slots["pending"] == "clarify"
    assert say("en", "bot.bot_challenge") not in [c.get("text") for c in customs]


@pytest.mark.parametrize("text", ["um, no thanks", "nope", "I don't have an email address"])
def test_declining_an_address_after_asking_to_be_emailed_files_nothing(text: str) -> None:
    """Being emailed was all they asked for: no ticket "you would rather hear from us by
    email" with no address, and the paused hand-over is called off."""
    t = tracker(text, "deny", slots={"handoff_reason": "customer_chose_email", "email": "-"})
    customs, slots = run(ActionAfterEmail(), t)
    assert signal(customs, "ticket") is None and signal(customs, "handoff") is None
    assert signal(customs, "dropped") == {}
    assert customs[0]["text"] == say("en", "bot.email_me_declined")
    assert customs[0]["buttons"] == [PERSON]
    assert slots["handoff_reason"] is None


def test_an_address_not_given_twice_after_asking_to_be_emailed_still_files_the_ticket() -> None:
    """Two replies with no address (often the question itself) are no refusal: the ticket is
    filed with what they wrote, and the reply comes in the chat."""
    t = tracker(
        "my card was stolen",
        "inform",
        slots={"handoff_reason": "customer_chose_email", "email": "-"},
    )
    customs, _ = run(ActionAfterEmail(), t)
    assert signal(customs, "ticket")["reason"] == "customer_chose_email"
    assert signal(customs, "dropped") is None
