"""Retention: `cascade purge --older-than DAYS` and CASCADE_RETENTION_DAYS reduce old closed
conversations to anonymous records, so the customer's words and details go while the ops
figures of past days stay what they were; open and recent ones, and tickets still open, stay
whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cascade.app import create_app
from cascade.cli import app as cli
from cascade.storage import open_storage
from core.clock import ManualClock
from core.settings import Settings
from tests.factories import HANDOFF, HashingEmbedder, ScriptedBot, make_agent
from tests.helpers import (
    ADMIN,
    ADMIN_HEADERS,
    app_database,
    copies_of,
    tracker_senders,
    wait_until,
    write_tracker_store,
)

EMAIL = "kofi.mensah@example.com"


def settings_for(data_dir: Path, smtp_port: int, **more) -> Settings:
    return Settings(
        data_dir=data_dir,
        admin_token=ADMIN,
        rasa_url="",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        route_interval_s=0,
        outbox_interval_s=0,
        **more,
    )


def accepted_chat(client, bot: ScriptedBot, agent: dict, text: str) -> tuple[str, dict]:
    """A customer who asked for a person and whom `agent` took."""
    bot.replies.append(list(HANDOFF))
    started = client.post(
        "/api/conversations",
        json={
            "customer": {"name": "Kofi Mensah", "email": EMAIL, "visitor_id": "visitor-kofi-01"},
            "page_url": "https://shop.example/orders?customer=kofi",
        },
    ).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    client.post(
        f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
    )
    accepted = client.post(f"/api/conversations/{started['id']}/accept", headers=agent["headers"])
    assert accepted.json()["status"] == "assigned"
    return started["id"], headers


def history(client, bot: ScriptedBot, clock: ManualClock) -> dict[str, tuple[str, dict]]:
    """100 days ago: a resolved and rated chat, one ticketed and closed, one ticketed and still
    open, one still with the bot; yesterday: a resolved one."""
    agent = make_agent(client, ADMIN_HEADERS, skills={"cards": 3})
    chats = {}
    chats["resolved"] = accepted_chat(client, bot, agent, "my card was eaten by the ATM on Elm St")
    client.post(f"/api/conversations/{chats['resolved'][0]}/resolve", headers=agent["headers"])
    rated = client.post(
        f"/api/conversations/{chats['resolved'][0]}/csat",
        json={"score": 4, "comment": "Lovely help, ring me on 0161 496 0000"},
        headers=chats["resolved"][1],
    )
    assert rated.status_code == 200
    for name in ("closed ticket", "open ticket"):
        chats[name] = accepted_chat(client, bot, agent, f"refund for order 4471 ({name})")
        escalated = client.post(
            f"/api/conversations/{chats[name][0]}/escalate",
            json={"note": "Kofi wants a refund"},
            headers=agent["headers"],
        ).json()
        if name == "closed ticket":
            client.patch(
                f"/api/tickets/{escalated['ticket_id']}",
                json={"status": "closed"},
                headers=agent["headers"],
            )
    started = client.post("/api/conversations", json={"customer": {"email": EMAIL}}).json()
    bot.replies.append([{"text": "Could you say more?"}])
    headers = {"Authorization": f"Bearer {started['token']}"}
    client.post(
        f"/api/conversations/{started['id']}/messages", json={"text": "hello?"}, headers=headers
    )
    chats["with the bot"] = (started["id"], headers)
    client.app.state.services.outbox.deliver_due()  # the ticket emails go out, 100 days ago
    clock.advance(days=99)
    chats["yesterday"] = accepted_chat(client, bot, agent, "is my new card on its way")
    client.post(f"/api/conversations/{chats['yesterday'][0]}/resolve", headers=agent["headers"])
    clock.advance(days=1)
    return chats


def figures(client) -> dict:
    since = (datetime.now(UTC) - timedelta(days=120)).date().isoformat()
    return client.get(f"/api/metrics?since={since}", headers=ADMIN_HEADERS).json()


def test_purge_keeps_the_figures_and_forgets_the_customers(tmp_path: Path, mailbox) -> None:
    clock = ManualClock(datetime.now(UTC) - timedelta(days=100))
    bot = ScriptedBot()
    settings = settings_for(tmp_path / "data", mailbox[1])
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        chats = history(c, bot, clock)
        before = figures(c)
        assert before["contacts"] == 5 and before["csat_avg"] == 4.0
    tracker = settings.database_url or settings.tracker_store_path  # Rasa's, beside the app's
    write_tracker_store(tracker, {cid: ("a message", {}) for cid, _ in chats.values()})
    storage = open_storage(settings.database_path)
    assert (
        storage.db.execute("select count(*) from outbox where status = 'sent'").fetchone()[0] == 2
    )
    storage.close()

    purged = CliRunner().invoke(
        cli, ["purge", "--older-than", "30", "--data-dir", str(settings.data_dir)]
    )
    assert purged.exit_code == 0, purged.output
    assert "purged 2 conversations (4 Rasa events, 0 content gaps) and 2 outbox" in purged.output

    gone = [chats["resolved"][0], chats["closed ticket"][0]]
    kept = [cid for name, (cid, _) in chats.items() if cid not in gone]
    assert tracker_senders(tracker) == set(kept)
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        assert figures(c) == before  # past dashboards do not change
        for cid in gone:
            view = c.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
            assert [(m["sender"], m["text"]) for m in view["messages"]] == [("customer", "")]
            assert view["status"] in ("resolved", "ticketed")
            assert (view["handoff"]["reason"], view["handoff"]["transcript"]) == (
                "customer_request",
                [],
            )
            assert view["handoff"]["customer"] == {"name": None, "email": None}
        rated = c.get(f"/api/conversations/{gone[0]}", headers=ADMIN_HEADERS).json()
        assert rated["csat"] == {"score": 4, "comment": None}
        ticket = c.get(f"/api/conversations/{gone[1]}", headers=ADMIN_HEADERS).json()["ticket_id"]
        closed = c.get(f"/api/tickets/{ticket}", headers=ADMIN_HEADERS).json()
        assert (closed["status"], closed["customer_email"], closed["notes"]) == ("closed", None, [])
        assert (
            c.get(f"/api/conversations/{gone[0]}", headers=chats["resolved"][1]).status_code == 401
        )
        for cid in kept:
            view = c.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
            assert any(m["text"] for m in view["messages"] if m["sender"] == "customer")
    # Only the chats still kept hold the customer's words and address.
    database = app_database(settings)
    assert copies_of(database, ["Elm St", "0161 496 0000", "order 4471 (closed"]) == []
    assert "conversations.customer_email" in copies_of(database, [EMAIL])


def test_retention_days_purges_at_start_and_daily(tmp_path: Path, mailbox) -> None:
    clock = ManualClock(datetime.now(UTC) - timedelta(days=100))
    bot = ScriptedBot()
    settings = settings_for(tmp_path / "data", mailbox[1])
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        chats = history(c, bot, clock)
    retained = settings_for(tmp_path / "data", mailbox[1], retention_days=30)
    with TestClient(create_app(retained, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        resolved = chats["resolved"][0]
        wait_until(lambda: _texts(c, resolved) == [""], what="the old resolved chat purged")
        assert "" not in _texts(c, chats["yesterday"][0])


def _texts(client, conversation_id: str) -> list[str]:
    view = client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()
    return [m["text"] for m in view["messages"]]
