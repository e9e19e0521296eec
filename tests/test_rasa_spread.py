"""Several Rasa processes behind the app (CASCADE_RASA_URL lists them, separated by commas): turns
go to each in turn; one that refuses the connection is passed over without the customer noticing,
one that fails is passed over once its breaker opens, and chats go to people only when none is up.

Each Rasa is a stand-in HTTP server on loopback that answers with its own name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bot.client import rasa_urls
from cascade.app import create_app
from core.settings import Settings
from tests.factories import HashingEmbedder
from tests.helpers import ADMIN, free_port, serving, wait_until


class StandIn(ThreadingHTTPServer):
    """Rasa's REST channel and root URL; `failing`: 503 to everything."""

    daemon_threads = True

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), StandInHandler)
        self.name = name
        self.failing = False
        self.messages: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class StandInHandler(BaseHTTPRequestHandler):
    server: StandIn

    def do_GET(self) -> None:  # noqa: N802
        self._answer(b"Hello from Rasa: 3.6.21")

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.messages.append(body["message"])
        reply = [{"recipient_id": body["sender"], "text": f"{self.server.name} here"}]
        self._answer(json.dumps(reply).encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(503 if self.server.failing else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@contextmanager
def stand_ins(*names: str) -> Iterator[list[StandIn]]:
    with ExitStack() as stack:
        yield [stack.enter_context(serving(StandIn(name))) for name in names]


@contextmanager
def app_with(rasa_url: str, data_dir: Path) -> Iterator[TestClient]:
    configured = Settings(
        data_dir=data_dir,
        admin_token=ADMIN,
        rasa_url=rasa_url,
        rasa_failures_to_open=3,
        rasa_probe_interval_s=0.05,
    )
    with TestClient(create_app(configured, embedder=HashingEmbedder())) as client:
        yield client


def customer_says(client: TestClient, text: str) -> dict[str, Any]:
    started = client.post("/api/conversations", json={"customer": {"name": "Kim"}}).json()
    turn = client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": text},
        headers={"Authorization": f"Bearer {started['token']}"},
    )
    assert turn.status_code == 200, turn.text
    return turn.json()


def answered_by(turn: dict[str, Any]) -> str | None:
    """The stand-in whose reply the customer got; None when the chat went to a person."""
    if turn["status"] != "bot":
        return None
    return str(turn["messages"][-1]["text"]).removesuffix(" here")


def test_the_urls_are_read_from_a_comma_separated_list() -> None:
    assert rasa_urls("http://a:5005") == ["http://a:5005"]
    assert rasa_urls(" http://a:5005/, http://b:5006 ,") == ["http://a:5005", "http://b:5006"]


def test_turns_go_to_each_rasa_in_turn(tmp_path) -> None:
    with stand_ins("A", "B") as (a, b), app_with(f"{a.url},{b.url}", tmp_path) as client:
        answers = [answered_by(customer_says(client, f"question {n}")) for n in range(4)]
        assert answers == ["A", "B", "A", "B"]
        assert a.messages == ["question 0", "question 2"]
        assert b.messages == ["question 1", "question 3"]
        assert client.get("/health").json()["rasa"] == "up"


def test_a_rasa_that_refuses_the_connection_is_passed_over_unnoticed(tmp_path) -> None:
    gone = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with stand_ins("A", "B") as (a, b), app_with(f"{a.url},{gone},{b.url}", tmp_path) as client:
        answers = [answered_by(customer_says(client, f"question {n}")) for n in range(9)]
        assert None not in answers  # every customer got the bot, none was handed over
        assert set(answers) == {"A", "B"}
        assert len(a.messages) + len(b.messages) == 9
        assert client.app.state.services.bot.state == "closed"  # type: ignore[attr-defined]
        assert client.get("/health").json()["rasa"] == "up"


def test_a_failing_rasa_is_passed_over_once_its_breaker_opens(tmp_path) -> None:
    with stand_ins("A", "B") as (a, b), app_with(f"{a.url},{b.url}", tmp_path) as client:
        a.failing = True
        answers = [answered_by(customer_says(client, f"question {n}")) for n in range(10)]
        # A got the message and failed: those chats were handed over, as with one Rasa. After
        # three failures in a row A is taken for down and B takes every turn.
        assert answers[:6] == [None, "B", None, "B", None, "B"]
        assert answers[6:] == ["B"] * 4
        assert len(a.messages) == 3
        assert client.get("/health").json()["rasa"] == "up"

        a.failing = False  # the probe finds A back: turns go to both again
        servers = client.app.state.services.bot.servers  # type: ignore[attr-defined]
        wait_until(lambda: servers[0].breaker.state.value == "closed", what="A taken back")
        answers = [answered_by(customer_says(client, f"again {n}")) for n in range(4)]
        assert sorted(answers) == ["A", "A", "B", "B"]  # type: ignore[type-var]


def test_when_every_rasa_is_down_chats_go_to_people_at_once(tmp_path) -> None:
    with stand_ins("A", "B") as (a, b), app_with(f"{a.url},{b.url}", tmp_path) as client:
        a.failing = b.failing = True
        for n in range(6):
            assert answered_by(customer_says(client, f"question {n}")) is None
        assert len(a.messages) == len(b.messages) == 3
        assert client.get("/health").json()["rasa"] == "down"
        turn = customer_says(client, "anyone?")
        assert answered_by(turn) is None
        assert turn["status"] in ("queued", "ticketed")
        assert len(a.messages) == len(b.messages) == 3  # neither was called
