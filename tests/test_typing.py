"""Typing indicators over real sockets (conversations/typing.py): a customer typing is heard by
the agent who has their chat, and the agent typing by the customer; nobody hears a customer
typing while no agent has the chat (in the queue, as with the bot, or once it is resolved),
nor an agent typing into a chat that is not theirs; and a socket's signals are read once a
second at most (the app's clock, moved here by hand)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import socketio

from tests.factories import make_agent, waiting_chat
from tests.helpers import ADMIN_HEADERS, wait_until


@contextmanager
def listening(url: str, token: str) -> Iterator[tuple[socketio.Client, list[dict]]]:
    """A socket opened with `token`, and the `typing` signals it hears."""
    heard: list[dict] = []
    sock = socketio.Client(reconnection=False)
    sock.on("typing", heard.append)
    sock.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    try:
        yield sock, heard
    finally:
        sock.disconnect()


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


def test_the_customer_and_their_agent_hear_each_other_type(served) -> None:
    http = served.http()
    priya = make_agent(http, ADMIN_HEADERS, "Priya Raman", {"cards": 5})
    tom = make_agent(http, ADMIN_HEADERS, "Tom Whitfield", {"loans": 5})  # not offered it
    ana, ana_headers = waiting_chat(http, served.bot, name="Ana")
    with (
        listening(served.url, token_of(ana_headers)) as (widget, customer_heard),
        listening(served.url, priya["token"]) as (console, priya_heard),
        listening(served.url, tom["token"]) as (other_console, tom_heard),
    ):
        # Queued: nobody has the chat, so the customer's typing goes nowhere; neither does an
        # agent's typing into it.
        widget.call("typing", {}, timeout=10)
        console.call("typing", {"conversation_id": ana}, timeout=10)

        served.clock.advance(seconds=2)  # each socket's signals are read once a second at most
        accept(http, priya, ana)
        # Tom types into Priya's chat: not his, not heard. Priya types: Ana hears it.
        other_console.call("typing", {"conversation_id": ana}, timeout=10)
        console.call("typing", {"conversation_id": ana}, timeout=10)
        wait_until(lambda: customer_heard, what="the customer hearing the agent type")
        assert customer_heard == [{"conversation_id": ana, "who": "agent"}]

        # Ana types (naming another chat changes nothing: a customer's socket is its own chat).
        widget.call("typing", {"conversation_id": "someone-else"}, timeout=10)
        wait_until(lambda: priya_heard, what="the agent hearing the customer type")
        assert priya_heard == [{"conversation_id": ana, "who": "customer"}]

        # A burst within the second is dropped. Ana's message then comes to Priya's socket
        # after whatever the burst would have sent it (pushes leave in order).
        for _ in range(5):
            widget.call("typing", {}, timeout=10)
        messages: list[dict] = []
        console.on("message", messages.append)
        sent = http.post(
            f"/api/conversations/{ana}/messages", json={"text": "hello?"}, headers=ana_headers
        )
        assert sent.status_code == 200, sent.text
        wait_until(lambda: messages, what="the agent hearing the customer's message")
        assert priya_heard == [{"conversation_id": ana, "who": "customer"}]

        # Resolved, the chat is nobody's: Ana typing on is not heard. Ben's chat, which Priya
        # takes next, is: his signal comes after anything Ana's would have sent.
        served.clock.advance(seconds=2)
        resolved = http.post(f"/api/conversations/{ana}/resolve", headers=priya["headers"])
        assert resolved.status_code == 200, resolved.text
        widget.call("typing", {}, timeout=10)
        ben, ben_headers = waiting_chat(http, served.bot, name="Ben")
        accept(http, priya, ben)
        with listening(served.url, token_of(ben_headers)) as (ben_widget, _):
            ben_widget.call("typing", {}, timeout=10)
            wait_until(lambda: len(priya_heard) == 2, what="the agent hearing Ben type")
        assert priya_heard[1] == {"conversation_id": ben, "who": "customer"}
        assert tom_heard == []
        assert customer_heard == [{"conversation_id": ana, "who": "agent"}]


def accept(http, agent: dict, conversation_id: str) -> None:
    accepted = http.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    assert accepted.status_code == 200, accepted.text
