"""Presence with a moved clock: an agent whose console stops sending heartbeats is set away, their
offers and chats passed on with the chat's history and the customer told; one whose console
keeps beating stays online; and a chat with an agent whose customer has gone is closed as
abandoned after the idle limit, however it was open (reading the chat, a socket, a Rasa widget).
Sockets themselves: one closes when its token expires; a customer's hears their ticket close.

The queue's timers are off here (`route_interval_s=0`): each test runs the passes the timers
run, `check_presence` and `abandon_idle`, when it means to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import socketio

from core.settings import Settings
from core.words import say
from tests.factories import make_agent, waiting_chat
from tests.helpers import ADMIN, ADMIN_HEADERS, wait_until

AWAY_EN = say("en", "chat.agent_away", name="Priya Raman")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Offers wait five minutes, longer than the presence timeout (90 s): here an offer goes
    to a colleague because its agent went away, not because it lapsed."""
    return Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        route_interval_s=0,
        offer_timeout_s=300,
    )


def queue_of(client) -> Any:
    return client.app.state.services.queue


def beat(client, agent) -> dict:
    """The agent's console says it is open."""
    answer = client.post(f"/api/agents/{agent['id']}/heartbeat", headers=agent["headers"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def status_of(client, agent) -> str:
    return client.get(f"/api/agents/{agent['id']}", headers=agent["headers"]).json()["status"]


def offered(client, agent) -> list[dict]:
    response = client.get(f"/api/agents/{agent['id']}/offers", headers=agent["headers"])
    assert response.status_code == 200
    return response.json()


def chats_of(client, agent) -> list[str]:
    found = client.get(f"/api/agents/{agent['id']}/chats", headers=agent["headers"]).json()
    return [chat["id"] for chat in found]


def accept(client, agent, conversation_id: str) -> dict:
    accepted = client.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    assert accepted.status_code == 200, accepted.text
    return accepted.json()


def write(client, conversation_id: str, headers: dict, text: str) -> None:
    sent = client.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": text}, headers=headers
    )
    assert sent.status_code == 200, sent.text


def texts(view: dict) -> list[str]:
    return [message["text"] for message in view["messages"]]


def test_a_silent_console_passes_its_offer_and_its_chat_to_a_colleague(
    client, bot, admin, clock
) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 5})
    tom = make_agent(client, admin, "Tom Whitfield", {"cards": 2})
    for agent in (priya, tom):
        assert beat(client, agent) == {
            "status": "online",
            "last_seen": "2026-01-05T09:00:00.000+00:00",
            "every_s": 30.0,  # a third of the timeout
            "timeout_s": 90.0,
            "away_reason": None,
        }
    ana, ana_headers = waiting_chat(client, bot, name="Ana")
    [offer] = offered(client, priya)
    package = offer["handoff"]
    accept(client, priya, ana)
    write(client, ana, priya["headers"], "Hi Ana, Priya here. Let me look.")
    write(client, ana, ana_headers, "My card is stuck in the machine")
    ben, _ = waiting_chat(client, bot, name="Ben")
    assert [o["conversation_id"] for o in offered(client, priya)] == [ben]
    assert offered(client, tom) == []

    # Priya's laptop sleeps; Tom's console keeps beating.
    clock.advance(seconds=60)
    beat(client, tom)
    queue_of(client).check_presence()
    assert status_of(client, priya) == "online"  # silent 60 s: not yet
    clock.advance(seconds=31)
    beat(client, tom)
    queue_of(client).check_presence()

    assert status_of(client, priya) == "away"
    assert status_of(client, tom) == "online"
    assert offered(client, priya) == [] and chats_of(client, priya) == []
    # Her console, waking, hears why (as does any console opened later, from her record).
    assert beat(client, priya)["away_reason"] == "no_heartbeat"
    me = client.get(f"/api/agents/{priya['id']}", headers=priya["headers"]).json()
    assert (me["status"], me["away_reason"]) == ("away", "no_heartbeat")
    # Ana's chat comes first: she was being served; Ben waits behind her.
    to_tom = offered(client, tom)
    assert [o["conversation_id"] for o in to_tom] == [ana, ben]
    # The same hand-over package Priya had, its transcript the whole chat as it stands now.
    passed = {k: v for k, v in to_tom[0]["handoff"].items() if k != "transcript"}
    assert passed == {k: v for k, v in package.items() if k != "transcript"}
    seen = client.get(f"/api/conversations/{ana}", headers=ana_headers).json()
    assert to_tom[0]["handoff"]["transcript"] == seen["messages"]
    assert seen["status"] == "queued" and "assigned_agent" not in seen
    assert texts(seen)[-4:] == [
        "Priya Raman has joined the chat.",
        "Hi Ana, Priya here. Let me look.",
        "My card is stuck in the machine",
        AWAY_EN,
    ]

    # Tom carries on with the whole chat in front of him.
    taken = accept(client, tom, ana)
    assert texts(taken)[-5:-1] == texts(seen)[-4:]
    assert texts(taken)[-1] == "Tom Whitfield has joined the chat."
    notes = client.get(f"/api/conversations/{ana}/notes", headers=tom["headers"]).json()
    assert "Priya Raman's console sent no heartbeat for 90 s" in notes[-1]["text"]

    # Priya's console wakes: it hears she is away, and she may go online again.
    assert beat(client, priya)["status"] == "away"
    back = client.put(
        f"/api/agents/{priya['id']}/status", json={"status": "online"}, headers=priya["headers"]
    )
    assert back.status_code == 200 and back.json()["status"] == "online"
    clock.advance(seconds=89)
    queue_of(client).check_presence()
    assert status_of(client, priya) == "online"  # going online counts as a sign of life


def set_status(client, agent, status: str) -> None:
    changed = client.put(
        f"/api/agents/{agent['id']}/status", json={"status": status}, headers=agent["headers"]
    )
    assert changed.status_code == 200, changed.text


def test_going_offline_passes_the_chats_on_and_away_keeps_them(client, bot, admin) -> None:
    """The end of a shift: the customers do not wait for an agent who has gone home."""
    priya = make_agent(client, admin, "Priya Raman", {"cards": 5})
    ana, ana_headers = waiting_chat(client, bot, name="Ana")
    accept(client, priya, ana)
    set_status(client, priya, "away")  # a short break: the chat stays hers
    assert chats_of(client, priya) == [ana]
    set_status(client, priya, "online")
    tom = make_agent(client, admin, "Tom Whitfield", {"cards": 2})
    set_status(client, priya, "offline")
    assert chats_of(client, priya) == []
    seen = client.get(f"/api/conversations/{ana}", headers=ana_headers).json()
    assert seen["status"] == "queued" and texts(seen)[-1] == AWAY_EN
    assert [o["conversation_id"] for o in offered(client, tom)] == [ana]
    notes = client.get(f"/api/conversations/{ana}/notes", headers=tom["headers"]).json()
    assert notes[-1]["text"] == "Back in the queue: Priya Raman went offline."

    # The last one to go: a ticket, and the customer is not asked to stay first.
    accept(client, tom, ana)
    set_status(client, tom, "offline")
    seen = client.get(f"/api/conversations/{ana}", headers=ana_headers).json()
    assert seen["status"] == "ticketed"
    assert texts(seen)[-2] == say("en", "chat.agent_gone", name="Tom Whitfield")
    assert seen["ticket_id"] in texts(seen)[-1]


def test_consoles_that_keep_beating_and_agents_without_a_console_stay_online(
    client, bot, admin, clock
) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 5})
    lee = make_agent(client, admin, "Lee Chen", {"cards": 1})  # works through the API only
    beat(client, priya)
    ana, _ = waiting_chat(client, bot, name="Ana")
    accept(client, priya, ana)
    for _ in range(10):  # five minutes, a heartbeat every 30 s
        clock.advance(seconds=30)
        beat(client, priya)
        queue_of(client).check_presence()
    assert (status_of(client, priya), status_of(client, lee)) == ("online", "online")
    assert chats_of(client, priya) == [ana]
    lee_view = client.get(f"/api/agents/{lee['id']}", headers=lee["headers"]).json()
    assert lee_view["last_seen"] is None  # never beat: not watched


def test_a_chat_whose_agent_went_away_waits_ahead_of_its_own_priority(
    client, bot, admin, clock
) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 5}, max_concurrent=1)
    tom = make_agent(client, admin, "Tom Whitfield", {"cards": 2}, max_concurrent=1)
    beat(client, priya)
    ana, ana_headers = waiting_chat(client, bot, name="Ana")
    accept(client, priya, ana)
    cara, _ = waiting_chat(client, bot, name="Cara")
    accept(client, tom, cara)
    ben, ben_headers = waiting_chat(client, bot, name="Ben")  # nobody free: first in line
    assert client.get(f"/api/conversations/{ben}", headers=ben_headers).json()["queue"] == {
        "position": 1,
        "estimated_wait_s": 300,
    }
    clock.advance(seconds=91)
    queue_of(client).check_presence()
    place = {
        name: client.get(f"/api/conversations/{cid}", headers=headers).json()["queue"]["position"]
        for name, cid, headers in (("Ana", ana, ana_headers), ("Ben", ben, ben_headers))
    }
    assert place == {"Ana": 1, "Ben": 2}


def test_with_nobody_else_online_the_chat_becomes_a_ticket_in_the_customers_language(
    client, bot, admin, clock
) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 5}, languages=["ja", "en"])
    beat(client, priya)
    bot.replies.append(
        [
            {"custom": {"text": "担当者におつなぎします。"}},
            {"custom": {"handoff": {"reason": "customer_request", "skill": "cards"}}},
        ]
    )
    started = client.post("/api/conversations", json={"locale": "ja"}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    write(client, started["id"], headers, "担当者と話したいです")
    accept(client, priya, started["id"])
    clock.advance(seconds=91)
    queue_of(client).check_presence()
    seen = client.get(f"/api/conversations/{started['id']}", headers=headers).json()
    assert seen["status"] == "ticketed"
    # Told once what happened: not "please stay in the chat" just before the ticket's number.
    assert say("ja", "chat.agent_away", name="Priya Raman") not in texts(seen)
    assert texts(seen)[-2:] == [
        say("ja", "chat.agent_gone", name="Priya Raman"),
        texts(seen)[-1],
    ]
    assert seen["ticket_id"] in texts(seen)[-1]


def test_an_assigned_chat_whose_customer_left_is_abandoned_after_the_idle_limit(
    client, bot, admin, clock
) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 5}, max_concurrent=1)
    ana, ana_headers = waiting_chat(client, bot, name="Ana")
    accept(client, priya, ana)
    write(client, ana, ana_headers, "It says card blocked")
    write(client, ana, priya["headers"], "Are you still there?")  # the agent's words don't count
    # Ana keeps the chat open without writing: her widget reads it now and then.
    for _ in range(4):
        clock.advance(minutes=20)
        assert client.get(f"/api/conversations/{ana}", headers=ana_headers).status_code == 200
        queue_of(client).abandon_idle()
    assert chats_of(client, priya) == [ana]
    # Then she closes the tab.
    clock.advance(minutes=29)
    assert queue_of(client).abandon_idle() == []
    ben, _ = waiting_chat(client, bot, name="Ben")  # waits: Priya's one slot is Ana's
    assert offered(client, priya) == []
    clock.advance(minutes=2)
    assert queue_of(client).abandon_idle() == [ana]
    assert client.get(f"/api/conversations/{ana}", headers=admin).json()["status"] == "abandoned"
    assert chats_of(client, priya) == []
    assert [o["conversation_id"] for o in offered(client, priya)] == [ben]  # her slot is free
    metrics = client.get("/api/metrics", headers=admin).json()
    assert metrics["abandonment_rate"] > 0


# -- a customer's socket keeps their chat: served by uvicorn, the clock still moved ------------


# (`served`, in conftest.py: the app under uvicorn in a thread, its clock still moved by hand.)


def test_a_customer_with_a_socket_open_is_there_however_quiet(served) -> None:
    """The chat widget's socket (a customer token) and a Rasa widget's session both count;
    once they close, the idle limit runs from the last moment they were seen."""
    http = served.http()
    queue = served.app.state.services.queue
    priya = make_agent(http, ADMIN_HEADERS, "Priya Raman", {"cards": 5})
    ana, ana_headers = waiting_chat(http, served.bot, name="Ana")
    widget = socketio.Client(reconnection=False)
    widget.connect(
        served.url,
        auth={"token": ana_headers["Authorization"].split()[1]},
        transports=["websocket"],
        wait_timeout=10,
    )
    rasa_widget = socketio.Client(reconnection=False)
    rasa_widget.connect(served.url, transports=["websocket"], wait_timeout=10)
    sessions: list[str] = []
    rasa_widget.on("session_confirm", sessions.append)
    rasa_widget.emit("session_request", {"session_id": None})
    wait_until(lambda: sessions, what="session_confirm")
    served.bot.replies.append(
        [
            {"custom": {"text": "Connecting you."}},
            {"custom": {"handoff": {"reason": "customer_request", "skill": "cards"}}},
        ]
    )
    rasa_widget.call(
        "user_uttered",
        {"message": "a person please", "session_id": sessions[0]},
        timeout=30,
    )
    from_widget = wait_until(
        lambda: [o["conversation_id"] for o in offered(http, priya) if o["conversation_id"] != ana],
        what="the Rasa widget's chat offered",
    )[0]
    for conversation_id in (ana, from_widget):
        accept(http, priya, conversation_id)
    try:
        served.clock.advance(minutes=31)
        assert queue.abandon_idle() == []  # both widgets are open
        assert sorted(chats_of(http, priya)) == sorted([ana, from_widget])
    finally:
        widget.disconnect()
        rasa_widget.disconnect()
    wait_until(
        lambda: (
            not served.connected(f"conversation:{ana}")
            and not served.connected(f"rasa:{sessions[0]}")
        ),
        what="the server seeing both sockets go",
    )
    served.clock.advance(minutes=29)
    assert queue.abandon_idle() == []  # seen 29 minutes ago, when the last pass found them
    served.clock.advance(minutes=2)
    assert sorted(queue.abandon_idle()) == sorted([ana, from_widget])
    assert chats_of(http, priya) == []


def test_a_staff_socket_closes_when_its_token_expires(served) -> None:
    """A token that stops working over HTTP stops hearing the pushes too (offers, tickets)."""
    http = served.http()
    issued = http.post(
        "/api/tokens",
        json={"role": "ops", "subject": "Wallboard", "expires_in_days": 2 / 86400},  # 2 s
        headers=ADMIN_HEADERS,
    )
    assert issued.status_code == 201, issued.text
    wallboard = socketio.Client(reconnection=False)
    wallboard.connect(served.url, auth={"token": issued.json()["token"]}, transports=["websocket"])
    wait_until(lambda: wallboard.connected, what="the wallboard's socket")
    served.clock.advance(seconds=3)  # what the server asks the token is past its end
    wait_until(lambda: not wallboard.connected, timeout_s=30, what="the socket closed")
    refused = http.get(
        "/api/metrics", headers={"Authorization": f"Bearer {issued.json()['token']}"}
    )
    assert refused.status_code == 401


def test_a_customer_s_socket_hears_their_ticket_close(served) -> None:
    """A ticket solved then closed at once: the widget's banner must not keep inviting the
    customer to write here ("solved: write here if you still need help")."""
    http = served.http()
    ana, headers = waiting_chat(http, served.bot, name="Ana")  # nobody online: a ticket
    ticket_id = http.get(f"/api/conversations/{ana}", headers=headers).json()["ticket_id"]
    assert ticket_id
    heard: list[dict] = []
    widget = socketio.Client(reconnection=False)
    widget.on("status", heard.append)
    widget.connect(
        served.url, auth={"token": headers["Authorization"].split()[1]}, transports=["websocket"]
    )
    wait_until(lambda: served.connected(f"conversation:{ana}"), what="the widget's socket")
    for status in ("solved", "closed"):
        changed = http.patch(
            f"/api/tickets/{ticket_id}", json={"status": status}, headers=ADMIN_HEADERS
        )
        assert changed.status_code == 200, changed.text
    wait_until(
        lambda: any(h.get("ticket_status") == "closed" for h in heard), what="the closing heard"
    )
    widget.disconnect()


def test_an_agent_who_misses_two_offers_in_a_row_is_set_away_and_told(served) -> None:
    http = served.http()
    queue = served.app.state.services.queue
    priya = make_agent(http, ADMIN_HEADERS, "Priya Raman", {"cards": 5})
    heard: list[dict] = []
    console = socketio.Client(reconnection=False)
    console.on("agent_status", heard.append)
    console.connect(served.url, auth={"token": priya["token"]}, transports=["websocket"])
    wait_until(lambda: served.connected(f"agent:{priya['id']}"), what="the console's socket")
    ana, _ = waiting_chat(http, served.bot, name="Ana")
    for _ in range(2):
        assert [o["conversation_id"] for o in offered(http, priya)] == [ana]  # again, once
        served.clock.advance(seconds=31)
        queue.route()
    wait_until(lambda: heard, what="the console told")
    assert heard == [{"status": "away", "reason": "missed_offers"}]
    assert status_of(http, priya) == "away" and offered(http, priya) == []
    console.disconnect()
    # A console opened later, or one whose socket was down, hears it from her record and her
    # heartbeat's answer; choosing a status herself clears it.
    me = http.get(f"/api/agents/{priya['id']}", headers=priya["headers"]).json()
    assert me["away_reason"] == "missed_offers"
    assert beat(http, priya)["away_reason"] == "missed_offers"
    back = http.put(
        f"/api/agents/{priya['id']}/status", json={"status": "online"}, headers=priya["headers"]
    )
    assert back.json()["away_reason"] is None
