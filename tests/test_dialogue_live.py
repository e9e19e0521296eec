"""Only a yes resolves, nobody is trapped, the request's topic picks the skill: over HTTP with
the app and the real Rasa server, as a customer would chat."""

from __future__ import annotations

import pytest

from core.words import say
from tests.test_end_to_end import Chat, articles
from tests.test_live_end_to_end import Pushes, agent, offline

pytestmark = pytest.mark.rasa

PERSON = {"title": "Talk to a person", "payload": "/request_human"}
QUESTION = "how can I lock my card for a while"


def answered(live) -> Chat:
    chat = Chat(live)
    turn = chat.say(QUESTION)
    assert articles(turn) == ["freeze-unfreeze-card"]
    assert turn["messages"][-1]["text"] == "Did that answer your question?"
    return chat


@pytest.mark.parametrize(
    "reply",
    [
        "카드가 아직 안 왔어요",  # Korean: "my card still hasn't arrived"
        "sdkfjh qwpeoiru",
        "hmm",
        "ok",  # the NLU cannot place it: not a yes
    ],
)
def test_a_reply_that_is_not_a_yes_is_asked_about_again(live, reply: str) -> None:
    chat = answered(live)
    turn = chat.say(reply)
    assert turn["status"] == "bot"
    last = turn["messages"][-1]
    assert last["text"].lower().endswith("did the article answer your question?")
    assert [b["payload"] for b in last["buttons"]] == ["/affirm", "/deny", "/request_human"]
    # The buttons still work afterwards: a No tries the next-best article.
    after = chat.say("/deny")
    assert after["status"] == "bot"
    assert articles(after) and articles(after) != ["freeze-unfreeze-card"]


def test_a_new_question_after_an_answer_is_answered(live) -> None:
    chat = answered(live)
    turn = chat.say("how do I change my PIN")
    assert turn["status"] == "bot"
    assert articles(turn) and articles(turn) != ["freeze-unfreeze-card"]


def test_a_complaint_after_an_answer_counts_as_a_no(live) -> None:
    chat = answered(live)
    turn = chat.say("I'm so fed up with these answers")
    assert turn["status"] != "resolved"
    assert turn["messages"][1]["text"] == "Sorry about that. Maybe this one helps:"
    assert articles(turn) and articles(turn) != ["freeze-unfreeze-card"]


@pytest.mark.parametrize("reply", ["yes?", "is that all?", "yes but what are the fees?"])
def test_a_question_after_an_answer_neither_resolves_nor_says_goodbye(live, reply: str) -> None:
    """Whatever the NLU makes of it (a yes, a goodbye), a reply phrased as a question leaves
    the chat open: the next question is answered or offered, or the answer's question asked
    again."""
    chat = answered(live)
    turn = chat.say(reply)
    assert turn["status"] == "bot", turn["messages"]
    said = bot_texts(turn)
    assert say("en", "bot.resolved") not in said and say("en", "bot.goodbye") not in said, said


def test_yes_that_answers_it_resolves(live) -> None:
    chat = answered(live)
    turn = chat.say("yes, that answers it")
    assert turn["status"] == "resolved"


@pytest.mark.parametrize(
    ("first", "second"),
    [("카드가 아직 안 왔어요", "상담원과 이야기하고 싶어요"), ("sdkfjh qwpeoiru", "zxcvb lkjlkj")],
)
def test_two_turns_not_understood_hand_over(live, first: str, second: str) -> None:
    chat = Chat(live)
    turn = chat.say(first)
    assert turn["status"] == "bot"
    assert turn["messages"][-1]["buttons"] == [PERSON]
    turn = chat.say(second)
    assert turn["status"] in {"queued", "ticketed"}
    assert chat.view()["handoff"]["reason"] == "not_understood"


def test_the_person_button_hands_over(live) -> None:
    chat = Chat(live)
    chat.say("카드가 아직 안 왔어요")
    turn = chat.say("/request_human")
    assert turn["messages"][0]["text"] == "Talk to a person"
    assert turn["status"] in {"queued", "ticketed"}
    assert chat.view()["handoff"]["reason"] == "customer_request"


@pytest.mark.parametrize(
    ("asking", "skill"),
    [
        ("I want to speak to a human about my card being declined", "cards"),
        # The demo's "A card payment I don't recognise" is the card team's.
        ("I want to speak to a human about a card payment I don't recognise", "cards"),
        ("I want to speak to a human about someone hacking my account", "fraud"),
    ],
)
def test_the_request_topic_picks_the_skill(live, asking: str, skill: str) -> None:
    agents = {
        "cards": agent(live, "Priya Raman", {"cards": 5}),
        "fraud": agent(live, "Femi Adeyemi", {"fraud": 5}),
        "general": agent(live, "Tom Whitfield", {"app": 5, "general": 5}),
    }
    pushes = Pushes(live, agents[skill]["token"])
    http = live.client()
    try:
        chat = Chat(live)
        turn = chat.say(asking)
        assert turn["status"] == "queued"
        assert chat.view()["handoff"]["skill"] == skill
        offer = pushes.wait_for("offer", lambda d: d["conversation_id"] == chat.id)
        assert offer["handoff"]["skill"] == skill
        assert offer["handoff"]["reason"] == "customer_request"
        offered = {
            name: [
                o["conversation_id"]
                for o in http.get(f"/api/agents/{a['id']}/offers", headers=a["headers"]).json()
            ]
            for name, a in agents.items()
        }
        assert offered == {name: [chat.id] if name == skill else [] for name in agents}
    finally:
        pushes.close()
        offline(live, *agents.values())


# Japanese, read by the same model as English (bot/nlu/tokenizer.py); the bot's words from
# locale/ja/LC_MESSAGES/bot.po.


def bot_texts(turn: dict) -> list[str]:
    return [m["text"] for m in turn["messages"] if m["sender"] == "bot"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("こんにちは", "bot.greet"),
        ("おはようございます", "bot.greet"),
        ("ありがとうございます", "bot.thanks"),
        ("hello", "bot.greet"),  # English as before
    ],
)
def test_plain_replies_in_the_customer_s_language(live, text: str, key: str) -> None:
    turn = Chat(live).say(text)
    assert turn["status"] == "bot"
    assert bot_texts(turn) == [say("ja" if text != "hello" else "en", key)]


@pytest.mark.parametrize(
    "asking", ["Suicaで払えますか", "Ｓｕｉｃａで払える？", "Suicaで払えるか知りたいです"]
)
def test_a_japanese_question_is_not_thanked(live, asking: str) -> None:
    """Whatever the NLU makes of it, a question is searched: the payment article is offered
    (as the answer or among the choices), and nobody is told "you're welcome" or what the bot
    is. 「〜か知りたいです」 ("I'd like to know whether…") asks as 「〜ますか」 does."""
    turn = Chat(live).say(asking)
    assert say("ja", "bot.thanks") not in bot_texts(turn)
    assert say("ja", "bot.bot_challenge") not in bot_texts(turn)
    offered = articles(turn) + [
        b["payload"] for m in turn["messages"] for b in (m.get("buttons") or [])
    ]
    assert any("billing-methods" in o for o in offered), turn["messages"]


@pytest.mark.parametrize(
    ("asking", "language"),
    [("what are the fees", "en"), ("what are ur fees", "en"), ("手数料について", "ja")],
)
def test_a_short_question_is_searched(live, asking: str, language: str) -> None:
    """A few words asking about a topic are a question for the knowledge base: not a question
    about the bot ("what are the fees" is not "what are you"), not a request for a person."""
    turn = Chat(live).say(asking)
    assert turn["status"] == "bot", turn["messages"]
    assert say(language, "bot.bot_challenge") not in bot_texts(turn)
    offered = articles(turn) + [
        b["payload"]
        for m in turn["messages"]
        for b in (m.get("buttons") or [])
        if b["payload"].startswith("/choose")
    ]
    assert offered, turn["messages"]


def test_a_customer_back_at_the_chat_files_no_ticket(live) -> None:
    """ "wait, I am back" names no email: whatever the NLU makes of it, no ticket is filed and
    no email promised; the customer is asked what they need."""
    turn = Chat(live).say("wait, I am back")
    assert turn["status"] == "bot", turn["messages"]
    assert not any("by email" in t for t in bot_texts(turn)), turn["messages"]


@pytest.mark.parametrize("asking", ["人と話したいです", "オペレーターにつないでください"])
def test_a_japanese_request_for_a_person_hands_over_in_japanese(live, asking: str) -> None:
    chat = Chat(live)
    turn = chat.say(asking)
    assert turn["status"] in {"queued", "ticketed"}
    assert chat.view()["handoff"]["reason"] == "customer_request"
    # Nobody online who chats in Japanese: the bot says so, not that it is connecting them.
    said = "bot.handoff" if turn["status"] == "queued" else "bot.handoff_no_agent"
    assert say("ja", said) in bot_texts(turn)


@pytest.mark.parametrize("reply", ["はい、解決しました", "はい", "助かりました"])
def test_a_japanese_yes_after_an_answer_resolves(live, reply: str) -> None:
    chat = answered(live)
    turn = chat.say(reply)
    assert turn["status"] == "resolved"


@pytest.mark.parametrize("reply", ["いいえ", "いいえ、違います", "解決しませんでした"])
def test_a_japanese_no_after_an_answer_tries_the_next_best(live, reply: str) -> None:
    chat = answered(live)
    turn = chat.say(reply)
    assert turn["status"] == "bot"
    assert articles(turn) and articles(turn) != ["freeze-unfreeze-card"]


def test_a_japanese_hesitation_after_an_answer_is_asked_about_again(live) -> None:
    chat = answered(live)
    turn = chat.say("うーん")
    assert turn["status"] == "bot"
    assert [b["payload"] for b in turn["messages"][-1]["buttons"]] == [
        "/affirm",
        "/deny",
        "/request_human",
    ]


def test_an_angry_japanese_message_is_handed_over_as_frustration(live) -> None:
    chat = Chat(live)
    turn = chat.say("ふざけるな、全然役に立たない")
    assert turn["status"] in {"queued", "ticketed"}
    assert chat.view()["handoff"]["reason"] == "frustration"
