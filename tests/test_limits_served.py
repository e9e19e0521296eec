"""Limits against `cascade serve` itself, over real sockets: a 10 MB body, a chunked one, a loop
opening conversations, and socket.io connections and widget messages past their limits.

Each test speaks as its own client address through X-Forwarded-For, which uvicorn trusts from
loopback (as from a reverse proxy on the same host), so the tests do not share their counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import socketio

from tests.helpers import app_process, wait_until

LIMITS = {
    "CASCADE_RATE_LIMITS": "true",  # the test processes' default lifts them
    "CASCADE_RATE_LIMIT_SOCKETS": "3/minute",
    "CASCADE_RATE_LIMIT_MESSAGES": "2/minute",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    with app_process(tmp_path_factory.mktemp("limits"), env=LIMITS) as url:
        yield url


def speaking_as(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def test_a_10_mb_body_gets_a_small_413(served) -> None:
    body = json.dumps({"query": "card " * 2_000_000}).encode()
    assert len(body) > 10_000_000
    response = httpx.post(
        served + "/api/kb/search",
        content=body,
        headers={"Content-Type": "application/json", **speaking_as("198.51.100.1")},
        timeout=60,
    )
    assert response.status_code == 413
    assert len(response.content) < 200
    assert "limit of 65536 bytes" in response.json()["detail"]


def test_a_chunked_body_is_cut_off_with_413(served) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent as it is made
        yield b'{"query": "'
        for _ in range(1000):
            yield b"card " * 2000

    response = httpx.post(
        served + "/api/kb/search",
        content=chunks(),
        headers={"Content-Type": "application/json", **speaking_as("198.51.100.2")},
        timeout=60,
    )
    assert response.status_code == 413
    assert "limit of 65536 bytes" in response.json()["detail"]


def test_opening_conversations_in_a_loop_gets_429_with_retry_after(served) -> None:
    """With the default limits: a real widget never meets them, a loop soon does."""
    with httpx.Client(base_url=served, headers=speaking_as("198.51.100.3"), timeout=30) as http:
        statuses = []
        for _ in range(400):
            response = http.post("/api/conversations", json={})
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
    assert statuses[0] == 201 and statuses[-1] == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert response.json()["detail"].startswith("too many requests (start: at most")
    # Another address is not held back.
    other = httpx.post(
        served + "/api/conversations", json={}, headers=speaking_as("198.51.100.4"), timeout=30
    )
    assert other.status_code == 201


def test_an_ipv6_block_counts_as_one_client(served) -> None:
    """Every address of a /64 is one client: moving to the next address gains nothing."""
    with httpx.Client(base_url=served, timeout=30) as http:
        for n in range(1, 400):  # a new address of the same /64 each time
            response = http.post(
                "/api/conversations", json={}, headers=speaking_as(f"2001:db8:1::{n:x}")
            )
            if response.status_code == 429:
                break
        assert response.status_code == 429 and n > 1
        other = http.post("/api/conversations", json={}, headers=speaking_as("2001:db8:2::1"))
        assert other.status_code == 201


def connect(url: str, address: str) -> tuple[socketio.Client, list[Any]]:
    """A socket.io client as the widget opens it; its connect_error payloads."""
    client = socketio.Client(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append)
    client.connect(url, headers=speaking_as(address), transports=["websocket"], wait_timeout=10)
    return client, errors


def test_socket_connections_past_the_limit_are_refused(served) -> None:
    opened = [connect(served, "198.51.100.5")[0] for _ in range(3)]
    try:
        refused = socketio.Client(reconnection=False)
        errors: list[Any] = []
        refused.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            refused.connect(
                served,
                headers=speaking_as("198.51.100.5"),
                transports=["websocket"],
                wait_timeout=10,
            )
        wait_until(lambda: errors, what="the connect_error")
        assert errors[0]["message"].startswith("too many requests (sockets: at most 3/minute")
        assert 1 <= errors[0]["data"]["retry_after"] <= 60
        elsewhere, _ = connect(served, "198.51.100.6")
        assert elsewhere.connected
        elsewhere.disconnect()
    finally:
        for client in opened:
            client.disconnect()


def test_a_rasa_widget_past_the_message_limit_is_told_so(served) -> None:
    client, _ = connect(served, "198.51.100.7")
    events: list[tuple[str, Any]] = []
    client.on("*", lambda event, data=None: events.append((event, data)))
    try:
        client.emit("session_request", {"session_id": None})
        wait_until(lambda: any(e == "session_confirm" for e, _ in events), what="the session")
        for text in ("hello", "anyone there?", "hello??"):
            client.call("user_uttered", {"message": text}, timeout=30)
        errors = [data for event, data in events if event == "channel_error"]
        assert len(errors) == 1
        assert errors[0]["detail"].startswith("too many requests (messages: at most 2/minute")
    finally:
        client.disconnect()
