"""A customer message stored but not answered is picked up again at start-up: killed (SIGKILL)
between storing the message and the bot's answer, the app answers it after the restart."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from cascade.storage import open_storage
from conversations.store import ConversationStore
from core.clock import ManualClock, iso
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot
from tests.helpers import ADMIN, ADMIN_HEADERS, free_port, start_app, stop, wait_until

QUESTION = "How do I freeze my card?"
ANSWER = "Open Cards, then Freeze card."


class FakeRasa(ThreadingHTTPServer):
    """Rasa's REST webhook on loopback, for the crash only: while `hanging`, it takes the
    message and never answers (the app is killed meanwhile); otherwise it answers at once.
    The real Rasa server is what every dialogue test talks to; here what is tested is the
    app's recovery, which needs a bot that is slow at exactly the wrong moment."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeRasaHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.hanging = True
        self.received: list[dict[str, Any]] = []
        self.released = threading.Event()  # lets hung requests go at the end of the test


class FakeRasaHandler(BaseHTTPRequestHandler):
    server: FakeRasa

    def do_GET(self) -> None:  # the app's health check
        self._send(200, b"Hello from Rasa: 3.6.21")

    def do_POST(self) -> None:
        message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append(message)
        if self.server.hanging:
            self.server.released.wait(timeout=120)
            return
        reply = [{"recipient_id": message["sender"], "text": ANSWER}]
        self._send(200, json.dumps(reply).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    server = FakeRasa()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve(data_dir: Path, rasa_url: str, port: int):
    """`cascade serve` (with a patient bot timeout: only the kill ends the hung turn)."""
    app = start_app(
        data_dir=data_dir,
        port=port,
        rasa_url=rasa_url,
        admin_token=ADMIN,
        log=data_dir.parent / "app.log",
        env={"CASCADE_RASA_TIMEOUT_S": "600", "CASCADE_ROUTE_INTERVAL_S": "0"},
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: httpx.get(url + "/health", timeout=5).json()["rasa"] == "up",
        timeout_s=120,
        what="the app answering /health with the bot up",
        process=app,
    )
    return app, url


def messages(url: str, conversation_id: str) -> list[dict[str, Any]]:
    view = httpx.get(f"{url}/api/conversations/{conversation_id}", headers=ADMIN_HEADERS)
    return view.json()["messages"]


def test_a_message_stored_before_a_crash_is_answered_after_the_restart(
    tmp_path: Path, fake_rasa: FakeRasa
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    app, url = serve(data_dir, fake_rasa.url, free_port())
    try:
        started = httpx.post(f"{url}/api/conversations", json={"customer": {"name": "Ana"}})
        conversation_id, token = started.json()["id"], started.json()["token"]

        def customer_sends() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the request dies with the app
                httpx.post(
                    f"{url}/api/conversations/{conversation_id}/messages",
                    json={"text": QUESTION, "client_id": "m1"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=120,
                )

        sending = threading.Thread(target=customer_sends, daemon=True)
        sending.start()
        # The message is stored and the bot is thinking about it: the worst moment to die.
        wait_until(lambda: fake_rasa.received, what="the bot receiving the message")
        assert [m["text"] for m in messages(url, conversation_id)][-1] == QUESTION
    finally:
        app.kill()  # SIGKILL: no shutdown, nothing flushed
        app.wait(timeout=30)
    sending.join(timeout=30)
    assert fake_rasa.received[0]["message"] == QUESTION

    fake_rasa.hanging = False  # the bot answers from now on
    app, url = serve(data_dir, fake_rasa.url, free_port())
    try:
        said = wait_until(
            lambda: [m["text"] for m in messages(url, conversation_id) if m["sender"] == "bot"][1:],
            what="the bot's answer after the restart",
        )
        assert said == [ANSWER]  # answered once, after the greeting
        texts = [m["text"] for m in messages(url, conversation_id)]
        assert texts[-2:] == [QUESTION, ANSWER]
        assert texts.count(QUESTION) == 1  # the customer's message kept, not repeated
        assert [m["message"] for m in fake_rasa.received] == [QUESTION, QUESTION]
        assert fake_rasa.received[1]["sender"] == conversation_id
        # The customer, coming back, sees the answer under their question.
        customer = httpx.get(
            f"{url}/api/conversations/{conversation_id}",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert [m["text"] for m in customer["messages"]][-1] == ANSWER
    finally:
        stop(app)


# -- the same, in process, for what the turn sends ---------------------------------------------


def left_unanswered(settings: Settings, clock: ManualClock, *, buttons: bool) -> str:
    """A conversation whose customer's last message was stored and marked, as a crash leaves
    it; the bot had offered two buttons (`buttons`) and the customer pressed "Yes"."""
    storage = open_storage(settings.database_path)
    store = ConversationStore(storage)
    at = iso(clock.now())
    conversation_id = store.create(customer={"name": "Ana"}, page_url=None, at=at)
    offered = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    store.add_message(
        conversation_id,
        sender="bot",
        text="Did that help?",
        buttons=offered if buttons else None,
        at=at,
    )
    with storage.write():
        message, _ = store.add_message(conversation_id, sender="customer", text="Yes", at=at)
        store.await_turn(message, conversation_id, payload="/affirm" if buttons else "Yes")
    storage.close()
    return conversation_id


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="", route_interval_s=0)


def test_start_up_sends_the_bot_what_the_customer_pressed(
    settings: Settings, clock: ManualClock
) -> None:
    conversation_id = left_unanswered(settings, clock, buttons=True)
    bot = ScriptedBot([{"text": "Glad to hear it!"}])
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        said = wait_until(
            lambda: [
                m["text"]
                for m in c.get(
                    f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS
                ).json()["messages"]
            ][2:],
            what="the answer",
        )
        assert said == ["Glad to hear it!"]
        assert bot.sent == [(conversation_id, "/affirm")]  # the payload, not the title
        assert c.app.state.services.conversations.store.unanswered() == []


def test_a_message_answered_just_before_the_crash_is_not_answered_twice(
    settings: Settings, clock: ManualClock
) -> None:
    conversation_id = left_unanswered(settings, clock, buttons=False)
    storage = open_storage(settings.database_path)
    store = ConversationStore(storage)
    [(_, message, _)] = store.unanswered()
    store.add_message(  # the bot's answer was stored; the crash came before the mark went
        conversation_id, sender="bot", text="Great!", reply_to=message["id"], at=iso(clock.now())
    )
    storage.close()
    bot = ScriptedBot([{"text": "Not to be said"}])
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        store = c.app.state.services.conversations.store
        wait_until(lambda: store.unanswered() == [], what="the mark taken off")
        texts = [m["text"] for m in store.messages(conversation_id)]
        assert texts[-2:] == ["Yes", "Great!"]
        assert bot.sent == []


def test_a_replica_claims_only_the_turns_of_replicas_that_are_gone(storage, clock) -> None:
    """Each mark names the replica taking the turn; claiming the turns of gone replicas (and of
    unnamed ones) moves them to the claimant once, and leaves a living replica's alone."""
    store = ConversationStore(storage)
    at = iso(clock.now())
    marked: dict[str | None, int] = {}
    for host in ("gone", "alive", None):
        store.host = host
        conversation_id = store.create(customer={}, page_url=None, at=at)
        with storage.write():
            message, _ = store.add_message(conversation_id, sender="customer", text="hi", at=at)
            store.await_turn(message, conversation_id, payload="hi")
        marked[host] = message["id"]
    store.host = "claimant"
    assert store.unanswered_hosts() == {"gone", "alive", None}

    assert store.claim_unanswered({"gone", None}) == {marked["gone"], marked[None]}
    assert store.unanswered_hosts() == {"claimant", "alive"}
    assert store.claim_unanswered({"gone", None}) == set()  # nobody takes a turn twice
    assert [m["id"] for _, m, _ in store.unanswered(only={marked["alive"]})] == [marked["alive"]]
