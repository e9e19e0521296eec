"""A choice of articles picked by typing its place instead of pressing its button."""

from __future__ import annotations

import json

import pytest

from core.choices import is_pick
from tests.factories import ScriptedBot

PICKS = [
    ("2", 1),
    ("#2", 1),
    ("option 2", 1),
    ("number two", 1),
    ("the second one", 1),
    ("The second one, please.", 1),
    ("I'll take the third one", 2),
    ("2nd", 1),
    ("first", 0),
    ("the last one", 2),
    ("second to last", 1),
    ("the one before last", 1),
    ("the middle one", 1),
    ("second from the bottom", 1),
    ("number one please", 0),
    ("2)", 1),
    ("２", 1),  # full-width, as a Japanese keyboard types it
    ("2番目", 1),
    ("２つ目", 1),
    ("二番目の記事", 1),
    ("最初のやつ", 0),
    ("一番下でお願いします", 2),
    ("3番でお願いします", 2),
    ("ふたつめ", 1),
    ("上から2番目", 1),
    ("下から3番目", 0),
    ("真ん中", 1),
]
NOT_PICKS = ["I have 2 cards", "the blue one", "no", "yes", "two cards", "the one", "上", "2万円"]
OUT_OF_RANGE = ["4", "option 0", "the fourth one", "4番目"]  # picks the list of three lacks


@pytest.mark.parametrize(("text", "index"), PICKS)
def test_a_place_typed_picks_that_choice(text, index) -> None:
    pick = is_pick(text)
    assert pick is not None and pick.index(3) == index


@pytest.mark.parametrize("text", NOT_PICKS)
def test_anything_else_picks_nothing(text) -> None:
    assert is_pick(text) is None


@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_a_place_the_list_lacks_is_a_pick_of_nothing(text) -> None:
    pick = is_pick(text)
    assert pick is not None and pick.index(3) is None


def choose(article_id: str) -> str:
    return "/choose_article" + json.dumps({"article_id": article_id})


CHOICES = {
    "custom": {
        "text": "Which of these is closest?",
        "buttons": [
            {"title": "Freeze your card", "payload": choose("freeze-card")},
            {"title": "Report a lost card", "payload": choose("lost-card")},
            {"title": "None of these", "payload": "/deny"},
        ],
    }
}


def test_the_bot_gets_the_typed_choice_as_its_button(client, bot: ScriptedBot) -> None:
    answer = [  # the article, then "did that answer your question?"
        {"custom": {"text": "Report it in the app.", "article_id": "lost-card", "title": "Lost"}},
        {"text": "Did that answer it?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
    ]
    again = [{"text": "Pick one of the articles above."}]
    bot.replies = [[CHOICES], answer, [CHOICES], again, answer, [{"text": "Sure."}], answer]
    started = client.post("/api/conversations", json={}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}

    def say(text: str) -> dict:
        sent = client.post(
            f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
        )
        assert sent.status_code == 200, sent.text
        return sent.json()

    say("my card")
    picked = say("the second one")
    assert bot.sent[-1][1] == choose("lost-card")
    assert picked["messages"][0]["text"] == "the second one"  # shown as the customer typed it
    # A place the list lacks is asked about again by the bot (its bare intent), not searched.
    say("my card again")
    say("the fourth one")
    assert bot.sent[-1][1] == "/choose_article"
    # "the last one" is the last article, never "None of these".
    say("the last one")
    assert bot.sent[-1][1] == choose("lost-card")
    # With no choice on offer a number is only a number.
    say("2")
    assert bot.sent[-1][1] == "2"
    # A button of the list pressed late, after it was answered, is still shown by its title.
    late = say(choose("freeze-card"))
    assert late["messages"][0]["text"] == "Freeze your card"
