"""Pushes and webhooks only after commit: a push goes out once the change it announces is there
for anyone to read, a change that rolls back announces nothing, and the outbox row reporting a
change is written in the change's own transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from cascade.storage import open_storage
from conversations.errors import ConversationMoved
from conversations.people import HandoffRequest
from core.clock import ManualClock
from core.db import Storage
from core.realtime import Realtime
from core.settings import Settings
from tests.factories import HANDOFF, HashingEmbedder, ScriptedBot, make_agent, waiting_chat
from tests.helpers import ADMIN, ADMIN_HEADERS, Receiver

# -- the storage's after-commit work -----------------------------------------------------------


def test_after_commit_work_runs_in_order_once_the_transaction_commits(storage: Storage) -> None:
    done: list[str] = []
    with storage.write() as db:
        db.table("canned").insert({"shortcut": "/hi", "text": "Hi", "created_at": "t"})
        storage.after_commit(lambda: done.append("first"))
        with storage.write():  # a savepoint: its work waits for the outer commit too
            storage.after_commit(lambda: done.append("second"))
        storage.after_commit(lambda: done.append("third"))
        assert done == []
    assert done == ["first", "second", "third"]
    storage.after_commit(lambda: done.append("outside"))  # no transaction: at once
    assert done[-1] == "outside"


def test_after_commit_work_is_dropped_with_what_rolls_back(storage: Storage) -> None:
    done: list[str] = []
    with pytest.raises(RuntimeError), storage.write():
        storage.after_commit(lambda: done.append("rolled back"))
        raise RuntimeError("the change failed")
    with storage.write():
        storage.after_commit(lambda: done.append("kept"))
        with pytest.raises(RuntimeError), storage.write():
            storage.after_commit(lambda: done.append("savepoint rolled back"))
            raise RuntimeError("part of the change failed")
    assert done == ["kept"]


def test_one_failing_piece_of_work_does_not_stop_the_rest(storage: Storage) -> None:
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("a broken pipe")

    with storage.write():
        storage.after_commit(broken)
        storage.after_commit(lambda: done.append("told"))
    assert done == ["told"]


# -- pushes, as a client would see them ---------------------------------------------------------


class Witness(Realtime):
    """The app's pushes, each with what another connection to the database (a client reading
    the API on hearing the push) found at that moment."""

    pushes: list[tuple[str, str, dict[str, Any], bool]]
    database: Path
    reader: Storage | None  # its own connections: it sees only what is committed

    def publish(self, room: str, event: str, data: dict[str, Any]) -> None:
        if Witness.reader is None:
            Witness.reader = open_storage(self.database)
        self.pushes.append((room, event, data, self._visible(Witness.reader, event, data)))

    @staticmethod
    def _visible(reader: Storage, event: str, data: dict[str, Any]) -> bool:
        if event == "message":
            query = "select 1 from messages where id = ?", [data["message"]["id"]]
        elif event == "status":
            query = (
                "select 1 from conversations where id = ? and status = ?",
                [data["conversation_id"], data["status"]],
            )
        elif event == "ticket":
            query = "select 1 from tickets where id = ?", [data["ticket_id"]]
        elif event == "offer_withdrawn":
            query = (
                "select 1 from offers where conversation_id = ? and status != 'pending'",
                [data["conversation_id"]],
            )
        else:
            return True  # offers and places are read from the state at the time, after commits
        return reader.db.execute(*query).fetchone() is not None


@pytest.fixture
def witness(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[Witness]]:
    Witness.pushes = []
    Witness.database = tmp_path / "data" / "cascade.db"
    Witness.reader = None
    monkeypatch.setattr("cascade.app.Realtime", Witness)
    yield Witness
    if Witness.reader is not None:
        Witness.reader.close()


def quiet_settings(tmp_path: Path, **more: Any) -> Settings:
    """No timers: the test decides when the queue and the outbox run."""
    return Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        route_interval_s=0,
        outbox_interval_s=0,
        **more,
    )


@pytest.fixture
def app(tmp_path: Path, witness: type[Witness], clock: ManualClock) -> Iterator[TestClient]:
    bot = ScriptedBot()
    receiver_url = "http://127.0.0.1:9/hooks"  # never called: the outbox worker does not run
    settings = quiet_settings(tmp_path, webhook_urls=[receiver_url], webhook_secret="s3cret")
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        c.app.state.bot = bot
        yield c


def test_every_push_comes_once_its_change_can_be_read(app: TestClient, witness) -> None:
    """A console hearing "agent joined", a status or a ticket and asking the API at once finds it."""
    agent = make_agent(app, ADMIN_HEADERS, "Priya", {"cards": 3})
    other = make_agent(app, ADMIN_HEADERS, "Tom", {"cards": 1})
    conversation_id, _ = waiting_chat(app, app.app.state.bot)
    accepted = app.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    assert accepted.status_code == 200
    escalated = app.post(
        f"/api/conversations/{conversation_id}/escalate",
        json={"note": "needs the card team"},
        headers=agent["headers"],
    )
    assert escalated.status_code == 200
    second, _ = waiting_chat(app, app.app.state.bot, name="Ben")  # offered to Priya
    app.post(f"/api/conversations/{second}/decline", headers=agent["headers"])  # now to Tom
    app.app.state.services.tickets.file(second, reason="customer_chose_email")

    events = {event for _, event, _, _ in witness.pushes}
    assert {"message", "status", "ticket", "offer", "offer_withdrawn"} <= events
    assert (f"agent:{other['id']}", "offer_withdrawn") in {
        (room, event) for room, event, _, _ in witness.pushes
    }
    unseen = [(event, data) for _, event, data, visible in witness.pushes if not visible]
    assert unseen == []


def test_a_change_that_rolls_back_pushes_nothing_and_writes_no_outbox_row(
    app: TestClient, witness
) -> None:
    services = app.app.state.services
    make_agent(app, ADMIN_HEADERS, "Priya", {"cards": 3})  # so the chat waits, on offer
    conversation_id, _ = waiting_chat(app, app.app.state.bot)
    before = len(witness.pushes)
    outbox_before = services.outbox.pending()

    with pytest.raises(RuntimeError), services.storage.write():
        ticket_id = services.tickets.file(conversation_id, reason="max_wait")
        assert ticket_id  # filed, with its message, events and webhook, inside this transaction
        raise RuntimeError("a later step of the same change failed")

    assert witness.pushes[before:] == []
    assert services.outbox.pending() == outbox_before
    view = app.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()
    assert view["status"] == "queued" and "ticket_id" not in view
    assert not any("ticket" in m["text"].lower() for m in view["messages"])


def test_a_ticket_filed_for_a_chat_that_moved_on_pushes_nothing(app: TestClient, witness) -> None:
    services = app.app.state.services
    agent = make_agent(app, ADMIN_HEADERS, "Priya", {"cards": 3})
    conversation_id, _ = waiting_chat(app, app.app.state.bot)
    app.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    before, outbox_before = len(witness.pushes), services.outbox.pending()

    with pytest.raises(ConversationMoved):  # it was found waiting; an agent has it now
        services.tickets.file(conversation_id, reason="max_wait")

    assert witness.pushes[before:] == []
    assert services.outbox.pending() == outbox_before
    view = app.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()
    assert (view["status"], view["assigned_agent"]["id"]) == ("assigned", agent["id"])


def test_the_hand_over_and_its_webhook_are_one_change(app: TestClient) -> None:
    """If the webhook row cannot be written, the hand-over does not happen either: no agent
    system ever misses a queued chat."""
    services = app.app.state.services
    started = app.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()

    def full_disk(**_: Any) -> list[int]:
        raise sqlite3.OperationalError("database or disk is full")

    services.outbox.enqueue_webhook = full_disk
    request = HandoffRequest(reason="customer_request")
    with pytest.raises(sqlite3.OperationalError):
        services.conversations.hand_over(started["id"], request, route=False)
    view = app.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
    assert view["status"] == "bot"
    assert services.storage.db.execute("select count(*) from outbox").fetchone()[0] == 0

    del services.outbox.enqueue_webhook  # the disk has room again
    services.conversations.hand_over(started["id"], request, route=False)
    [queued] = services.outbox.pending()
    assert queued.topic == "handoff.queued"
    assert (
        app.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()["status"]
        == "queued"
    )


def test_webhooks_leave_only_from_committed_rows(tmp_path: Path, receiver: Receiver) -> None:
    """What the outbox worker sends was committed: a rolled back hand-over is never posted."""
    clock = ManualClock()
    bot = ScriptedBot(list(HANDOFF))
    settings = quiet_settings(tmp_path, webhook_urls=[receiver.url], webhook_secret="s3cret")
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        services = c.app.state.services
        started = c.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
        with pytest.raises(RuntimeError), services.storage.write():
            services.conversations.hand_over(
                started["id"], HandoffRequest(reason="customer_request"), route=False
            )
            raise RuntimeError("the change failed")
        assert services.outbox.deliver_due()["sent"] == 0
        services.conversations.hand_over(
            started["id"], HandoffRequest(reason="customer_request"), route=False
        )
        assert services.outbox.deliver_due()["sent"] == 1
    [(headers, _)] = receiver.requests
    assert headers["X-Cascade-Event"] == "handoff.queued"
