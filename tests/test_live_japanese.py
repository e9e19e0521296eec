"""A Japanese customer with no locale given, over HTTP with the app and the real Rasa server: the
question is answered from the Japanese demo shop's articles in Japanese, a Japanese yes resolves,
and a request for a person about returns reaches the shop's returns agent with Japanese words."""

from __future__ import annotations

import pytest

from core.language import detect
from core.words import say
from tests.test_end_to_end import Chat, articles
from tests.test_live_end_to_end import Pushes, agent, offline

pytestmark = pytest.mark.rasa


def bot_words(turn: dict) -> list[str]:
    return [m["text"] for m in turn["messages"] if m["sender"] == "bot" and not m.get("article_id")]


def test_a_japanese_question_is_answered_in_japanese_and_a_japanese_yes_resolves(live) -> None:
    chat = Chat(live, page_url="https://komorebi.example/help")
    turn = chat.say("届いたコップが割れていました")
    assert turn["status"] == "bot"
    assert articles(turn) == ["returns-damaged"]
    assert chat.view()["language"] == "ja"
    words = bot_words(turn)
    assert words[-1] == say("ja", "bot.ask_feedback")
    assert all(detect(text).language == "ja" for text in words), words
    titles = [b["title"] for b in turn["messages"][-1]["buttons"]]
    assert titles == [say("ja", "bot.yes_button"), say("ja", "bot.no_button")]

    assert chat.say("はい、解決しました")["status"] == "resolved"


def test_a_japanese_request_about_returns_reaches_the_returns_agent(live) -> None:
    returns_ja = agent(live, "佐藤 美咲", {"returns": 5}, languages=["ja"])
    returns_en = agent(live, "Dana Reyes", {"returns": 5})
    pushes = Pushes(live, returns_ja["token"])
    http = live.client()
    try:
        chat = Chat(live, page_url="https://komorebi.example/help")
        turn = chat.say("返品のことで担当の方と話したいです")
        assert turn["status"] == "queued"
        assert chat.view()["handoff"]["skill"] == "returns"
        assert chat.view()["language"] == "ja"
        assert say("ja", "bot.handoff") in bot_words(turn)
        waiting = http.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()
        assert waiting["queue"]["position"] == 1

        offer = pushes.wait_for("offer", lambda d: d["conversation_id"] == chat.id)
        assert offer["handoff"]["skill"] == "returns"
        offered_en = http.get(
            f"/api/agents/{returns_en['id']}/offers", headers=returns_en["headers"]
        ).json()
        assert [o["conversation_id"] for o in offered_en] == []
    finally:
        pushes.close()
        offline(live, returns_ja, returns_en)


def test_a_question_in_kana_alone_is_answered_not_greeted(live) -> None:
    """Questions written in kana alone are words the NLU never met: it reads them as some
    dialogue act, often without being sure (「へんぴん したい」, "I'd like to return something",
    as a goodbye at 0.45), so the knowledge base is asked, and the customer gets the article or
    the choices, not "how can I help?". (Some it reads surely and they stay: README, "How
    escalation works", step 4.)"""
    chat = Chat(live, page_url="https://komorebi.example/help")
    turn = chat.say("りょうしゅうしょ ほしい")
    assert turn["status"] == "bot"
    assert articles(turn) == ["order-receipt"]
    assert bot_words(turn)[-1] == say("ja", "bot.ask_feedback")

    chat = Chat(live, page_url="https://komorebi.example/help")
    turn = chat.say("へんぴん したい")
    assert turn["status"] == "bot"
    choices = [b["payload"] for b in turn["messages"][-1]["buttons"]]
    assert '/choose_article{"article_id": "returns-request"}' in choices
    # The choice is picked by typing its place, as on a phone: 「2番目」.
    place = choices.index('/choose_article{"article_id": "returns-request"}') + 1
    picked = chat.say(f"{place}番目")
    assert articles(picked) == ["returns-request"]
    # What the NLU was taught stays itself: a greeting is greeted.
    turn = Chat(live, page_url="https://komorebi.example/help").say("こんにちは")
    assert bot_words(turn) == [say("ja", "bot.greet")]
