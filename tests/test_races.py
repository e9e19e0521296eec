"""Changes racing on one conversation: each compares the status and owner it found inside its
own transaction, so exactly one wins and the loser changes nothing (an HTTP caller gets a 409
saying what the chat is now; a timer does nothing)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from conversations.events import StatusChanged
from core.clock import ManualClock
from core.settings import Settings
from handoff.errors import OfferGone
from tests.factories import HashingEmbedder, ScriptedBot, make_agent, waiting_chat
from tests.helpers import ADMIN, ADMIN_HEADERS

IDLE_LIMIT_S = 600.0
ROUNDS = 40


@pytest.fixture
def app(tmp_path: Path, bot: ScriptedBot, clock: ManualClock) -> Iterator[TestClient]:
    """The app with no timers: the test runs the idle limit itself, on its own thread."""
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        route_interval_s=0,
        outbox_interval_s=0,
        idle_limit_s=IDLE_LIMIT_S,
        rate_limits=False,  # forty chats opened in a few seconds from one address
    )
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        yield c


def view(app: TestClient, conversation_id: str) -> dict[str, Any]:
    return app.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()


def status_moves(app: TestClient, conversation_id: str) -> list[str]:
    """The statuses the conversation moved to, in order, from its event log."""
    db = app.app.state.services.storage.db
    rows = db.execute(
        f"select {db.json_field('data', 'status')} from events"
        " where conversation_id = ? and name = ? order by id",
        [conversation_id, StatusChanged.name],
    ).fetchall()
    return [status for (status,) in rows]


def test_accept_versus_abandon_one_wins_never_both(
    app: TestClient, bot: ScriptedBot, clock: ManualClock
) -> None:
    """An agent accepts a waiting chat at the moment the idle limit abandons it, with real
    threads, round after round: either the agent has the chat and it is not abandoned, or it
    is abandoned with no agent and the agent heard 409."""
    queue = app.app.state.services.queue
    agent = make_agent(app, ADMIN_HEADERS, "Priya", {"cards": 3})
    for _ in range(ROUNDS):
        conversation_id, _ = waiting_chat(app, bot)
        clock.advance(seconds=IDLE_LIMIT_S + 1)  # the customer has been quiet past the limit
        barrier = threading.Barrier(2)
        outcome: dict[str, Any] = {}

        def accept(barrier=barrier, outcome=outcome, conversation_id=conversation_id) -> None:
            barrier.wait()
            try:
                queue.accept(conversation_id, agent["id"])
            except OfferGone as lost:
                outcome["accept"] = lost
            else:
                outcome["accept"] = None

        def abandon(barrier=barrier, outcome=outcome) -> None:
            barrier.wait()
            outcome["abandon"] = queue.abandon_idle()

        threads = [threading.Thread(target=accept), threading.Thread(target=abandon)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        accepted = outcome["accept"] is None
        abandoned = conversation_id in outcome["abandon"]
        assert accepted != abandoned, (outcome["accept"], outcome["abandon"])
        final = view(app, conversation_id)
        moves = status_moves(app, conversation_id)
        if accepted:
            assert final["status"] == "assigned"
            assert final["assigned_agent"]["id"] == agent["id"]
            assert moves[-2:] == ["queued", "assigned"] and "abandoned" not in moves
            assert final["messages"][-1]["text"] == "Priya has joined the chat."
            resolved = app.post(
                f"/api/conversations/{conversation_id}/resolve", headers=agent["headers"]
            )
            assert resolved.status_code == 200  # her slot free for the next round
        else:
            assert "abandoned" in str(outcome["accept"])  # what the agent is told (a 409)
            assert final["status"] == "abandoned"
            assert "assigned_agent" not in final
            assert moves[-2:] == ["queued", "abandoned"] and "assigned" not in moves
            assert not any(m["text"].endswith("has joined the chat.") for m in final["messages"])


def test_resolving_a_chat_that_is_no_longer_assigned_is_a_409_saying_what_it_is(
    app: TestClient, bot: ScriptedBot
) -> None:
    agent = make_agent(app, ADMIN_HEADERS, "Priya", {"cards": 3})
    conversation_id, _ = waiting_chat(app, bot)
    app.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    first = app.post(f"/api/conversations/{conversation_id}/resolve", headers=agent["headers"])
    assert first.status_code == 200
    again = app.post(f"/api/conversations/{conversation_id}/resolve", headers=agent["headers"])
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"conversation {conversation_id} is 'resolved' now, not 'assigned', so nothing was changed"
    )
    for action in ("handback", "escalate", "transfer"):
        late = app.post(
            f"/api/conversations/{conversation_id}/{action}",
            json={"skill": "cards"},
            headers=agent["headers"],
        )
        assert late.status_code == 409, action
    assert view(app, conversation_id)["status"] == "resolved"
    asked = [m for m in view(app, conversation_id)["messages"] if "rate" in m["text"]]
    assert len(asked) == 1  # the customer was asked to rate once, not once per click


def test_accepting_a_chat_the_idle_limit_abandoned_is_a_409(
    app: TestClient, bot: ScriptedBot, clock: ManualClock
) -> None:
    agent = make_agent(app, ADMIN_HEADERS, "Priya", {"cards": 3})
    conversation_id, _ = waiting_chat(app, bot)
    clock.advance(seconds=IDLE_LIMIT_S + 1)
    assert app.app.state.services.queue.abandon_idle() == [conversation_id]
    late = app.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    assert late.status_code == 409
    assert "abandoned" in late.json()["detail"]
    assert view(app, conversation_id)["status"] == "abandoned"


def test_the_idle_limit_leaves_a_chat_whose_customer_wrote_meanwhile(
    app: TestClient, bot: ScriptedBot, clock: ManualClock
) -> None:
    """The list of quiet chats is read first; a customer writing before the chat's turn comes
    keeps it open."""
    started = app.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    customer = {"Authorization": f"Bearer {started['token']}"}
    bot.replies.append([{"text": "Hello!"}])
    app.post(f"/api/conversations/{started['id']}/messages", json={"text": "hi"}, headers=customer)
    clock.advance(seconds=IDLE_LIMIT_S + 1)
    dispatcher = app.app.state.services.queue.dispatcher
    listed = dispatcher.conversations.quiet_since

    def list_then_customer_writes(cutoff: str, **only: Any) -> list[str]:
        found = listed(cutoff, **only)
        if not only:  # the timer's first read: the customer writes right after it
            bot.replies.append([{"text": "Still here."}])
            app.post(
                f"/api/conversations/{started['id']}/messages",
                json={"text": "still there?"},
                headers=customer,
            )
        return found

    dispatcher.conversations.quiet_since = list_then_customer_writes
    assert app.app.state.services.queue.abandon_idle() == []
    assert view(app, started["id"])["status"] == "bot"


def test_one_client_id_sent_at_once_with_other_words_is_taken_once(app: TestClient) -> None:
    """Several sends with one `client_id` and different words at the same moment: one is
    stored; only the send whose words those are hears 200, the others 409 (none is told its
    words were taken when they were not)."""
    senders = 6
    for _ in range(ROUNDS // 4):
        started = app.post("/api/conversations", json={}).json()
        headers = {"Authorization": f"Bearer {started['token']}"}
        barrier = threading.Barrier(senders)
        answers: dict[int, int] = {}

        def send(i: int, barrier=barrier, answers=answers, started=started, headers=headers):
            barrier.wait()
            answers[i] = app.post(
                f"/api/conversations/{started['id']}/messages",
                json={"text": f"variant {i}", "client_id": "one-id"},
                headers=headers,
            ).status_code

        threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = [
            m["text"] for m in view(app, started["id"])["messages"] if m["sender"] == "customer"
        ]
        assert len(stored) == 1, stored
        taken = [i for i, status in answers.items() if status == 200]
        assert [f"variant {i}" for i in taken] == stored, answers  # 200 only for the stored words
        assert sorted(answers.values()) == [200] + [409] * (senders - 1), answers
