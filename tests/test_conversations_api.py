"""The customer channel with a scripted bot: ordering, idempotency, hand-over rules, auth."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conversations.store import ConversationStore
from core.words import say as say_words
from tests.factories import ScriptedBot
from tests.helpers import ADMIN_HEADERS


def start(client, **body):
    response = client.post(
        "/api/conversations",
        json={
            "customer": {"name": "Ana", "email": "ana@example.com"},
            "page_url": "https://shop/help",
            **body,
        },
    )
    assert response.status_code == 201
    data = response.json()
    return data["id"], {"Authorization": f"Bearer {data['token']}"}, data


def say(client, conversation_id, headers, text, client_id=None):
    return client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": text, **({"client_id": client_id} if client_id else {})},
        headers=headers,
    )


ARTICLE = {
    "custom": {
        "text": "**Freeze your card**\n\nOpen Cards.",
        "article_id": "freeze-card",
        "title": "Freeze your card",
        "score": 0.81,
        "skill": "cards",
    }
}
ASK = {
    "custom": {
        "text": "Did that answer your question?",
        "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
    }
}


def test_start_greets_and_issues_a_token(client) -> None:
    conversation_id, _, data = start(client)
    assert data["status"] == "bot"
    assert data["token"]
    assert data["messages"][0]["sender"] == "bot"
    assert data["customer"] == {"name": "Ana", "email": "ana@example.com"}


@pytest.mark.parametrize(
    "body",
    [{"customer": {"email": "not-an-email"}}, {"customer": "Ana"}, {"page_url": 5}],
)
def test_start_rejects_bad_input(client, body) -> None:
    response = client.post("/api/conversations", json=body)
    assert response.status_code == 422


def test_a_turn_returns_the_message_and_the_replies(client, bot: ScriptedBot) -> None:
    bot.replies = [[ARTICLE, ASK]]
    conversation_id, headers, _ = start(client)
    response = say(client, conversation_id, headers, "how do i freeze my card", "c1")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "bot"
    assert [m["sender"] for m in body["messages"]] == ["customer", "bot", "bot"]
    assert body["messages"][1]["article_id"] == "freeze-card"
    assert body["messages"][2]["buttons"][0] == {"title": "Yes", "payload": "/affirm"}
    assert bot.sent == [(conversation_id, "how do i freeze my card")]
    stored = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()["messages"]
    assert [m["text"] for m in stored][1:] == [m["text"] for m in body["messages"]]


def test_same_client_id_is_stored_once(client, bot: ScriptedBot) -> None:
    bot.replies = [[{"text": "Hello!"}]]
    conversation_id, headers, _ = start(client)
    first = say(client, conversation_id, headers, "hi", "same").json()
    again = say(client, conversation_id, headers, "hi", "same").json()
    assert again["messages"] == first["messages"]
    assert len(bot.sent) == 1
    stored = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()["messages"]
    assert [m["text"] for m in stored].count("hi") == 1


def test_a_message_sent_again_while_its_turn_is_taken_gets_that_turn(
    client, bot: ScriptedBot, monkeypatch
) -> None:
    """A retry that overlaps the first call (a client that gave up waiting) is answered with the
    bot's reply too, once the first call has it; the bot hears the message once."""
    asked, release, retried = threading.Event(), threading.Event(), threading.Event()
    send = bot.send

    async def slow_send(sender_id: str, text: str, *, metadata: dict) -> list[dict]:
        asked.set()
        await asyncio.to_thread(release.wait, 30)
        return await send(sender_id, text, metadata=metadata)

    awaits_turn = ConversationStore.awaits_turn

    def watched(self: ConversationStore, message_id: int) -> bool:
        retried.set()
        return awaits_turn(self, message_id)

    monkeypatch.setattr(bot, "send", slow_send)
    monkeypatch.setattr(ConversationStore, "awaits_turn", watched)
    bot.replies = [[{"text": "Hello!"}]]
    conversation_id, headers, _ = start(client)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(say, client, conversation_id, headers, "hi", "same")
        assert asked.wait(30), "the bot was never asked"
        again = pool.submit(say, client, conversation_id, headers, "hi", "same")
        assert retried.wait(30), "the retry never looked for the first call's turn"
        release.set()
        answers = [first.result(timeout=60).json(), again.result(timeout=60).json()]
    assert [m["text"] for m in answers[1]["messages"]] == ["hi", "Hello!"]
    assert answers[1]["messages"] == answers[0]["messages"]
    assert len(bot.sent) == 1


def test_a_client_id_sent_again_with_other_words_is_refused(client, bot: ScriptedBot) -> None:
    bot.replies = [[{"text": "Hello!"}]]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "hi", "m1")
    refused = say(client, conversation_id, headers, "my card is blocked", "m1")
    assert refused.status_code == 409
    assert "give each message its own client_id" in refused.json()["detail"]
    stored = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()["messages"]
    assert [m["text"] for m in stored if m["sender"] == "customer"] == ["hi"]
    assert say(client, conversation_id, headers, "my card is blocked", "m2").status_code == 200


def test_a_client_id_sent_again_with_a_button_s_payload_is_refused(client, bot) -> None:
    """A payload is stored as its button's title: the same client_id with another payload, or
    a payload after typed words, is another message (409), not the earlier one's retry."""
    bot.replies = [
        [{"text": "Did that help?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]
    ]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "hello there", "m1")
    for payload in ("/affirm", "/deny"):
        assert say(client, conversation_id, headers, payload, "m1").status_code == 409
    bot.replies = [[{"text": "Glad it helped."}]]
    assert say(client, conversation_id, headers, "/affirm", "m2").status_code == 200
    again = say(client, conversation_id, headers, "/affirm", "m2")  # a retry: the same turn
    assert again.status_code == 200
    assert [m["text"] for m in again.json()["messages"]] == ["Yes", "Glad it helped."]
    assert say(client, conversation_id, headers, "/deny", "m2").status_code == 409
    stored = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()["messages"]
    assert [m["text"] for m in stored if m["sender"] == "customer"] == ["hello there", "Yes"]


def test_no_cache_keeps_what_the_api_answers(client) -> None:
    """A started chat's answer carries its token: no browser or proxy cache may keep it."""
    started = client.post("/api/conversations", json={})
    assert started.headers["Cache-Control"] == "no-store"
    read = client.get(
        f"/api/conversations/{started.json()['id']}",
        headers={"Authorization": f"Bearer {started.json()['token']}"},
    )
    assert read.headers["Cache-Control"] == "no-store"
    assert client.get("/api/widget/words").headers["Cache-Control"] == "public, max-age=300"


def test_tokens_are_per_conversation(client) -> None:
    first, first_headers, _ = start(client)
    second, _, _ = start(client)
    assert say(client, second, first_headers, "hello").status_code == 403
    assert client.get(f"/api/conversations/{second}", headers=first_headers).status_code == 403
    assert say(client, first, {}, "hello").status_code == 401


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001])
def test_bad_messages_are_4xx(client, text) -> None:
    conversation_id, headers, _ = start(client)
    response = say(client, conversation_id, headers, text)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_unknown_conversation_is_404(client, admin) -> None:
    assert client.get("/api/conversations/nope", headers=admin).status_code == 404
    assert say(client, "nope", admin, "hello").status_code == 404


@pytest.mark.sends_email
def test_bot_down_keeps_the_message_and_hands_over(
    client, bot: ScriptedBot, admin, on_duty
) -> None:
    bot.up = False
    conversation_id, headers, _ = start(client)
    response = say(client, conversation_id, headers, "my card was swallowed by the atm")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "queued"
    assert [m["sender"] for m in body["messages"]] == ["customer", "system", "system"]
    waiting = body["messages"][-1]
    assert waiting["text"].startswith("You're number 1 in line.")
    assert waiting["buttons"] == [{"title": "Email me instead", "payload": "/email_me"}]
    assert (
        "handoff" not in client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    )
    view = client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()
    assert view["handoff"]["reason"] == "bot_unavailable"
    assert "my card was swallowed by the atm" in [m["text"] for m in view["handoff"]["transcript"]]
    health = client.get("/health").json()
    assert (health["status"], health["rasa"], health["database"]) == ("ok", "down", "ok")


def test_handoff_signal_queues_with_a_full_package(client, bot: ScriptedBot, on_duty) -> None:
    bot.replies = [
        [ARTICLE, ASK],
        [
            {"custom": {"feedback": {"article_id": "freeze-card", "helpful": False}}},
            {"custom": {"text": "I'm connecting you with a member of our team."}},
            {"custom": {"handoff": {"reason": "unhelpful_answers", "question": "freeze my card"}}},
        ],
    ]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "freeze my card")
    body = say(client, conversation_id, headers, "/deny").json()
    assert body["status"] == "queued"
    assert body["messages"][0]["text"] == "No"  # the button's title, not its payload
    assert bot.sent[-1][1] == "/deny"
    package = client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()[
        "handoff"
    ]
    assert package["reason"] == "unhelpful_answers"
    assert package["skill"] == "cards"  # from the article the bot tried
    assert package["priority"] == "normal"
    assert package["knowledge_attempts"] == [
        {
            "article_id": "freeze-card",
            "title": "Freeze your card",
            "score": 0.81,
            "skill": "cards",
            "helpful": False,
        }
    ]
    assert package["customer"] == {"name": "Ana", "email": "ana@example.com"}
    assert package["page_url"] == "https://shop/help"
    assert "freeze my card" in package["summary"] and "did not help" in package["summary"]
    assert [m["sender"] for m in package["transcript"]] == [
        "bot",
        "customer",
        "bot",
        "bot",
        "customer",
        "bot",
    ]


def test_a_hand_over_is_about_the_matter_in_hand_not_an_earlier_one(
    client, bot: ScriptedBot, on_duty
) -> None:
    """The card question was answered and resolved; the customer then asks about a mortgage,
    which the bot cannot place in one skill: the agent is not told the card article was
    tried, and the chat does not go to the cards team on its strength."""
    mortgage = "Can I get a mortgage for a house in Spain?"
    bot.replies = [
        [ARTICLE, ASK],
        [
            {"custom": {"feedback": {"article_id": "freeze-card", "helpful": True}}},
            {"custom": {"resolve": {"article_id": "freeze-card"}}},
        ],
        [{"custom": {"text": "Which of these is it?"}}],
        [{"custom": {"handoff": {"reason": "unhelpful_answers", "question": mortgage}}}],
    ]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "freeze my card")
    assert say(client, conversation_id, headers, "/affirm").json()["status"] == "resolved"
    say(client, conversation_id, headers, mortgage)
    assert say(client, conversation_id, headers, "/deny").json()["status"] == "queued"
    package = client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()[
        "handoff"
    ]
    assert (package["skill"], package["knowledge_attempts"]) == ("general", [])
    assert "Freeze your card" not in package["summary"]
    assert mortgage in package["summary"]


def test_an_answer_to_an_earlier_question_is_not_the_hand_over_s(
    client, bot: ScriptedBot, on_duty
) -> None:
    """No resolution in between: the article shown for the first question is left out of the
    hand-over of the second, whose choices did not help."""
    plate = "The plate I got was broken, I want a new one"
    bot.replies = [
        [ARTICLE],
        [{"custom": {"text": "Which of these is it?"}}],
        [{"custom": {"handoff": {"reason": "customer_request", "question": plate}}}],
    ]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "freeze my card")
    say(client, conversation_id, headers, plate)
    assert say(client, conversation_id, headers, "a person please").json()["status"] == "queued"
    package = client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()[
        "handoff"
    ]
    assert (package["skill"], package["knowledge_attempts"]) == ("general", [])


def test_choices_turned_down_are_in_the_hand_over_even_when_the_bot_asked_for_an_email_first(
    client, bot: ScriptedBot, on_duty
) -> None:
    """The bot's hand-over after "None of these" and an email question carries no articles:
    the package names the choices its last offer held, none of them picked."""

    def choice(article_id: str, title: str) -> dict:
        return {
            "title": title,
            "payload": "/choose_article" + json.dumps({"article_id": article_id}),
        }

    bot.replies = [
        [
            {
                "custom": {
                    "text": "I found a few articles that might help. Which one fits best?",
                    "buttons": [
                        choice("freeze-card", "Freeze your card"),
                        choice("lost-card", "Lost or stolen card"),
                        {"title": "None of these", "payload": "/deny"},
                    ],
                }
            }
        ],
        [{"custom": {"text": "What email address should they reply to? (Or type 'skip'.)"}}],
        [
            {
                "custom": {
                    "handoff": {
                        "reason": "clarification_declined",
                        "skill": "cards",
                        "question": "my card",
                    }
                }
            }
        ],
    ]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "my card")
    say(client, conversation_id, headers, "/deny")
    assert say(client, conversation_id, headers, "skip").json()["status"] == "queued"
    package = client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()[
        "handoff"
    ]
    assert [(a["article_id"], a["title"], a["offered"]) for a in package["knowledge_attempts"]] == [
        ("freeze-card", "Freeze your card", True),
        ("lost-card", "Lost or stolen card", True),
    ]
    assert "Freeze your card (offered as a choice)" in package["summary"]


def test_choices_of_a_matter_gone_by_are_not_in_a_later_hand_over(
    client, bot: ScriptedBot, on_duty
) -> None:
    """A choice picked, its article helped and the chat resolved; the customer comes back for
    a person: the earlier choices are not handed over as turned down."""
    offer = {
        "custom": {
            "text": "Which one fits best?",
            "buttons": [
                {
                    "title": "Freeze your card",
                    "payload": '/choose_article{"article_id": "freeze-card"}',
                },
                {"title": "None of these", "payload": "/deny"},
            ],
        }
    }
    bot.replies = [
        [offer],
        [ARTICLE, ASK],
        [
            {"custom": {"feedback": {"article_id": "freeze-card", "helpful": True}}},
            {"custom": {"resolve": {"article_id": "freeze-card"}}},
        ],
        [{"custom": {"handoff": {"reason": "customer_request"}}}],
    ]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "my card")
    say(client, conversation_id, headers, '/choose_article{"article_id": "freeze-card"}')
    assert say(client, conversation_id, headers, "/affirm").json()["status"] == "resolved"
    assert say(client, conversation_id, headers, "a person please").json()["status"] == "queued"
    package = client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()[
        "handoff"
    ]
    assert package["knowledge_attempts"] == []


@pytest.mark.sends_email
def test_while_queued_the_bot_never_answers(client, bot: ScriptedBot, on_duty) -> None:
    bot.replies = [[{"custom": {"handoff": {"reason": "customer_request"}}}]]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "a person please")
    body = say(client, conversation_id, headers, "hello? anyone there").json()
    assert body["status"] == "queued"
    # Told once that it is kept for the agent, with the way out still offered; not after each
    # message of a burst.
    assert [m["sender"] for m in body["messages"]] == ["customer", "system"]
    noted = body["messages"][-1]
    assert noted["text"].startswith("Your message is saved. Whoever joins will see everything")
    assert noted["buttons"] == [{"title": "Email me instead", "payload": "/email_me"}]
    again = say(client, conversation_id, headers, "it's about my card").json()
    assert [m["sender"] for m in again["messages"]] == ["customer"]
    assert len(bot.sent) == 1
    texts = [
        m["text"]
        for m in client.get(f"/api/conversations/{conversation_id}", headers=headers).json()[
            "messages"
        ]
    ]
    assert "hello? anyone there" in texts and "it's about my card" in texts


def test_resolved_by_the_bot_and_reopened_by_a_new_question(client, bot: ScriptedBot) -> None:
    bot.replies = [
        [ARTICLE, ASK],
        [
            {"custom": {"feedback": {"article_id": "freeze-card", "helpful": True}}},
            {"custom": {"text": "Great, glad that helped!"}},
            {"custom": {"resolve": {"article_id": "freeze-card"}}},
        ],
        [{"text": "Hello again!"}],
    ]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "freeze my card")
    assert say(client, conversation_id, headers, "/affirm").json()["status"] == "resolved"
    again = say(client, conversation_id, headers, "one more thing").json()
    assert again["status"] == "bot"
    assert again["messages"][-1]["text"] == "Hello again!"


def test_shouting_hands_over_with_high_priority_without_asking_the_bot(
    client, bot: ScriptedBot, on_duty
) -> None:
    conversation_id, headers, _ = start(client)
    body = say(
        client, conversation_id, headers, "WHY DOES NOTHING EVER WORK WITH YOU PEOPLE"
    ).json()
    assert body["status"] == "queued"
    assert bot.sent == []
    package = client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()[
        "handoff"
    ]
    assert (package["reason"], package["priority"], package["sentiment"]) == (
        "frustration",
        "high",
        "negative",
    )


def test_only_the_owner_agent_or_an_admin_replies(client, bot: ScriptedBot, admin, on_duty) -> None:
    bot.replies = [[{"custom": {"handoff": {"reason": "customer_request"}}}]]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "agent please")
    agent = client.post(
        "/api/agents", json={"name": "Priya", "skills": {"cards": 3}}, headers=admin
    ).json()
    agent_headers = {"Authorization": f"Bearer {agent['token']}"}
    refused = say(client, conversation_id, agent_headers, "Hi, Priya here")
    assert refused.status_code == 403
    assert "not assigned" in refused.json()["detail"]
    reply = say(client, conversation_id, admin, "Hello, a supervisor here")
    assert reply.status_code == 200
    assert reply.json()["messages"][0]["sender"] == "agent"


def test_agents_api(client, admin) -> None:
    created = client.post(
        "/api/agents",
        json={"name": "Marcus", "skills": {"fraud": 5}, "max_concurrent": 2},
        headers=admin,
    )
    assert created.status_code == 201
    agent = created.json()
    assert agent["token"] and agent["status"] == "offline"
    own = {"Authorization": f"Bearer {agent['token']}"}
    assert (
        client.put(
            f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=own
        ).json()["status"]
        == "online"
    )
    assert (
        client.put(
            f"/api/agents/{agent['id']}/status", json={"status": "asleep"}, headers=own
        ).status_code
        == 422
    )
    assert (
        client.put("/api/agents/nope/status", json={"status": "online"}, headers=admin).status_code
        == 404
    )
    assert (
        client.post(
            "/api/agents", json={"name": "X", "skills": {"cards": 9}}, headers=admin
        ).status_code
        == 422
    )
    assert client.post("/api/agents", json={"name": "X"}, headers=own).status_code == 403


@pytest.mark.sends_email
def test_nobody_online_files_a_ticket_with_the_whole_chat(client, bot: ScriptedBot, admin) -> None:
    bot.replies = [[ARTICLE, ASK], [{"custom": {"handoff": {"reason": "customer_request"}}}]]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "freeze my card")
    turn = say(client, conversation_id, headers, "I want a person").json()
    assert turn["status"] == "ticketed"
    view = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    ticket_id = view["ticket_id"]
    notice = turn["messages"][-1]["text"]
    assert ticket_id in notice and "ana@example.com" in notice
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert ticket["conversation_id"] == conversation_id
    assert ticket["reason"] == "nobody_online"
    assert ticket["handoff"]["reason"] == "customer_request"
    customer_lines = [m["text"] for m in ticket["transcript"] if m["sender"] == "customer"]
    assert customer_lines == ["freeze my card", "I want a person"]
    # The customer may still write: it is kept with the conversation.
    later = say(client, conversation_id, headers, "also my PIN is blocked")
    assert later.status_code == 200 and later.json()["status"] == "ticketed"
    assert client.get(f"/api/tickets/{ticket_id}", headers=headers).status_code == 200
    assert client.get("/api/tickets/T-9999", headers=admin).status_code == 404


@pytest.mark.sends_email
def test_email_me_instead_while_waiting(client, bot: ScriptedBot, admin, on_duty) -> None:
    bot.replies = [[{"custom": {"handoff": {"reason": "customer_request"}}}]]
    started = client.post("/api/conversations", json={"customer": {"name": "Kai"}}).json()
    cid, headers = started["id"], {"Authorization": f"Bearer {started['token']}"}
    say(client, cid, headers, "a person please")
    asked = say(client, cid, headers, "/email_me").json()
    assert asked["messages"][0]["text"] == "Email me instead"
    assert asked["messages"][-1]["text"] == "What email address should we reply to?"
    retry = say(client, cid, headers, "my email is kai at example").json()
    assert "doesn't look like an email address" in retry["messages"][-1]["text"]
    assert retry["status"] == "queued"
    done = say(client, cid, headers, "kai@example.com").json()
    assert done["status"] == "ticketed"
    assert "kai@example.com" in done["messages"][-1]["text"]
    view = client.get(f"/api/conversations/{cid}", headers=headers).json()
    assert view["customer"]["email"] == "kai@example.com"
    ticket = client.get(f"/api/tickets/{view['ticket_id']}", headers=admin).json()
    assert ticket["reason"] == "customer_chose_email"
    assert (
        client.get(f"/api/agents/{on_duty['id']}/offers", headers=on_duty["headers"]).json() == []
    )


def asked_for_an_address_while_queued(client, bot: ScriptedBot) -> tuple[str, dict[str, str]]:
    """A customer queued for a person who pressed "Email me instead" and was asked for an
    address (no address known yet)."""
    bot.replies = [[{"custom": {"handoff": {"reason": "customer_request"}}}]]
    started = client.post("/api/conversations", json={"customer": {"name": "Kai"}}).json()
    cid, headers = started["id"], {"Authorization": f"Bearer {started['token']}"}
    say(client, cid, headers, "a person please")
    asked = say(client, cid, headers, "/email_me").json()
    assert asked["messages"][-1]["text"] == say_words("en", "chat.ask_email")
    return cid, headers


@pytest.mark.sends_email
def test_email_me_instead_takes_the_address_in_a_sentence_or_a_no(
    client, bot: ScriptedBot, on_duty
) -> None:
    cid, headers = asked_for_an_address_while_queued(client, bot)
    declined = say(client, cid, headers, "never mind").json()
    assert declined["status"] == "queued"
    assert declined["messages"][-1]["text"] == say_words("en", "chat.email_declined")
    say(client, cid, headers, "/email_me")
    done = say(client, cid, headers, "my email is kai@example.com").json()
    assert done["status"] == "ticketed"
    view = client.get(f"/api/conversations/{cid}", headers=headers).json()
    assert view["customer"]["email"] == "kai@example.com"


@pytest.mark.parametrize(
    ("asked", "then"),
    [
        ("can you just email me instead?", "kai@example.com"),
        ("email me at kai@example.com instead", None),
        ("メールで返事をください", "kai@example.com"),
    ],
)
@pytest.mark.sends_email
def test_asking_in_words_to_be_emailed_while_queued(
    client, bot: ScriptedBot, on_duty, asked, then
) -> None:
    """Typed, it does what the "Email me instead" button does; a message that only mentions
    sending something is kept for the agent."""
    bot.replies = [[{"custom": {"handoff": {"reason": "customer_request"}}}]]
    started = client.post("/api/conversations", json={"customer": {"name": "Kai"}}).json()
    cid, headers = started["id"], {"Authorization": f"Bearer {started['token']}"}
    say(client, cid, headers, "a person please")
    kept = say(client, cid, headers, "can you send me the form when you join").json()
    assert (kept["status"], kept["messages"][-1]["text"]) == (
        "queued",
        say_words("en", "chat.queued_noted"),
    )
    turn = say(client, cid, headers, asked).json()
    if then is not None:
        assert turn["status"] == "queued"
        assert turn["messages"][-1]["text"] == say_words(
            "ja" if asked.startswith("メール") else "en", "chat.ask_email"
        )
        turn = say(client, cid, headers, then).json()
    assert turn["status"] == "ticketed"
    view = client.get(f"/api/conversations/{cid}", headers=headers).json()
    assert view["customer"]["email"] == "kai@example.com"


@pytest.mark.sends_email
def test_email_me_instead_stops_asking_after_two_replies_with_no_address(
    client, bot: ScriptedBot, on_duty
) -> None:
    cid, headers = asked_for_an_address_while_queued(client, bot)
    retry = say(client, cid, headers, "hello?").json()
    assert retry["messages"][-1]["text"] == say_words("en", "chat.not_an_email")
    stopped = say(client, cid, headers, "is anyone there? my card was stolen").json()
    assert stopped["status"] == "queued"
    assert stopped["messages"][-1]["text"] == say_words("en", "chat.email_not_given")
    assert stopped["messages"][-1]["buttons"] == [
        {"title": "Email me instead", "payload": "/email_me"}
    ]
    # The asking has stopped: the next message is a message to the team, not a bad address.
    later = say(client, cid, headers, "still waiting").json()
    assert [m["text"] for m in later["messages"]] == [
        "still waiting",
        say_words("en", "chat.queued_noted"),
    ]
    assert client.get(f"/api/agents/{on_duty['id']}/offers", headers=on_duty["headers"]).json()
    # The button asks again, and an address then files the ticket.
    assert say(client, cid, headers, "/email_me").json()["messages"][-1]["text"] == (
        "What email address should we reply to?"
    )
    assert say(client, cid, headers, "kai@example.com").json()["status"] == "ticketed"


def test_bot_signals_contact_and_ticket(client, bot: ScriptedBot, admin, on_duty) -> None:
    bot.replies = [
        [
            {"custom": {"contact": {"email": "zoe@example.com"}}},
            {"custom": {"text": "Thanks!"}},
            {"custom": {"ticket": {"reason": "customer_chose_email"}}},
        ]
    ]
    started = client.post("/api/conversations", json={}).json()
    cid, headers = started["id"], {"Authorization": f"Bearer {started['token']}"}
    turn = say(client, cid, headers, "zoe@example.com").json()
    assert turn["status"] == "ticketed"
    view = client.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
    assert view["customer"]["email"] == "zoe@example.com"
    assert view["handoff"]["reason"] == "customer_chose_email"


def test_the_menu_s_talk_to_a_person_reads_as_its_title(client, bot: ScriptedBot) -> None:
    """The widget's menu item is in no bot message, yet the transcript shows its words."""
    bot.replies = [[ARTICLE, ASK], []]
    conversation_id, headers, _ = start(client)
    say(client, conversation_id, headers, "how do i freeze my card")
    body = say(client, conversation_id, headers, "/request_human").json()
    assert body["messages"][0]["text"] == "Talk to a person"
    assert bot.sent[-1] == (conversation_id, "/request_human")  # the bot still gets the payload
