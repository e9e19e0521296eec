"""Two app replicas acting as one through a real Redis (CASCADE_REDIS_URL) and one database file:
pushes made on one reach sockets on the other, once; a Rasa widget hears what the other replica
stored, and what it missed after moving to the other; the knowledge base changed on one answers
on the other within 2 s; the timers run on one replica at a time and move when it stops or is
killed (SIGKILL of a `cascade serve` process).

The replicas are two apps served by uvicorn in this process (their own event loops and
threads), or two `cascade serve` processes; they share the data directory, so the database file.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import socketio
import uvicorn
from fastapi import FastAPI

from cascade.app import create_app, with_realtime
from cascade.services import Services
from cascade.timers import LEASE
from core.realtime import SOCKETIO_CHANNEL
from core.replicas import NOTICES
from core.settings import Settings
from handoff.queue import Queue
from tests.factories import HANDOFF, HashingEmbedder, ScriptedBot, make_agent
from tests.helpers import ADMIN, ADMIN_HEADERS, free_port, start_app, stop, wait_until
from tests.test_rasa_channel import Widget, conversation_of


@dataclass
class Replica:
    url: str
    app: FastAPI
    bot: ScriptedBot
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def services(self) -> Services:
        return self.app.state.services

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@contextmanager
def replica(settings: Settings) -> Iterator[Replica]:
    bot = ScriptedBot()
    app = create_app(settings, embedder=HashingEmbedder(), bot=bot)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(with_realtime(app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = Replica(f"http://127.0.0.1:{port}", app, bot, server, thread)
    try:
        wait_until(lambda: server.started, what="uvicorn serving")
        yield started
    finally:
        started.stop()


def hearing_each_other(url: str, replicas: int) -> None:
    """Every replica subscribed to socket.io's channel and to the notices."""
    with redis.Redis.from_url(url) as client:
        wait_until(
            lambda: all(n >= replicas for _, n in client.pubsub_numsub(SOCKETIO_CHANNEL, NOTICES)),
            what=f"{replicas} replicas subscribed in Redis",
        )


@contextmanager
def two_replicas(tmp_path: Path, redis_url: str, **overrides: Any) -> Iterator[list[Replica]]:
    """Started one after the other (the first makes the database), on one data directory."""
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        redis_url=redis_url,
        rate_limits=False,
        **overrides,
    )
    with ExitStack() as stack:
        both = [stack.enter_context(replica(settings)) for _ in range(2)]
        hearing_each_other(redis_url, 2)
        yield both


@pytest.fixture
def pair(tmp_path: Path, redis_server) -> Iterator[list[Replica]]:
    with two_replicas(tmp_path, redis_server.url) as both:
        yield both


def test_a_push_made_on_one_replica_reaches_a_customer_connected_to_the_other(pair) -> None:
    a, b = pair
    a.bot.replies.append([{"text": "Cards arrive within five working days."}])
    with a.http() as http:
        started = http.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        heard: list[dict[str, Any]] = []
        socket = socketio.Client(reconnection=False)
        socket.on("message", lambda data: heard.append(data["message"]))
        socket.connect(b.url, auth={"token": started["token"]}, transports=["websocket"])
        try:
            # The other replica counts the customer's socket as theirs being there.
            wait_until(
                lambda: started["id"] in a.services.realtime.occupied("conversation:"),
                what="replica A seeing the socket connected to B",
            )
            turn = http.post(
                f"/api/conversations/{started['id']}/messages",
                json={"text": "When does my card arrive?", "client_id": "c1"},
                headers=customer,
            )
            assert turn.status_code == 200, turn.text
            wait_until(
                lambda: any(m["sender"] == "bot" for m in heard), what="the bot's answer on B"
            )
            later = http.post(
                f"/api/conversations/{started['id']}/messages",
                json={"text": "Thanks!", "client_id": "c2"},
                headers=customer,
            )
            assert later.status_code == 200, later.text
            # Pushes from one replica leave in order: once the last is heard, a second copy of
            # any before it would have been heard too.
            wait_until(lambda: any(m["text"] == "Thanks!" for m in heard), what="the last push")
            view = http.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
            stored = [m["id"] for m in view["messages"] if m["id"] > started["messages"][-1]["id"]]
            assert [m["id"] for m in heard] == stored
            assert [m["text"] for m in heard][:2] == [
                "When does my card arrive?",
                "Cards arrive within five working days.",
            ]
        finally:
            socket.disconnect()
        wait_until(
            lambda: started["id"] not in a.services.realtime.occupied("conversation:"),
            what="replica A seeing the socket gone",
        )


def test_without_redis_each_replica_still_pushes_to_its_own_sockets(
    tmp_path: Path, redis_server
) -> None:
    with two_replicas(tmp_path, redis_server.url) as (a, _):
        redis_server.stop()
        a.bot.replies.append([{"text": "Still here."}])
        with a.http() as http:
            started = http.post("/api/conversations", json={}).json()
            heard: list[str] = []
            socket = socketio.Client(reconnection=False)
            socket.on("message", lambda data: heard.append(data["message"]["text"]))
            socket.connect(a.url, auth={"token": started["token"]}, transports=["websocket"])
            try:
                turn = http.post(
                    f"/api/conversations/{started['id']}/messages",
                    json={"text": "Hello?"},
                    headers={"Authorization": f"Bearer {started['token']}"},
                )
                assert turn.status_code == 200, turn.text
                wait_until(lambda: "Still here." in heard, what="the bot's answer pushed on A")
            finally:
                socket.disconnect()


def test_a_rasa_widget_on_one_replica_hears_an_agent_working_on_the_other(pair) -> None:
    a, b = pair
    b.bot.replies.append(list(HANDOFF))
    http = a.http()
    priya = make_agent(http, ADMIN_HEADERS, "Priya Raman", {"cards": 3})
    widget = Widget(b.url)
    try:
        widget.say("I want to talk to a person")
        widget.wait(lambda: len(widget.named("bot_uttered")) >= 3, "the queue message")
        cid = conversation_of(Path(a.services.settings.database_path), widget.session_id)
        widget.wait(
            lambda: http.get(f"/api/agents/{priya['id']}/offers", headers=priya["headers"]).json(),
            "an offer for Priya on A",
        )
        assert http.post(f"/api/conversations/{cid}/accept", headers=priya["headers"]).is_success
        sent = http.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "Hi, Priya here."},
            headers=priya["headers"],
        )
        assert sent.status_code == 200, sent.text
        widget.wait(
            lambda: any(u["text"] == "Hi, Priya here." for u in widget.named("bot_uttered")),
            "the agent's reply made on A",
        )
        view = http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        expected = [m["id"] for m in view["messages"] if m["sender"] != "customer"]
        assert [u["metadata"]["message_id"] for u in widget.named("bot_uttered")] == expected
        assert widget.named("bot_uttered")[-1]["metadata"]["agent_name"] == "Priya Raman"
        seen = expected[-1]
    finally:
        widget.close()

    # B goes down for the widget (a deploy): while it is away, Priya writes; it comes back to A.
    sockets = b.app.state.realtime_server.manager
    wait_until(
        lambda: not list(sockets.get_participants("/", f"rasa:{widget.session_id}")),
        what="B seeing the widget go",
    )
    missed = http.post(
        f"/api/conversations/{cid}/messages",
        json={"text": "Are you still there?"},
        headers=priya["headers"],
    )
    assert missed.status_code == 200
    back = Widget(a.url, widget.session_id)
    try:
        back.wait(lambda: back.named("bot_uttered"), "what it missed")
        assert [(u["metadata"]["message_id"], u["text"]) for u in back.named("bot_uttered")] == [
            (missed.json()["messages"][0]["id"], "Are you still there?")
        ]
        assert missed.json()["messages"][0]["id"] > seen
    finally:
        back.close()
        http.close()


def test_a_revoked_token_closes_its_socket_on_the_other_replica(pair) -> None:
    a, b = pair
    with a.http() as http:
        agent = make_agent(http, ADMIN_HEADERS, "Priya Raman", online=False)
        console = socketio.Client(reconnection=False)
        console.connect(b.url, auth={"token": agent["token"]}, transports=["websocket"])
        wait_until(lambda: console.connected, what="the console's socket connected to B")
        assert http.delete(f"/api/agents/{agent['id']}", headers=ADMIN_HEADERS).status_code == 204
        wait_until(lambda: not console.connected, what="B closing the socket")


def test_failed_sign_ins_count_across_the_replicas(tmp_path: Path, redis_server) -> None:
    """The rate limits and the sign-in limits count in the shared Redis: one address guessing
    a password on both replicas gets as many tries as on one."""
    with two_replicas(tmp_path, redis_server.url, sign_in_limit="3 per 15 minutes") as (a, b):
        guess = {"email": "noor@example.com", "password": "not the password"}
        for replica in (a, b, a):
            with replica.http() as http:
                assert http.post("/api/auth/sign-in", json=guess).status_code == 401
        with b.http() as http:
            refused = http.post("/api/auth/sign-in", json=guess)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1


def search(replica: Replica, query: str) -> list[dict[str, Any]]:
    with replica.http() as http:
        found = http.post("/api/kb/search", json={"query": query, "limit": 3})
    assert found.status_code == 200, found.text
    return found.json()["results"]


def test_an_article_published_edited_and_archived_on_one_replica_follows_on_the_other(
    pair,
) -> None:
    a, b = pair
    question = "how long until my new card arrives"
    assert search(b, question) == []
    article = {
        "id": "card-delivery",
        "title": "Card delivery",
        "body": "A new card arrives within five working days.",
        "questions": ["how long until my new card arrives", "when will my card come"],
        "skill": "cards",
    }
    with a.http() as http:
        assert http.post("/api/kb/articles", json=article, headers=ADMIN_HEADERS).status_code == 201
        assert search(b, question) == []  # a draft is searched nowhere
        published = http.post("/api/kb/articles/card-delivery/publish", headers=ADMIN_HEADERS)
        assert published.status_code == 200, published.text
        wait_until(
            lambda: [r["article_id"] for r in search(b, question)] == ["card-delivery"],
            timeout_s=2,
            what="B answering with the article published on A",
        )
        edited = http.put(
            "/api/kb/articles/card-delivery",
            json={**article, "title": "Delivery of a new card"},
            headers=ADMIN_HEADERS,
        )
        assert edited.status_code == 200, edited.text
        wait_until(
            lambda: [r["title"] for r in search(b, question)] == ["Delivery of a new card"],
            timeout_s=2,
            what="B answering with the edit made on A",
        )
        archived = http.post("/api/kb/articles/card-delivery/archive", headers=ADMIN_HEADERS)
        assert archived.status_code == 200, archived.text
        wait_until(lambda: search(b, question) == [], timeout_s=2, what="B no longer finding it")
    # Each replica's limits follow its own index: calibrated on the same articles.
    assert b.services.kb.thresholds == a.services.kb.thresholds


def test_the_timers_run_on_one_replica_and_move_when_it_stops(
    tmp_path: Path, redis_server, monkeypatch
) -> None:
    passes: list[Queue] = []  # the queue of each presence check, in the order they ran
    check = Queue.check_presence

    def counted(self: Queue) -> Any:
        passes.append(self)
        return check(self)

    monkeypatch.setattr(Queue, "check_presence", counted)
    # A lease a busy machine's slow event loop cannot let lapse; a stop hands it over at once.
    settings = {"route_interval_s": 0.1, "timer_lease_s": 5.0}
    with two_replicas(tmp_path, redis_server.url, **settings) as (a, b):
        wait_until(lambda: len(passes) >= 20, what="20 presence checks")
        ran = {id(queue) for queue in passes}
        assert len(ran) == 1, "both replicas ran the timers"
        holder, other = (a, b) if passes[0] is a.services.queue else (b, a)
        assert ran == {id(holder.services.queue)}

        holder.stop()  # a stop lets the lease go: the other takes it at its next try (1 s)
        stopped = len(passes)
        wait_until(
            lambda: any(queue is other.services.queue for queue in passes[stopped:]),
            timeout_s=4,  # less than the lease: it was let go, not left to expire
            what="the other replica running the timers",
        )


def test_when_the_replica_holding_the_timers_is_killed_the_other_runs_them(
    tmp_path: Path, redis_server
) -> None:
    """`cascade serve` processes on one database file: conversations nobody writes in are
    closed by a timer (after 1 s); SIGKILL the replica whose pid the lease holds, and the
    survivor closes the next one."""
    env = {
        "CASCADE_REDIS_URL": redis_server.url,
        "CASCADE_TIMER_LEASE_S": "2",
        "CASCADE_UNWRITTEN_LIMIT_S": "1",
        "CASCADE_ROUTE_INTERVAL_S": "0.2",
    }
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    processes: dict[int, tuple[str, Any]] = {}
    lease = redis.Redis.from_url(redis_server.url)
    try:
        for name in ("a", "b"):  # one after the other: the first makes the database
            port = free_port()
            process = start_app(
                data_dir=data_dir,
                port=port,
                rasa_url="",
                admin_token=ADMIN,
                log=tmp_path / f"{name}.log",
                env=env,
            )
            url = f"http://127.0.0.1:{port}"
            processes[process.pid] = (url, process)
            wait_until(
                lambda u=url: httpx.get(u + "/health", timeout=5).status_code == 200,
                timeout_s=120,
                what=f"replica {name} answering",
                process=process,
            )

        def holder() -> int | None:
            token = lease.get(LEASE)
            return int(token.decode().split(":")[1]) if token else None

        def closed_by_the_timers(url: str) -> None:
            started = httpx.post(url + "/api/conversations", json={}, timeout=30).json()
            wait_until(
                lambda: (
                    httpx.get(
                        f"{url}/api/conversations/{started['id']}",
                        headers=ADMIN_HEADERS,
                        timeout=30,
                    ).json()["status"]
                    == "abandoned"
                ),
                timeout_s=15,
                what="the unwritten conversation closed",
            )

        first = wait_until(holder, what="a replica holding the timers' lease")
        assert first in processes
        closed_by_the_timers(processes[first][0])

        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        processes[first][1].wait(timeout=30)
        (survivor,) = [pid for pid in processes if pid != first]
        # Within the lease's 2 s and the survivor's next try (1 s), with room for a busy machine.
        wait_until(lambda: holder() == survivor, timeout_s=6, what="the survivor taking over")
        took_over_s = time.monotonic() - killed_at
        closed_by_the_timers(processes[survivor][0])
        print(json.dumps({"lease_s": 2, "took_over_s": round(took_over_s, 2)}))
    finally:
        lease.close()
        for _, process in processes.values():
            stop(process)
