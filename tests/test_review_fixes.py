"""Edge cases found in review: each was a lost message, a leak, a 500 or an illegal move."""

from __future__ import annotations

import pytest

from handoff.package import HandoffRequest
from tests.factories import ScriptedBot, article, jsonl, make_agent
from tests.helpers import ACTION_HEADERS

HANDOFF = [{"custom": {"handoff": {"reason": "customer_request", "skill": "cards"}}}]


def open_chat(client):
    started = client.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    return started["id"], {"Authorization": f"Bearer {started['token']}"}


def send(client, cid, headers, text, client_id=None):
    body = {"text": text} | ({"client_id": client_id} if client_id else {})
    return client.post(f"/api/conversations/{cid}/messages", json=body, headers=headers)


def assigned_chat(client, bot, admin):
    agent = make_agent(client, admin, "Priya", {"cards": 3})
    bot.replies.append(list(HANDOFF))
    cid, headers = open_chat(client)
    send(client, cid, headers, "a person please")
    client.post(f"/api/conversations/{cid}/accept", headers=agent["headers"])
    return cid, headers, agent


def test_the_same_client_id_from_customer_and_agent_is_two_messages(client, bot, admin) -> None:
    cid, headers, agent = assigned_chat(client, bot, admin)
    send(client, cid, agent["headers"], "Hi, I'm Priya", "m1")
    reply = send(client, cid, headers, "My card is blocked", "m1").json()
    assert reply["messages"][0]["text"] == "My card is blocked"
    texts = [
        m["text"]
        for m in client.get(f"/api/conversations/{cid}", headers=headers).json()["messages"]
    ]
    assert "Hi, I'm Priya" in texts and "My card is blocked" in texts
    again = send(client, cid, agent["headers"], "Hi, I'm Priya", "m1")
    assert again.status_code == 200  # a retry
    other = send(client, cid, agent["headers"], "Let me check that", "m1")
    assert other.status_code == 409, other.text


def test_a_late_bot_reply_is_dropped_once_a_person_owns_the_chat(client, admin) -> None:
    services = client.app.state.services
    make_agent(client, admin, "Priya", {"cards": 3})

    class SlowBot(ScriptedBot):
        async def send(self, sender_id, text, *, metadata):
            services.conversations.hand_over(sender_id, HandoffRequest(reason="customer_request"))
            return [{"custom": {"text": "Here is an article"}}, {"custom": {"resolve": {}}}]

    services.conversations.bot = SlowBot()
    cid, headers = open_chat(client)
    turn = send(client, cid, headers, "freeze my card")
    assert turn.status_code == 200 and turn.json()["status"] == "queued"
    texts = [
        m["text"]
        for m in client.get(f"/api/conversations/{cid}", headers=headers).json()["messages"]
    ]
    assert "Here is an article" not in texts


def test_rating_twice_is_refused(client, bot, admin) -> None:
    cid, headers, agent = assigned_chat(client, bot, admin)
    client.post(f"/api/conversations/{cid}/resolve", headers=agent["headers"])
    assert (
        client.post(
            f"/api/conversations/{cid}/csat", json={"score": 3}, headers=headers
        ).status_code
        == 200
    )
    again = client.post(f"/api/conversations/{cid}/csat", json={"score": 5}, headers=headers)
    assert again.status_code == 409 and "already" in again.json()["detail"]


def test_transfers_that_cannot_work_are_refused(client, bot, admin) -> None:
    cid, _, agent = assigned_chat(client, bot, admin)
    away = make_agent(client, admin, "Away", {"cards": 3}, online=False)
    to = f"/api/conversations/{cid}/transfer"
    assert (
        client.post(to, json={"agent_id": agent["id"]}, headers=agent["headers"]).status_code == 409
    )
    assert (
        client.post(to, json={"agent_id": away["id"]}, headers=agent["headers"]).status_code == 409
    )
    assert client.post(to, json={"agent_id": "nobody"}, headers=agent["headers"]).status_code == 404
    # A skill no agent has (a slip, or one whose agents were all removed) would wait for nobody.
    made_up = client.post(to, json={"skill": "mortgages"}, headers=agent["headers"])
    assert made_up.status_code == 409
    assert made_up.json()["detail"] == (
        "no agent has the skill mortgages: pick a skill an agent has, or general"
    )
    assert client.get(f"/api/conversations/{cid}", headers=admin).json()["status"] == "assigned"


def test_coming_back_reopens_and_forgets_the_agent(client, bot, admin, clock) -> None:
    cid, headers, agent = assigned_chat(client, bot, admin)
    client.post(f"/api/conversations/{cid}/resolve", headers=agent["headers"])
    bot.replies.append([{"text": "Hello again!"}])
    again = send(client, cid, headers, "one more thing").json()
    assert again["status"] == "bot"
    assert "assigned_agent" not in client.get(f"/api/conversations/{cid}", headers=headers).json()
    clock.advance(minutes=31)
    assert client.app.state.services.queue.abandon_idle() == [cid]
    bot.replies.append([{"text": "Welcome back!"}])
    back = send(client, cid, headers, "sorry, I was away")
    assert back.status_code == 200 and back.json()["messages"][0]["text"] == "sorry, I was away"
    assert back.json()["status"] == "bot"


def test_writing_to_a_closed_ticket_says_so(client, bot, admin) -> None:
    bot.replies.append(list(HANDOFF))
    cid, headers = open_chat(client)
    send(client, cid, headers, "a person please")  # nobody online: a ticket
    ticket_id = client.get(f"/api/conversations/{cid}", headers=headers).json()["ticket_id"]
    client.patch(f"/api/tickets/{ticket_id}", json={"status": "closed"}, headers=admin)
    turn = send(client, cid, headers, "hello?").json()
    assert turn["messages"][0]["text"] == "hello?"
    assert "is closed" in turn["messages"][-1]["text"]


def test_more_odd_input_is_a_4xx(client, admin) -> None:
    assert client.get("/api/metrics?until=9999-12-31", headers=admin).status_code == 422
    assert client.get("/api/metrics?until=0001-01-01", headers=admin).status_code == 422
    deep = "[" * 100000 + "]" * 100000
    assert client.post("/api/kb/import", content=deep, headers=admin).status_code == 422
    assert client.post("/webhook", content=deep, headers=ACTION_HEADERS).status_code == 400
    no_domain = {"next_action": "action_answer_question", "tracker": {}}
    assert (
        client.post("/webhook", json=no_domain, headers=ACTION_HEADERS).status_code == 449
    )  # Rasa resends with it
    malformed = {
        "next_action": "action_answer_question",
        "tracker": {"latest_message": None},
        "domain": {},
    }
    assert client.post("/webhook", json=malformed, headers=ACTION_HEADERS).status_code == 400
    pasted = jsonl(article(body="Line one\u2028line two, pasted from a word processor."))
    assert client.post("/api/kb/import", content=pasted, headers=admin).json() == {"imported": 1}


@pytest.mark.sends_email
def test_an_offer_leaves_with_a_chat_that_becomes_a_ticket(client, bot, admin) -> None:
    pushed: list[tuple[str, str, dict]] = []

    class Recorder:
        def publish(self, room: str, event: str, data: dict) -> None:
            pushed.append((room, event, data))

    client.app.state.services.tickets.publisher = Recorder()
    agent = make_agent(client, admin, "Priya", {"cards": 3})
    bot.replies.append(list(HANDOFF))
    cid, headers = open_chat(client)
    send(client, cid, headers, "a person please")
    assert client.get(f"/api/agents/{agent['id']}/offers", headers=agent["headers"]).json()
    client.app.state.services.conversations.set_email(cid, "ana@example.com")
    send(client, cid, headers, "/email_me")  # the customer would rather be emailed
    assert client.get(f"/api/agents/{agent['id']}/offers", headers=agent["headers"]).json() == []
    withdrawn = {"conversation_id": cid, "accepted": False}
    assert (f"agent:{agent['id']}", "offer_withdrawn", withdrawn) in pushed


def test_an_accepted_offer_leaves_the_agents_other_consoles(client, bot, admin) -> None:
    """The same agent in two windows: accepted in one, the other drops the offer and opens
    the chat (its socket hears that it was accepted)."""
    pushed: list[tuple[str, str, dict]] = []

    class Recorder:
        def publish(self, room: str, event: str, data: dict) -> None:
            pushed.append((room, event, data))

    client.app.state.services.queue.publisher.publisher = Recorder()  # under AfterCommit
    agent = make_agent(client, admin, "Priya", {"cards": 3})
    bot.replies.append(list(HANDOFF))
    cid, headers = open_chat(client)
    send(client, cid, headers, "a person please")
    accepted = client.post(f"/api/conversations/{cid}/accept", headers=agent["headers"])
    assert accepted.status_code == 200
    said = {"conversation_id": cid, "accepted": True}
    assert (f"agent:{agent['id']}", "offer_withdrawn", said) in pushed
    # Declined in one window, the offer leaves the others too.
    other, other_headers = open_chat(client)
    bot.replies.append(list(HANDOFF))
    send(client, other, other_headers, "a person please")
    declined = client.post(f"/api/conversations/{other}/decline", headers=agent["headers"])
    assert declined.status_code == 200, declined.text
    gone = {"conversation_id": other, "accepted": False}
    assert (f"agent:{agent['id']}", "offer_withdrawn", gone) in pushed
