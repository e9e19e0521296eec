"""The rating question answered by typing the score instead of tapping it: a customer (or a
channel without buttons) who writes "5" rates the chat; it does not reopen it with the bot."""

from __future__ import annotations

import pytest

from conversations.customer_turn import typed_score
from core.words import say
from tests.factories import HANDOFF, make_agent, waiting_chat


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5),
        (" 4 ", 4),
        ("５", 5),  # full-width, as a Japanese keyboard types it
        ("4/5", 4),
        ("3 stars", 3),
        ("1 star", 1),
        ("４点", 4),
        ("5つ星", 5),
        ("5!", 5),
        ("0", None),
        ("6", None),
        ("10", None),
        ("5 more questions", None),
        ("I have 2 cards", None),
        ('/csat{"score": 4}', None),  # a button's payload is read by csat_score
    ],
)
def test_a_typed_score_is_a_message_that_is_nothing_but_one(text: str, score: int | None) -> None:
    assert typed_score(text) == score


def resolved_chat(client, bot, admin) -> tuple[str, dict[str, str], dict]:
    agent = make_agent(client, admin, "Priya Raman", {"cards": 3})
    conversation_id, headers = waiting_chat(client, bot)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    resolved = client.post(
        f"/api/conversations/{conversation_id}/resolve", headers=agent["headers"]
    ).json()
    assert resolved["messages"][-1]["buttons"][0]["payload"].startswith("/csat")
    return conversation_id, headers, agent


def test_typing_the_score_after_the_rating_question_rates_the_chat(client, bot, admin) -> None:
    conversation_id, headers, _ = resolved_chat(client, bot, admin)
    rated = client.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": "５"}, headers=headers
    ).json()
    assert rated["status"] == "resolved"
    assert [m["text"] for m in rated["messages"]] == ["５", say("en", "chat.csat_thanks")]
    view = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    assert view["csat"]["score"] == 5
    assert [text for _, text in bot.sent] == ["I want a person"]  # the bot was not asked


def test_a_number_that_answers_nothing_goes_to_the_bot(client, bot, admin) -> None:
    conversation_id, headers, _ = resolved_chat(client, bot, admin)
    client.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": "4"}, headers=headers
    )
    # Rated: the rating question is no longer the last thing said, so a "5" now is a new message.
    bot.replies.append([{"text": "How can I help?"}])
    again = client.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": "5"}, headers=headers
    ).json()
    assert again["status"] == "bot"
    assert again["messages"][-1]["text"] == "How can I help?"
    view = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    assert view["csat"]["score"] == 4


def test_a_rating_button_pressed_again_is_told_the_first_rating_stands(client, bot, admin) -> None:
    conversation_id, headers, _ = resolved_chat(client, bot, admin)

    def press(score: int) -> dict:
        pressed = client.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"text": f'/csat{{"score": {score}}}'},
            headers=headers,
        )
        assert pressed.status_code == 200, pressed.text
        return pressed.json()

    assert press(2)["messages"][-1]["text"] == say("en", "chat.csat_thanks")
    again = press(5)
    assert again["status"] == "resolved"
    assert again["messages"][-1]["text"] == say("en", "chat.csat_already")
    view = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    assert view["csat"]["score"] == 2


def test_a_chat_rated_before_is_not_asked_again_when_an_agent_resolves_it(
    client, bot, admin
) -> None:
    """A chat has one rating: back with a person after rating, the customer is thanked at the
    end, not asked a question whose answer would be refused."""
    conversation_id, headers, agent = resolved_chat(client, bot, admin)
    client.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": "4"}, headers=headers
    )
    bot.replies.append(list(HANDOFF))
    again = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": "one more thing, a person please"},
        headers=headers,
    ).json()
    assert again["status"] == "queued"
    client.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    ended = client.post(
        f"/api/conversations/{conversation_id}/resolve", headers=agent["headers"]
    ).json()
    last = ended["messages"][-1]
    assert (last["text"], last.get("buttons")) == (say("en", "chat.agent_resolved_rated"), None)
    assert ended["csat"]["score"] == 4


def test_a_score_typed_after_the_bot_resolved_the_chat_rates_it(client, bot) -> None:
    """The widget shows its rating form on a chat the bot resolved too (no rating buttons in
    the bot's words): a "5" typed instead of tapped rates it, and the chat stays resolved
    rather than going back to the bot, which would read "5" as nothing."""
    bot.replies = [
        [{"text": "Freeze your card in the app under Card > Freeze."}],
        [
            {"text": "Great, glad that helped!"},
            {"custom": {"resolve": {"article_id": "freeze-card"}}},
        ],
    ]
    started = client.post("/api/conversations", json={}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    path = f"/api/conversations/{started['id']}/messages"
    client.post(path, json={"text": "freeze my card"}, headers=headers)
    assert client.post(path, json={"text": "yes"}, headers=headers).json()["status"] == "resolved"
    rated = client.post(path, json={"text": "5"}, headers=headers).json()
    assert rated["status"] == "resolved"
    assert rated["messages"][-1]["text"] == say("en", "chat.csat_thanks")
    assert (
        client.get(f"/api/conversations/{started['id']}", headers=headers).json()["csat"]["score"]
        == 5
    )
    assert [text for _, text in bot.sent] == ["freeze my card", "yes"]
