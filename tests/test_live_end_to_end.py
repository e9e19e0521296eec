"""The live-agent tier end to end: the real Rasa server, the app over HTTP, socket.io pushes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import socketio

from core.words import say as say_words
from tests.helpers import wait_until

pytestmark = pytest.mark.rasa


def agent(live, name: str, skills: dict[str, int], languages: list[str] | None = None) -> dict:
    http = live.client()
    created = http.post(
        "/api/agents",
        json={
            "name": name,
            "skills": skills,
            "max_concurrent": 3,
            "languages": languages or ["en"],
        },
        headers=live.admin,
    ).json()
    created["headers"] = {"Authorization": f"Bearer {created['token']}"}
    assert (
        http.put(
            f"/api/agents/{created['id']}/status",
            json={"status": "online"},
            headers=created["headers"],
        ).status_code
        == 200
    )
    return created


def offline(live, *agents: dict) -> None:
    for a in agents:
        live.client().put(
            f"/api/agents/{a['id']}/status", json={"status": "offline"}, headers=a["headers"]
        )


class Pushes:
    """A socket.io client that records what the server pushes to one token."""

    def __init__(self, live, token: str) -> None:
        self.events: list[tuple[str, dict]] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", lambda event, data: self.events.append((event, data)))
        self.client.connect(
            live.url, auth={"token": token}, transports=["websocket", "polling"], wait_timeout=10
        )

    def wait_for(self, event: str, predicate=lambda data: True, timeout_s: float = 30) -> dict:
        def pushed() -> dict | None:
            return next((d for name, d in self.events if name == event and predicate(d)), None)

        try:
            return wait_until(pushed, timeout_s=timeout_s, what=f"a {event!r} push")
        except TimeoutError:
            raise AssertionError(f"no {event!r} push; got {[e for e, _ in self.events]}") from None

    def close(self) -> None:
        self.client.disconnect()


def test_card_question_reaches_the_cards_agent_warm(live) -> None:
    cards = agent(live, "Priya Raman", {"cards": 5})
    app_agent = agent(live, "Tom Whitfield", {"app": 5})
    agent_pushes = Pushes(live, cards["token"])
    http = live.client()
    try:
        started = http.post(
            "/api/conversations",
            json={
                "customer": {"name": "Sam Lee", "email": "sam@example.com"},
                "page_url": "https://tidewater.example/cards",
            },
        ).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        customer_pushes = Pushes(live, started["token"])
        cid = started["id"]

        def say(text: str) -> dict:
            response = http.post(
                f"/api/conversations/{cid}/messages",
                json={"text": text, "client_id": uuid.uuid4().hex},
                headers=customer,
            )
            assert response.status_code == 200, response.text
            return response.json()

        assert say("how can I lock my card for a while")["status"] == "bot"
        handed = say("can I speak to a real person please")
        assert handed["status"] == "queued"

        offer = agent_pushes.wait_for("offer", lambda d: d["conversation_id"] == cid)
        assert offer["handoff"]["skill"] == "cards"
        assert [
            o["conversation_id"]
            for o in http.get(f"/api/agents/{cards['id']}/offers", headers=cards["headers"]).json()
        ] == [cid]
        assert (
            http.get(f"/api/agents/{app_agent['id']}/offers", headers=app_agent["headers"]).json()
            == []
        )
        assert (
            http.get(f"/api/conversations/{cid}", headers=customer).json()["queue"]["position"] == 1
        )

        accepted = http.post(f"/api/conversations/{cid}/accept", headers=cards["headers"])
        assert accepted.status_code == 200
        package = accepted.json()["handoff"]
        assert package["reason"] == "customer_request"
        assert package["knowledge_attempts"][0]["article_id"] == "freeze-unfreeze-card"
        assert package["customer"]["email"] == "sam@example.com"
        assert '"how can I lock my card for a while"' in package["summary"]
        customer_pushes.wait_for("status", lambda d: d["status"] == "assigned")

        http.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "Hi Sam, Priya here. Is the card lost or just misplaced?"},
            headers=cards["headers"],
        )
        pushed = customer_pushes.wait_for("message", lambda d: d["message"]["sender"] == "agent")
        assert pushed["message"]["text"].startswith("Hi Sam, Priya here")

        reply = say("just misplaced, I think it's at home")
        assert reply["status"] == "assigned"
        assert [m["sender"] for m in reply["messages"]] == ["customer"]  # the bot stays silent
        heard = agent_pushes.wait_for("message", lambda d: d["message"]["sender"] == "customer")
        assert heard["message"]["text"] == "just misplaced, I think it's at home"

        resolved = http.post(f"/api/conversations/{cid}/resolve", headers=cards["headers"]).json()
        assert resolved["status"] == "resolved"
        assert say('/csat{"score": 5}')["messages"][0]["text"] == "5"
        assert http.get(f"/api/conversations/{cid}", headers=customer).json()["csat"]["score"] == 5
        customer_pushes.close()
    finally:
        agent_pushes.close()
        offline(live, cards, app_agent)


def test_agent_escalates_to_a_ticket_with_the_whole_chat(live) -> None:
    cards = agent(live, "Priya Again", {"cards": 5})
    http = live.client()
    try:
        started = http.post(
            "/api/conversations", json={"customer": {"name": "Jo", "email": "jo@example.com"}}
        ).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        cid = started["id"]
        for text in ["my card was declined at the shop", "I want to talk to a human"]:
            http.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=customer)
        http.post(f"/api/conversations/{cid}/accept", headers=cards["headers"])
        http.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "I'll pass this to the disputes team."},
            headers=cards["headers"],
        )
        escalated = http.post(
            f"/api/conversations/{cid}/escalate",
            json={"note": "Dispute needed"},
            headers=cards["headers"],
        ).json()
        assert escalated["status"] == "ticketed"
        ticket = http.get(f"/api/tickets/{escalated['ticket_id']}", headers=cards["headers"]).json()
        texts = [m["text"] for m in ticket["transcript"]]
        assert (
            "my card was declined at the shop" in texts
            and "I'll pass this to the disputes team." in texts
        )
        assert ticket["handoff"]["reason"] == "customer_request"
        view = http.get(f"/api/conversations/{cid}", headers=customer).json()
        assert view["ticket_id"] == escalated["ticket_id"]
        assert escalated["ticket_id"] in view["messages"][-1]["text"]
    finally:
        offline(live, cards)


def test_nobody_online_means_a_ticket(live) -> None:
    http = live.client()
    agents = http.get("/api/agents", headers=live.admin).json()
    assert all(a["status"] != "online" for a in agents), "another test left an agent online"
    started = http.post(
        "/api/conversations", json={"customer": {"name": "Lee", "email": "lee@example.com"}}
    ).json()
    customer = {"Authorization": f"Bearer {started['token']}"}
    turn = http.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "get me a real person"},
        headers=customer,
    ).json()
    assert turn["status"] == "ticketed"
    assert (
        "T-" in turn["messages"][-1]["text"] and "lee@example.com" in turn["messages"][-1]["text"]
    )


def test_socket_refuses_a_bad_token(live) -> None:
    client = socketio.Client(reconnection=False)
    # Over a websocket: refused with long-polling, python-engineio's client then waits out its
    # pending poll (30 s) before it raises.
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live.url, auth={"token": "nope"}, transports=["websocket"], wait_timeout=5)


def chat_with_bot(http, start: dict) -> tuple[str, Callable[[str], dict]]:
    """A new conversation (`start`: its POST body) and a `say` that sends its customer's text."""
    started = http.post("/api/conversations", json=start).json()
    customer = {"Authorization": f"Bearer {started['token']}"}

    def say(text: str) -> dict:
        response = http.post(
            f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=customer
        )
        assert response.status_code == 200, response.text
        return response.json()

    return started["id"], say


def test_without_an_email_the_bot_asks_for_one_before_filing(live) -> None:
    http = live.client()
    cid, say = chat_with_bot(http, {"customer": {"name": "Noor"}})

    asked = say("I want to talk to a real person")
    assert asked["status"] == "bot"
    assert "what email address" in asked["messages"][-1]["text"]
    again = say("my address is noor at example")
    assert again["status"] == "bot"
    replies = [m["text"] for m in again["messages"] if m["sender"] == "bot"]
    # One message says what was wrong and asks again, not a complaint and the question again.
    assert replies == [
        "That doesn't look like an email address. Could you check it? (Or type 'skip'.)"
    ]
    filed = say("noor@example.com")
    assert filed["status"] == "ticketed"
    view = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
    assert view["customer"]["email"] == "noor@example.com"
    assert view["handoff"]["reason"] == "customer_request"
    ticket = http.get(f"/api/tickets/{view['ticket_id']}", headers=live.admin).json()
    assert ticket["customer_email"] == "noor@example.com"
    # The address is said once, where the ticket's number is.
    assert [m["text"] for m in filed["messages"] if m["sender"] != "customer"] == [
        "Thanks!",
        f"No one from our team is available right now, so we've filed ticket {view['ticket_id']} "
        "with everything you've told us. We'll reply by email to noor@example.com.",
    ]


def test_a_customer_who_asks_to_be_emailed_then_declines_an_address_gets_no_ticket(live) -> None:
    """Being emailed was all they asked for: saying no to giving an address files nothing, and
    the chat carries on with the bot, a person one click away."""
    http = live.client()
    cid, say = chat_with_bot(http, {"customer": {"name": "Rui"}})
    asked = say("how do I change my PIN")
    assert asked["status"] == "bot"
    wants = say("can you email me the answer")
    assert "what email address" in wants["messages"][-1]["text"].lower(), wants["messages"]
    declined = say("um, no thanks")
    assert declined["status"] == "bot", declined["messages"]
    last = declined["messages"][-1]
    assert last["text"].startswith("No problem: without an address there is nothing to email")
    assert [b["payload"] for b in last["buttons"]] == ["/request_human"]
    view = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
    assert view.get("ticket_id") is None and view["status"] == "bot"


def test_a_customer_who_answers_the_email_question_twice_with_no_address_is_not_kept_asking(
    live,
) -> None:
    http = live.client()
    cid, say = chat_with_bot(http, {"customer": {"name": "Idris"}})

    assert "what email address" in say("I want to talk to a real person")["messages"][-1]["text"]
    assert say("hello? is anyone there?")["status"] == "bot"
    filed = say("my card was stolen and someone took money")
    assert filed["status"] == "ticketed"
    texts = [m["text"] for m in filed["messages"]]
    assert [m["text"] for m in filed["messages"] if m["sender"] == "bot"] == [
        "I still can't find an email address there, so I'll pass this on without one."
    ]
    view = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
    assert view["ticket_id"] in texts[-1]
    ticket = http.get(f"/api/tickets/{view['ticket_id']}", headers=live.admin).json()
    assert ticket["customer_email"] is None
    # What they wrote instead of an address reaches the team with the ticket.
    said = [m["text"] for m in ticket["transcript"] if m["sender"] == "customer"]
    assert "my card was stolen and someone took money" in said


def test_an_address_given_unasked_is_kept_and_the_chat_goes_on(live) -> None:
    http = live.client()
    cid, say = chat_with_bot(http, {})

    noted = say("My email is ana.smith@example.com")
    assert noted["status"] == "bot"
    assert [m["text"] for m in noted["messages"] if m["sender"] == "bot"] == [
        "Thanks, I've noted ana.smith@example.com. What can I help you with?"
    ]
    answered = say("how do I freeze my card?")
    assert answered["status"] == "bot"
    assert any(m.get("article_id") for m in answered["messages"])
    view = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
    assert view["customer"]["email"] == "ana.smith@example.com"
    assert view["status"] == "bot" and view.get("ticket_id") is None


def test_a_thanks_after_the_bot_resolved_the_chat_leaves_it_resolved(live) -> None:
    _, say = chat_with_bot(live.client(), {})
    assert any(m.get("article_id") for m in say("how do I freeze my card?")["messages"])
    assert say("/affirm")["status"] == "resolved"
    thanked = say("great, thank you so much! bye")
    assert thanked["status"] == "resolved"
    assert [m["sender"] for m in thanked["messages"]] == ["customer", "bot"]
    # A new question after that reopens the chat, as before.
    assert say("and how do I order a new card?")["status"] == "bot"


def test_asked_whether_it_is_a_bot_the_bot_says_what_it_is(live) -> None:
    _, say = chat_with_bot(live.client(), {})
    for text in ("are you a bot?", "who am I talking to?", "ボットですか？"):
        turn = say(text)
        assert turn["status"] == "bot", (text, turn)
        reply = turn["messages"][-1]
        language = "ja" if text.startswith("ボ") else "en"
        assert reply["text"] == say_words(language, "bot.bot_challenge"), text
        assert reply["buttons"][0]["payload"] == "/request_human"
