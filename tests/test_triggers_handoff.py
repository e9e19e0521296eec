"""Every hand-over trigger, as a table: what the customer writes (and what the bot's actions
signal, as tested in test_actions.py) -> the reason, the priority and a complete package."""

from __future__ import annotations

import pytest

from tests.factories import make_agent


def signal(reason: str, **extra) -> list[dict]:
    return [
        {"custom": {"text": "Connecting you."}},
        {"custom": {"handoff": {"reason": reason, **extra}}},
    ]


SHOWN = [
    {
        "custom": {
            "text": "Article",
            "article_id": "card-declined",
            "title": "Card declined",
            "score": 0.7,
            "skill": "cards",
        }
    }
]

CASES = [
    # (case, bot replies per turn, customer texts, bot up?, reason, priority, sentiment)
    (
        "low NLU confidence",
        [signal("low_nlu_confidence")],
        ["asdf qwer zxcv"],
        True,
        "low_nlu_confidence",
        "normal",
        "neutral",
    ),
    (
        "knowledge escalate",
        [signal("no_answer")],
        ["do you sell pet insurance"],
        True,
        "no_answer",
        "normal",
        "neutral",
    ),
    (
        "two unhelpful answers",
        [SHOWN, SHOWN, signal("unhelpful_answers")],
        ["card declined", "/deny", "/deny"],
        True,
        "unhelpful_answers",
        "normal",
        "negative",
    ),
    (
        "explicit request",
        [signal("customer_request")],
        ["a person please"],
        True,
        "customer_request",
        "normal",
        "neutral",
    ),
    (
        "complaint intent",
        [signal("frustration", priority="high")],
        ["I am really unhappy"],
        True,
        "frustration",
        "high",
        "negative",
    ),
    (
        "shouting",
        [],
        ["WHY IS MY CARD BLOCKED AGAIN TODAY"],
        True,
        "frustration",
        "high",
        "negative",
    ),
    ("insult", [], ["you are a useless bot"], True, "frustration", "high", "negative"),
    ("swearing", [], ["this fucking app never works"], True, "frustration", "high", "negative"),
    ("Japanese anger", [], ["いい加減にしてください"], True, "frustration", "high", "negative"),
    ("exclamations", [], ["まだですか！！！"], True, "frustration", "high", "negative"),
    (
        "the same Japanese message again",
        [SHOWN],
        ["カードが使えません", "ｶｰﾄﾞが使えません"],
        True,
        "frustration",
        "high",
        "negative",
    ),
    (
        "the same message again",
        [SHOWN],
        ["card declined abroad", "card declined abroad"],
        True,
        "frustration",
        "high",
        "negative",
    ),
    (
        "sensitive topic",
        [SHOWN + signal("sensitive_topic", skill="fraud", priority="high")],
        ["someone stole my money"],
        True,
        "sensitive_topic",
        "high",
        "neutral",
    ),
    ("bot unreachable", [], ["hello"], False, "bot_unavailable", "normal", "neutral"),
]

PACKAGE_KEYS = {
    "reason",
    "summary",
    "skill",
    "priority",
    "knowledge_attempts",
    "customer",
    "page_url",
    "sentiment",
    "transcript",
    "handed_over_at",
}


@pytest.mark.parametrize(
    ("case", "replies", "texts", "up", "reason", "priority", "sentiment"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_trigger(client, bot, admin, case, replies, texts, up, reason, priority, sentiment) -> None:
    # Someone online who chats in both languages: the Japanese cases wait for them too.
    make_agent(
        client, admin, "Generalist", {"cards": 1, "fraud": 1, "general": 1}, languages=["en", "ja"]
    )
    bot.replies = [list(r) for r in replies]
    bot.up = up
    started = client.post(
        "/api/conversations",
        json={
            "customer": {"name": "Ana", "email": "a@example.com"},
            "page_url": "https://bank/help",
        },
    ).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    for text in texts:
        client.post(
            f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
        )
    view = client.get(f"/api/conversations/{started['id']}", headers=admin).json()
    assert view["status"] == "queued", case
    package = view["handoff"]
    assert package.keys() >= PACKAGE_KEYS
    assert (package["reason"], package["priority"], package["sentiment"]) == (
        reason,
        priority,
        sentiment,
    )
    assert package["customer"] == {"name": "Ana", "email": "a@example.com"}
    assert package["page_url"] == "https://bank/help"
    assert package["summary"]
    customer_lines = [m["text"] for m in package["transcript"] if m["sender"] == "customer"]
    assert customer_lines == texts
    shown = any("article_id" in r.get("custom", {}) for turn in replies for r in turn)
    expected_skill = "fraud" if reason == "sensitive_topic" else "cards" if shown else "general"
    assert package["skill"] == expected_skill
    assert bool(package["knowledge_attempts"]) == shown


ASKED = SHOWN + [
    {
        "custom": {
            "text": "Did that answer your question?",
            "buttons": [
                {"title": "Yes", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"},
            ],
        }
    }
]


def test_the_same_no_to_each_article_the_bot_asks_about_is_no_frustration(client, bot) -> None:
    bot.replies = [list(ASKED), list(ASKED), list(ASKED)]
    started = client.post("/api/conversations", json={}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    for text in ("card declined abroad", "nope", "nope"):
        turn = client.post(
            f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
        )
        assert turn.json()["status"] == "bot", turn.text
    assert len(bot.sent) == 3  # each "nope" reached the bot, as the answer it is


@pytest.mark.parametrize(
    ("online", "said", "status"),
    [
        (True, "I'm bringing in a member of our team now", "queued"),
        (False, "No one from our team is free to chat right now", "ticketed"),
    ],
)
def test_an_upset_customer_is_promised_a_person_only_when_one_is_online(
    client, bot, admin, online, said, status
) -> None:
    if online:
        make_agent(client, admin, "Generalist", {"general": 1})
    started = client.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    turn = client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "you are a useless bot"},
        headers=headers,
    ).json()
    assert turn["status"] == status
    texts = [m["text"] for m in turn["messages"] if m["sender"] != "customer"]
    assert texts[0].startswith("I'm sorry this has been frustrating.")
    assert said in texts[0]
    package = client.get(f"/api/conversations/{started['id']}", headers=admin).json()["handoff"]
    assert package["summary"].endswith("Sign of frustration: angry or insulting words.")
    if not online:  # what happens instead: the ticket, with its number
        view = client.get(f"/api/conversations/{started['id']}", headers=admin).json()
        assert any(view["ticket_id"] in text for text in texts[1:])
