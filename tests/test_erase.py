"""`cascade erase --email`: one customer's every copy goes (conversations found by address and
by the visitor id they share, messages, tickets and replies, notes, transcripts and the other
outbox messages pending, sent or dead, content gaps and the drafts and example questions made
of them, Rasa's tracker events), searched for in every table and column of both databases and
in the bytes of every file; other customers keep theirs."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cascade.app import create_app
from cascade.cli import app as cli
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot, article, jsonl, make_agent
from tests.helpers import (
    ADMIN,
    ADMIN_HEADERS,
    app_database,
    copies_of,
    free_port,
    tracker_copies,
    tracker_senders,
    write_tracker_store,
)

ZOE = "zoe.erasmus@example.com"
ZOE_NAME = "Zoë Erasmus"
FLAMINGO = "My flamingo swallowed the loyalty card near Quayside"
HERON = "does the heron discount apply to pelican vouchers"
OLAF = "where can I buy a gift voucher for my otter"
NO_ANSWER = [{"custom": {"handoff": {"reason": "no_answer"}}}]


def stored_bytes_holding(data_dir: Path, needles: list[str]) -> list[str]:
    """The files of the data directory whose bytes hold any of `needles` (any ASCII case)."""
    return [
        file.name
        for file in sorted(data_dir.iterdir())
        if any(n.encode().lower() in file.read_bytes().lower() for n in needles)
    ]


@pytest.fixture
def notifying(tmp_path: Path, mailbox) -> Settings:
    """Email to a real SMTP server on loopback; webhooks to a port nobody listens on, tried
    once, so they end as dead letters."""
    return Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
        webhook_urls=[f"http://127.0.0.1:{free_port()}/hooks"],
        webhook_secret="s3cret",
        outbox_max_attempts=1,
        route_interval_s=0,
        outbox_interval_s=0,
    )


def chat(client, bot: ScriptedBot, customer: dict, text: str, **start) -> tuple[str, dict]:
    """A conversation whose first question the bot cannot answer: a content gap, and a ticket
    (nobody is online)."""
    bot.replies.append(list(NO_ANSWER))
    started = client.post("/api/conversations", json={"customer": customer, **start}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    turn = client.post(
        f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
    )
    assert turn.json()["status"] == "ticketed"
    return started["id"], headers


def gap_id(client, question: str) -> int:
    storage = client.app.state.services.storage
    return storage.db.execute("select id from kb_gaps where question = ?", [question]).fetchone()[0]


def test_erase_leaves_no_copy_of_the_customer(notifying: Settings, mailbox, clock) -> None:
    data_dir = notifying.data_dir
    bot = ScriptedBot()
    with TestClient(create_app(notifying, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        c.post("/api/kb/import", content=jsonl(article()), headers=ADMIN_HEADERS)
        agent = make_agent(c, ADMIN_HEADERS, online=False)
        zoe = {"name": ZOE_NAME, "email": ZOE, "visitor_id": "visitor-zoe-0001"}
        first, zoe_headers = chat(c, bot, zoe, FLAMINGO, page_url=f"https://shop.example/?u={ZOE}")
        # The same browser, later, without giving the address: hers too.
        second, _ = chat(c, bot, {"visitor_id": "visitor-zoe-0001"}, HERON)
        olaf, _ = chat(c, bot, {"name": "Olaf", "email": "olaf@example.com"}, OLAF)

        ticket = c.get(f"/api/conversations/{first}", headers=zoe_headers).json()["ticket_id"]
        c.post(
            f"/api/tickets/{ticket}/notes",
            json={"text": f"She wrote from {ZOE} about: {FLAMINGO}"},
            headers=agent["headers"],
        )
        sent = c.post(f"/api/conversations/{first}/transcript", headers=zoe_headers)
        assert sent.status_code == 202
        assert c.app.state.services.outbox.deliver_due()["sent"] >= 2  # emails; webhooks die
        assert any(ZOE in e.rcpt_tos for e in mailbox[0].envelopes)
        c.post(  # emailed to her: pending until the worker runs
            f"/api/tickets/{ticket}/replies",
            json={"text": "We are on it."},
            headers=agent["headers"],
        )
        # An editor drafts an article from her question and another customer's, and teaches
        # a published article her second question.
        draft = c.post(
            "/api/kb/gaps/draft",
            json={"gap_ids": [gap_id(c, FLAMINGO), gap_id(c, OLAF)]},
            headers=ADMIN_HEADERS,
        ).json()
        assert draft["title"] == FLAMINGO and draft["status"] == "draft"
        taught = c.post(
            "/api/kb/gaps/attach",
            json={"gap_ids": [gap_id(c, HERON)], "article_id": "freeze-card"},
            headers=ADMIN_HEADERS,
        )
        assert HERON in taught.json()["questions"]
        statuses = {
            r[0]
            for r in c.app.state.services.storage.db.execute(
                "select status from outbox where lower(recipient) = ? or body like ?",
                [ZOE, f"%{first}%"],
            )
        }
        assert statuses == {"pending", "sent", "dead"}

    tracker = notifying.database_url or notifying.tracker_store_path  # Rasa's, beside the app's
    metadata = {"customer_name": ZOE_NAME, "customer_email": ZOE}
    write_tracker_store(
        tracker,
        {
            first: (FLAMINGO, metadata),
            second: (HERON, {}),
            olaf: (OLAF, {"customer_email": "olaf@example.com"}),
        },
    )
    database = app_database(notifying)
    hers = [ZOE, ZOE_NAME, FLAMINGO, HERON]
    assert copies_of(database, hers) and tracker_copies(tracker, hers)  # the search finds them
    assert stored_bytes_holding(data_dir, hers) or notifying.database_url

    dry = CliRunner().invoke(
        cli,
        ["erase", "--email", "Zoe.Erasmus@Example.COM", "--data-dir", str(data_dir), "--dry-run"],
    )
    assert dry.exit_code == 0, dry.output
    assert first in dry.output and second in dry.output and olaf not in dry.output
    assert copies_of(database, hers)  # a dry run changes nothing

    erased = CliRunner().invoke(
        cli, ["erase", "--email", "Zoe.Erasmus@Example.COM", "--data-dir", str(data_dir), "--yes"]
    )
    assert erased.exit_code == 0, erased.output
    assert "erased 2 conversations, 2 tickets, 4 Rasa events, 2 content gaps" in erased.output
    assert f"deleted draft {draft['id']}" in erased.output

    assert copies_of(database, hers) == []
    assert tracker_copies(tracker, hers) == []
    # Nor in freed pages or the log: on SQLite they are in the data directory, overwritten by
    # secure_delete (PostgreSQL's VACUUM makes them unreachable without zeroing them).
    assert stored_bytes_holding(data_dir, hers) == []
    if not notifying.database_url:  # the words index forgot her words too
        with closing(sqlite3.connect(database)) as db:
            vocabulary = "select count(*) from kb_lexical_terms where term = 'pelican'"
            assert db.execute(vocabulary).fetchone()[0] == 0
    # Olaf's chat, gap and Rasa events stay; his gap is open again for editors.
    assert copies_of(database, [OLAF]) != []
    assert tracker_senders(tracker) == {olaf}

    with TestClient(create_app(notifying, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        assert c.get(f"/api/conversations/{first}", headers=ADMIN_HEADERS).status_code == 404
        assert c.get(f"/api/conversations/{first}", headers=zoe_headers).status_code == 401
        assert c.get(f"/api/kb/articles/{draft['id']}", headers=ADMIN_HEADERS).status_code == 404
        gaps = c.get("/api/kb/gaps", headers=ADMIN_HEADERS).json()
        assert [g["examples"] for g in gaps] == [[OLAF]]
        card = c.get("/api/kb/articles/freeze-card", headers=ADMIN_HEADERS).json()
        assert card["questions"] == article()["questions"]
        found = c.post("/api/kb/search", json={"query": "lock my card", "limit": 3}).json()
        assert found["results"][0]["article_id"] == "freeze-card"
        olaf_view = c.get(f"/api/conversations/{olaf}", headers=ADMIN_HEADERS).json()
        assert OLAF in [m["text"] for m in olaf_view["messages"]]
