"""Two `cascade serve` replicas on one PostgreSQL database and one Redis, each with a data
directory of its own, as two machines behind a balancer run them: what one is told, the other
knows. No bot here (every chat goes to a person); Rasa's side is in test_rasa_replicas.py."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import socketio
import sqlalchemy as sa

from core.realtime import SOCKETIO_CHANNEL
from tests.factories import article, jsonl
from tests.helpers import ADMIN_HEADERS, running_app, wait_until

pytestmark = pytest.mark.engine_independent  # on PostgreSQL and Redis whatever the run's engine


class Replica:
    def __init__(self, url: str, process: subprocess.Popen) -> None:
        self.url = url
        self.process = process
        self.http = httpx.Client(base_url=url, timeout=30)

    def search(self, query: str) -> list[str]:
        found = self.http.post("/api/kb/search", json={"query": query, "limit": 1})
        return [hit["article_id"] for hit in found.json()["results"]]


def serve(
    stack: ExitStack, tmp_path: Path, name: str, env: dict[str, str], rasa_url: str = ""
) -> Replica:
    """A replica named `name`, stopped when `stack` closes; it answers /health even when its
    Rasa does not."""
    data_dir = tmp_path / name
    data_dir.mkdir()
    running = running_app(data_dir, env=env, rasa_url=rasa_url, bot_up=False)
    return Replica(*stack.enter_context(running))


@pytest.fixture
def replicas(postgres_url: str, redis_server, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    with ExitStack() as stack:
        env = {"CASCADE_DATABASE_URL": postgres_url, "CASCADE_REDIS_URL": redis_server.url}
        # One after the other: the first creates the tables, the second finds them.
        a = serve(stack, tmp_path, "a", env)
        b = serve(stack, tmp_path, "b", env)
        listening = redis.Redis.from_url(redis_server.url)
        stack.callback(listening.close)
        wait_until(
            lambda: listening.pubsub_numsub(SOCKETIO_CHANNEL)[0][1] == 2,
            what="both replicas listening for each other's pushes",
        )
        yield a, b


def make_agent(replica: Replica, name: str) -> dict[str, Any]:
    created = replica.http.post(
        "/api/agents",
        json={"name": name, "skills": {"general": 3, "cards": 3}, "max_concurrent": 3},
        headers=ADMIN_HEADERS,
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    agent["headers"] = {"Authorization": f"Bearer {agent['token']}"}
    return agent


def offers(replica: Replica, agent: dict[str, Any]) -> list[str]:
    response = replica.http.get(f"/api/agents/{agent['id']}/offers", headers=agent["headers"])
    return [o["conversation_id"] for o in response.json()]


def messages(replica: Replica, conversation_id: str, headers: dict[str, str]) -> list[str]:
    view = replica.http.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    return [m["text"] for m in view["messages"]]


def test_what_one_replica_is_told_the_other_knows(replicas) -> None:
    a, b = replicas

    # An article imported on A is answered on B.
    imported = a.http.post("/api/kb/import", content=jsonl(article()), headers=ADMIN_HEADERS)
    assert imported.status_code == 200, imported.text
    wait_until(
        lambda: b.search("how do i freeze my card") == ["freeze-card"],
        timeout_s=10,
        what="B answering with the article imported on A",
    )

    # An agent created on A goes online on B, with a console connected to B.
    agent = make_agent(a, "Priya Raman")
    online = b.http.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent["headers"]
    )
    assert online.status_code == 200, online.text
    pushed: list[dict[str, Any]] = []
    console = socketio.Client(reconnection=False)
    console.on("offer", pushed.append)
    console.connect(b.url, auth={"token": agent["token"]}, transports=["websocket"])
    try:
        # A chat handed over on A is offered to the agent polling B, and pushed to B's console.
        started = a.http.post(
            "/api/conversations", json={"customer": {"name": "Ana", "email": "ana@example.com"}}
        ).json()
        chat, headers = started["id"], {"Authorization": f"Bearer {started['token']}"}
        turn = a.http.post(
            f"/api/conversations/{chat}/messages",
            json={"text": "my card is stuck"},
            headers=headers,
        )
        assert turn.status_code == 200 and turn.json()["status"] == "queued", turn.text
        wait_until(lambda: offers(b, agent) == [chat], timeout_s=15, what="the offer on B")
        wait_until(
            lambda: any(o["conversation_id"] == chat for o in pushed),
            timeout_s=15,
            what="the offer pushed to the console on B",
        )

        # The agent takes it and replies on B; the customer on A reads it.
        accepted = b.http.post(f"/api/conversations/{chat}/accept", headers=agent["headers"])
        assert accepted.status_code == 200, accepted.text
        reply = b.http.post(
            f"/api/conversations/{chat}/messages",
            json={"text": "Hi Ana, Priya here."},
            headers=agent["headers"],
        )
        assert reply.status_code == 200, reply.text
        wait_until(
            lambda: "Hi Ana, Priya here." in messages(a, chat, headers),
            timeout_s=5,
            what="the agent's reply read on A",
        )
    finally:
        console.disconnect()

    # An article published on B answers on A.
    second = article(
        "open-account",
        title="Open an account",
        skill="accounts",
        questions=["how do i open an account", "new account please"],
    )
    assert b.http.post("/api/kb/import", content=jsonl(second), headers=ADMIN_HEADERS).is_success
    wait_until(
        lambda: a.search("how do i open an account") == ["open-account"],
        timeout_s=2,
        what="A answering with the article published on B",
    )


def test_a_reply_pushed_on_one_replica_reaches_the_customer_socket_on_the_other(replicas) -> None:
    a, b = replicas
    agent = make_agent(a, "Priya Raman")
    b.http.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent["headers"]
    )
    started = a.http.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    chat, headers = started["id"], {"Authorization": f"Bearer {started['token']}"}
    heard: list[str] = []
    widget = socketio.Client(reconnection=False)
    widget.on("message", lambda pushed: heard.append(pushed["message"]["text"]))
    widget.connect(a.url, auth={"token": started["token"]}, transports=["websocket"])
    try:
        a.http.post(f"/api/conversations/{chat}/messages", json={"text": "help"}, headers=headers)
        wait_until(lambda: offers(b, agent) == [chat], timeout_s=15, what="the offer on B")
        b.http.post(f"/api/conversations/{chat}/accept", headers=agent["headers"])
        b.http.post(
            f"/api/conversations/{chat}/messages", json={"text": "On it."}, headers=agent["headers"]
        )
        wait_until(lambda: "On it." in heard, timeout_s=5, what="the reply pushed to A's widget")
        assert heard.count("On it.") == 1  # pushed once, not once per replica
    finally:
        widget.disconnect()


def test_killing_one_replica_loses_nothing_accepted(replicas) -> None:
    """Customers chat with both while one is killed (SIGKILL): every message either replica
    accepted is there afterwards, and the survivor keeps serving."""
    a, b = replicas
    accepted: list[tuple[str, str, str, Replica]] = []  # (conversation, token, text, where)
    lock = threading.Lock()
    done = threading.Event()

    def customer(replica: Replica) -> None:
        with httpx.Client(base_url=replica.url, timeout=10) as http:
            while not done.is_set():
                try:
                    started = http.post("/api/conversations", json={}).json()
                    text = uuid.uuid4().hex
                    turn = http.post(
                        f"/api/conversations/{started['id']}/messages",
                        json={"text": text, "client_id": text},
                        headers={"Authorization": f"Bearer {started['token']}"},
                    )
                except (httpx.HTTPError, json.JSONDecodeError, KeyError):
                    continue  # the replica is gone: nothing was accepted
                if turn.status_code == 200:
                    with lock:
                        accepted.append((started["id"], started["token"], text, replica))

    def on(replica: Replica) -> int:
        with lock:
            return sum(1 for *_, where in accepted if where is replica)

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(customer, replica) for replica in (a, b, a, b)]
        wait_until(lambda: on(a) >= 10 and on(b) >= 10, timeout_s=120, what="turns on both")
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(timeout=30)
        after_kill = on(b)
        wait_until(lambda: on(b) >= after_kill + 10, timeout_s=60, what="B serving on")
        done.set()
        for one in running:
            one.result()

    for conversation_id, token, text, _ in accepted:
        assert text in messages(b, conversation_id, {"Authorization": f"Bearer {token}"})


def test_a_turn_a_killed_replica_left_is_answered_by_the_other(
    postgres_url: str, redis_server, tmp_path: Path
) -> None:
    """A's bot never answers, so the customer's message is stored on A and its turn hangs there
    when A is SIGKILLed: B, holding no such turn, answers it once A is no longer alive."""
    silent = socket.create_server(("127.0.0.1", 0))  # takes connections, never answers
    with ExitStack() as stack:
        stack.callback(silent.close)
        env = {"CASCADE_DATABASE_URL": postgres_url, "CASCADE_REDIS_URL": redis_server.url}
        rasa = f"http://127.0.0.1:{silent.getsockname()[1]}"
        a = serve(stack, tmp_path, "a", {**env, "CASCADE_RASA_TIMEOUT_S": "600"}, rasa)
        b = serve(stack, tmp_path, "b", env)  # no bot: its turns go to a person
        started = a.http.post("/api/conversations", json={}).json()
        chat, headers = started["id"], {"Authorization": f"Bearer {started['token']}"}

        def send() -> None:
            with contextlib.suppress(httpx.HTTPError):  # A dies with the request open
                a.http.post(
                    f"/api/conversations/{chat}/messages",
                    json={"text": "where is my parcel"},
                    headers=headers,
                    timeout=600,
                )

        sending = threading.Thread(target=send, daemon=True)
        sending.start()
        wait_until(
            lambda: messages(b, chat, headers)[-1:] == ["where is my parcel"],
            what="the message stored, its turn taken on A",
        )
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(timeout=30)
        sending.join(timeout=30)
        assert messages(b, chat, headers)[-1] == "where is my parcel"  # A answered nothing

        wait_until(
            lambda: (
                b.http.get(f"/api/conversations/{chat}", headers=headers).json()["status"] != "bot"
            ),
            timeout_s=60,
            what="B taking the turn A left (A's liveness lapses within 15 s)",
        )
        view = b.http.get(f"/api/conversations/{chat}", headers=headers).json()
        texts = [m["text"] for m in view["messages"]]
        assert texts.count("where is my parcel") == 1 and texts[-1] != "where is my parcel"
        engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
        with engine.connect() as db:
            left = db.exec_driver_sql("select count(*) from unanswered_messages").scalar()
        engine.dispose()
        assert left == 0  # taken once, and done
