"""The circuit breaker in front of Rasa: after repeated failures chats are handed over at once,
without calling Rasa; a probe in the background notices Rasa is back and the bot answers again.

Rasa is a stand-in HTTP server on loopback that fails, hangs or is not there, then recovers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cascade.app import create_app
from core.settings import Settings
from tests.factories import HashingEmbedder
from tests.helpers import ADMIN, ADMIN_HEADERS, free_port, wait_until

REPLY = "Hello from the bot"


class StandInRasa(ThreadingHTTPServer):
    """Rasa's REST channel and root URL. `failing`: 503 to everything; `hold`, while clear,
    keeps requests waiting (a Rasa that hangs)."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), StandInHandler)
        self.failing = False
        self.hold = threading.Event()
        self.hold.set()
        self.root_waiting = threading.Event()
        self.messages: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a caller that timed out and left is expected here


class StandInHandler(BaseHTTPRequestHandler):
    server: StandInRasa

    def do_GET(self) -> None:  # noqa: N802
        self.server.root_waiting.set()
        self.server.hold.wait(timeout=60)
        self._answer(b"Hello from Rasa: 3.6.21")

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.messages.append(body["message"])
        self.server.hold.wait(timeout=60)
        self._answer(json.dumps([{"recipient_id": body["sender"], "text": REPLY}]).encode())

    def _answer(self, body: bytes) -> None:
        status = 503 if self.server.failing else 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@contextmanager
def serving(port: int = 0) -> Iterator[StandInRasa]:
    server = StandInRasa(port)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.hold.set()  # let waiting requests finish
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def app_talking_to(rasa_url: str, data_dir: Path, **settings: Any) -> Iterator[TestClient]:
    """The app with the real Rasa client, three failures to open, a probe every 50 ms."""
    configured = Settings(
        data_dir=data_dir,
        admin_token=ADMIN,
        rasa_url=rasa_url,
        rasa_failures_to_open=3,
        rasa_probe_interval_s=0.05,
        **settings,
    )
    with TestClient(create_app(configured, embedder=HashingEmbedder())) as client:
        yield client


def customer_says(client: TestClient, text: str) -> dict[str, Any]:
    """A new customer's first message; returns the turn."""
    started = client.post("/api/conversations", json={"customer": {"name": "Kim"}}).json()
    turn = client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": text},
        headers={"Authorization": f"Bearer {started['token']}"},
    )
    assert turn.status_code == 200, turn.text
    return turn.json()


def conversation(client: TestClient, conversation_id: str) -> dict[str, Any]:
    return client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()


def texts(client: TestClient, conversation_id: str) -> list[str]:
    return [m["text"] for m in conversation(client, conversation_id)["messages"]]


def breaker_state(client: TestClient) -> str:
    return client.app.state.services.bot.state  # type: ignore[attr-defined]


def handed_over(turn: dict[str, Any]) -> bool:
    return turn["status"] in ("queued", "ticketed") and REPLY not in json.dumps(turn)


def test_after_three_5xx_chats_are_handed_over_without_calling_rasa(tmp_path) -> None:
    with serving() as rasa, app_talking_to(rasa.url, tmp_path) as client:
        assert customer_says(client, "hi")["messages"][-1]["text"] == REPLY
        rasa.failing = True
        for n in range(3):
            assert handed_over(customer_says(client, f"question {n}"))
        assert breaker_state(client) in ("open", "half-open")
        assert client.get("/health").json()["rasa"] == "down"

        assert handed_over(customer_says(client, "question 3"))
        assert rasa.messages == ["hi", "question 0", "question 1", "question 2"]  # not called

        rasa.failing = False
        wait_until(lambda: client.get("/health").json()["rasa"] == "up", what="Rasa back")
        assert breaker_state(client) == "closed"
        assert customer_says(client, "question 4")["messages"][-1]["text"] == REPLY
        assert rasa.messages[-1] == "question 4"


def test_a_rasa_that_is_not_there_is_found_again_when_it_comes(tmp_path) -> None:
    port = free_port()  # given no time to start: chats go to people at once
    with app_talking_to(f"http://127.0.0.1:{port}", tmp_path, unanswered_bot_wait_s=0) as client:
        for n in range(3):  # nothing listens: connection refused
            assert handed_over(customer_says(client, f"question {n}"))
        assert breaker_state(client) in ("open", "half-open")
        with serving(port) as rasa:
            wait_until(lambda: breaker_state(client) == "closed", what="the breaker closed")
            assert customer_says(client, "and now?")["messages"][-1]["text"] == REPLY
            assert rasa.messages == ["and now?"]


def test_timeouts_open_it_and_the_probe_half_opens_it_until_rasa_answers(tmp_path) -> None:
    with serving() as rasa, app_talking_to(rasa.url, tmp_path, rasa_timeout_s=0.5) as client:
        rasa.hold.clear()  # Rasa hangs: every call times out
        for n in range(3):
            assert handed_over(customer_says(client, f"question {n}"))
        # On a busy machine a call can time out before its connection is even accepted.
        reached = len(rasa.messages)
        assert 1 <= reached <= 3
        # The probe is asking and Rasa has not answered yet: still no chat goes to Rasa.
        wait_until(lambda: rasa.root_waiting.is_set(), what="the probe asking Rasa")
        wait_until(lambda: breaker_state(client) == "half-open", what="half-open")
        assert handed_over(customer_says(client, "question 3"))
        assert client.get("/health").json()["rasa"] == "down"
        assert len(rasa.messages) == reached  # nothing more went to Rasa while it was open

        rasa.hold.set()  # Rasa answers again
        wait_until(lambda: breaker_state(client) == "closed", what="the breaker closed")
        assert customer_says(client, "question 4")["messages"][-1]["text"] == REPLY


def test_failures_must_be_in_a_row(tmp_path) -> None:
    """Two failures, then an answer, then two more: still closed; Rasa is asked every time."""
    with serving() as rasa, app_talking_to(rasa.url, tmp_path) as client:
        for round_ in range(2):
            rasa.failing = True
            for n in range(2):
                assert handed_over(customer_says(client, f"q{round_}.{n}"))
            rasa.failing = False
            assert customer_says(client, f"ok {round_}")["messages"][-1]["text"] == REPLY
        assert breaker_state(client) == "closed"
        assert len(rasa.messages) == 6


def test_a_customer_writing_while_rasa_starts_waits_for_it(tmp_path) -> None:
    """Rasa loads its model for a minute after the app is up: a message sent then waits for
    it instead of being handed over. Once it has answered, Rasa gone hands chats over at once."""
    port = free_port()
    with app_talking_to(f"http://127.0.0.1:{port}", tmp_path) as client:
        started = client.post("/api/conversations", json={"customer": {"name": "Kim"}}).json()
        with ThreadPoolExecutor(1) as pool:
            turn = pool.submit(
                client.post,
                f"/api/conversations/{started['id']}/messages",
                json={"text": "is anyone there?"},
                headers={"Authorization": f"Bearer {started['token']}"},
            )
            wait_until(
                lambda: "is anyone there?" in texts(client, started["id"]),
                what="the message stored",
            )
            rasa_client = client.app.state.services.bot  # type: ignore[attr-defined]
            wait_until(lambda: rasa_client.servers[0].breaker.failures > 0, what="Rasa refused")
            assert not turn.done()  # waiting for Rasa, not handed over
            assert conversation(client, started["id"])["status"] == "bot"
            with serving(port) as rasa:
                answered = turn.result(timeout=60)
                assert answered.status_code == 200, answered.text
                assert answered.json()["status"] == "bot"
                assert answered.json()["messages"][-1]["text"] == REPLY
                assert rasa.messages == ["is anyone there?"]
        assert conversation(client, started["id"]).get("handoff") is None
        # Rasa answered once, so it has started: gone now, it hands the next chat over at once.
        assert handed_over(customer_says(client, "and now?"))


def test_a_rasa_that_never_comes_hands_over_when_its_time_to_start_is_up(tmp_path) -> None:
    port = free_port()  # nothing ever listens there
    with app_talking_to(f"http://127.0.0.1:{port}", tmp_path, unanswered_bot_wait_s=1) as client:
        started = client.post("/api/conversations", json={"customer": {"name": "Kim"}}).json()
        turn = client.post(
            f"/api/conversations/{started['id']}/messages",
            json={"text": "hello?"},
            headers={"Authorization": f"Bearer {started['token']}"},
        ).json()
        assert handed_over(turn)
        assert conversation(client, started["id"])["handoff"]["reason"] == "bot_unavailable"
        assert handed_over(customer_says(client, "anyone?"))
