"""Data directories made while one migration set ("cascade") created every table keep working:
their database is upgraded with every row kept, to the same tables a new directory gets."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from cascade.legacy_migrations import LEGACY
from cascade.storage import MIGRATIONS, open_storage
from conversations.store import ConversationStore
from core.auth import Role, TokenStore
from core.db import Database, engine_for
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot
from tests.helpers import ADMIN, ADMIN_HEADERS

# Data directories made before the split hold SQLite files: upgrading them is SQLite's alone.
LEGACY_FILES = pytest.mark.sqlite_only("old data directories are SQLite files")
AT = "2026-03-02T09:00:00.000+00:00"
AGENT_TOKEN = "agent-token-from-before"
CUSTOMER_TOKEN = "customer-token-from-before"
QUESTION = "How do I reset my password?"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rows_before_m008() -> dict[str, list[dict[str, Any]]]:
    """A row in every table the retired set had made by m007, as the code of then wrote them."""
    vector = HashingEmbedder().encode([QUESTION])[0].tobytes()
    article = {
        "id": "reset-password",
        "title": "Reset your password",
        "body": "Open Settings, then Security, then Reset password.",
        "questions": json.dumps([QUESTION]),
        "skill": "account",
        "tags": json.dumps(["login"]),
        "status": "published",
        "created_at": AT,
        "updated_at": AT,
        "version": 1,
        "author": "import",
    }
    return {
        "articles": [article],
        "kb_vectors": [
            {
                "vector_id": 1,
                "article_id": "reset-password",
                "kind": "question",
                "text": QUESTION,
                "embedding": vector,
            }
        ],
        "article_versions": [
            {
                "id": 1,
                "article_id": "reset-password",
                "version": 1,
                **{k: article[k] for k in ("title", "body", "questions", "skill", "tags")},
                "status": "published",
                "author": "import",
                "change": "imported",
                "created_at": AT,
            }
        ],
        "kb_gaps": [
            {
                "id": 1,
                "question": "Can I pay with coupons?",
                "conversation_id": "c1",
                "reason": "no_answer",
                "embedding": vector,
                "article_id": None,
                "created_at": AT,
            }
        ],
        "conversations": [
            {
                "id": "c1",
                "status": "assigned",
                "customer_name": "Ada",
                "customer_email": "ada@example.com",
                "page_url": "https://shop.example/help",
                "priority": "normal",
                "skill": "account",
                "handoff": json.dumps({"reason": "requested"}),
                "assigned_agent_id": "a1",
                "ticket_id": None,
                "created_at": AT,
                "updated_at": AT,
                "queued_at": AT,
                "assigned_at": AT,
                "csat_score": None,
                "csat_comment": None,
                "queue_rank": 2,
                "awaiting": None,
            }
        ],
        "messages": [
            {
                "id": 1,
                "conversation_id": "c1",
                "sender": "customer",
                "text": QUESTION,
                "buttons": None,
                "article_id": None,
                "client_id": "m1",
                "reply_to": None,
                "created_at": AT,
            }
        ],
        "events": [
            {
                "id": 1,
                "conversation_id": "c1",
                "name": "conversation.started",
                "data": json.dumps({"page_url": "https://shop.example/help"}),
                "created_at": AT,
            }
        ],
        "tokens": [
            {"token_hash": _hash(AGENT_TOKEN), "role": "agent", "subject": "a1", "created_at": AT},
            {
                "token_hash": _hash(CUSTOMER_TOKEN),
                "role": "customer",
                "subject": "c1",
                "created_at": AT,
            },
        ],
        "agents": [
            {
                "id": "a1",
                "name": "Grace",
                "skills": json.dumps({"account": 3}),
                "max_concurrent": 3,
                "status": "online",
                "created_at": AT,
                "status_changed_at": AT,
                "idle_since": None,
            }
        ],
        "offers": [
            {
                "id": 1,
                "conversation_id": "c1",
                "agent_id": "a1",
                "status": "accepted",
                "created_at": AT,
                "expires_at": AT,
                "decided_at": AT,
            }
        ],
        "notes": [
            {"id": 1, "conversation_id": "c1", "agent_id": "a1", "text": "VIP", "created_at": AT}
        ],
        "canned": [{"shortcut": "hi", "text": "Hello!", "created_at": AT}],
        "tickets": [
            {
                "id": "T-1001",
                "number": 1001,
                "conversation_id": "c0",
                "status": "open",
                "priority": "high",
                "skill": "billing",
                "reason": "no_agent_available",
                "customer_email": "bob@example.com",
                "transcript": "[]",
                "handoff": "{}",
                "notes": "[]",
                "created_at": AT,
                "updated_at": AT,
                "assignee_agent_id": None,
                "first_response_due": AT,
                "resolution_due": AT,
                "first_responded_at": None,
                "solved_at": None,
                "sla_state": "{}",
            }
        ],
        "ticket_events": [
            {
                "id": 1,
                "ticket_id": "T-1001",
                "name": "ticket.created",
                "data": "{}",
                "created_at": AT,
            }
        ],
        "outbox": [
            {
                "id": 1,
                "kind": "email",
                "topic": "ticket.created",
                "recipient": "bob@example.com",
                "subject": "Your ticket T-1001",
                "body": "We got it.",
                "status": "sent",
                "attempts": 1,
                "next_attempt_at": AT,
                "last_error": None,
                "created_at": AT,
                "sent_at": AT,
            }
        ],
    }


def rows_at_m010() -> dict[str, list[dict[str, Any]]]:
    return {
        **rows_before_m008(),
        "channel_sessions": [
            {"session_id": "s1", "channel": "rasa", "conversation_id": "c1", "created_at": AT}
        ],
        "kb_embedder": [{"id": 1, "name": HashingEmbedder.name, "dim": HashingEmbedder.dim}],
    }


RETIRED = [
    "m001_initial",
    "m002_live_agents",
    "m003_queue_indexes",
    "m004_tickets_and_outbox",
    "m005_awaiting",
    "m006_article_versions",
    "m007_content_gaps",
    "m008_client_ids_per_sender",
    "m009_channel_sessions",
    "m010_embedding_model",
]
# The last migration each level applied: (stop before, rows its tables can hold).
LEVELS = {
    "m007": ("m008_client_ids_per_sender", rows_before_m008),
    "m010": (None, rows_at_m010),
}


def make_legacy(path: Path, level: str) -> dict[str, list[dict[str, Any]]]:
    """A database as the retired set left it at `level`, with rows in every table."""
    stop_before, rows = LEVELS[level]
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = engine_for(path, None)
    with engine.connect() as connection:
        db = Database(engine, connection)
        LEGACY.apply(db, lambda db: db.execute("BEGIN IMMEDIATE"), stop_before=stop_before)
        data = rows()
        for table, table_rows in data.items():
            db.table(table).insert_all(table_rows)
    engine.dispose()
    return data


def table_rows(path: Path, tables: list[str]) -> dict[str, list[dict[str, Any]]]:
    engine = engine_for(path, None)
    try:
        return {table: list(Database(engine).query(f"select * from {table}")) for table in tables}
    finally:
        engine.dispose()


def schema(path: Path) -> dict[str, Any]:
    """Every table's columns (name, type, not null, default, primary key) and indexes."""
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute(
                "select name from sqlite_master where type = 'table'"
                " and name not like 'sqlite_%' order by name"
            )
        ]
        found: dict[str, Any] = {}
        for table in tables:
            indexes = {
                name: (unique, [col for _, _, col in db.execute(f"pragma index_info([{name}])")])
                for _, name, unique, *_ in db.execute(f"pragma index_list([{table}])")
            }
            found[table] = {
                "columns": db.execute(f"pragma table_xinfo([{table}])").fetchall(),
                "indexes": indexes,
            }
    return found


def applied(path: Path) -> dict[str, list[str]]:
    """The migrations recorded, by set, in the database `open_storage(path)` opens."""
    engine = engine_for(path, os.environ.get("CASCADE_DATABASE_URL"))
    try:
        recorded = (
            Database(engine)
            .execute("select migration_set, name from _sqlite_migrations order by id")
            .fetchall()
        )
    finally:
        engine.dispose()
    sets: dict[str, list[str]] = {}
    for migration_set, name in recorded:
        sets.setdefault(migration_set, []).append(name)
    return sets


@LEGACY_FILES
@pytest.mark.parametrize("level", list(LEVELS))
def test_an_old_database_is_upgraded_with_every_row_kept(tmp_path: Path, level: str) -> None:
    path = tmp_path / "cascade.db"
    before = make_legacy(path, level)

    storage = open_storage(path)

    # Every row kept with its values; columns added since are empty on the old rows, but for
    # the languages an agent chats in: English, the only one Cascade spoke then.
    after = table_rows(path, list(before))
    assert {
        t: [{k: row[k] for k in old} for row, old in zip(after[t], before[t], strict=True)]
        for t in before
    } == before
    assert all(
        row[k] is None
        for t in before
        for row, old in zip(after[t], before[t], strict=True)
        for k in row
        if k not in old and (t, k) != ("agents", "languages")
    )
    assert [json.loads(row["languages"]) for row in after["agents"]] == [["en"]]
    assert applied(path)["cascade"] == RETIRED
    for package in MIGRATIONS:
        assert package.pending(storage.db) == []
    # What the old rows mean still holds: an agent's token, a conversation's messages.
    tokens = TokenStore(storage, admin_token=None)
    agent = tokens.resolve(AGENT_TOKEN)
    assert agent is not None and agent.has(Role.AGENT) and agent.subject == "a1"
    conversations = ConversationStore(storage)
    assert [m["text"] for m in conversations.messages("c1")] == [QUESTION]
    # And what the rest of the retired set did is done: the agent's "m1" is not the customer's.
    _, new = conversations.add_message("c1", sender="agent", text="On it", at=AT, client_id="m1")
    assert new
    storage.close()


@LEGACY_FILES
@pytest.mark.parametrize("level", list(LEVELS))
def test_an_upgraded_database_has_the_tables_a_new_one_gets(tmp_path: Path, level: str) -> None:
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    make_legacy(old, level)
    open_storage(old).close()
    open_storage(new).close()

    assert schema(old) == schema(new)
    assert {name: names for name, names in applied(old).items() if name != "cascade"} == applied(
        new
    )


def test_a_new_database_never_starts_the_retired_set(tmp_path: Path) -> None:
    path = tmp_path / "cascade.db"
    open_storage(path).close()
    open_storage(path).close()  # opening again changes nothing

    assert "cascade" not in applied(path)
    assert list(applied(path)) == [package.name for package in MIGRATIONS]


@LEGACY_FILES
def test_the_app_serves_an_old_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="")
    # The file name data directories made before the split hold: it must stay the one opened.
    make_legacy(tmp_path / "data" / "cascade.db", "m007")
    app = create_app(settings, embedder=HashingEmbedder(), bot=ScriptedBot())
    with TestClient(app) as client:
        me = client.get("/api/me", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}).json()
        assert me["agent"]["name"] == "Grace"
        article = client.get("/api/kb/articles/reset-password", headers=ADMIN_HEADERS).json()
        assert article["title"] == "Reset your password"
        chat = client.get(
            "/api/conversations/c1", headers={"Authorization": f"Bearer {CUSTOMER_TOKEN}"}
        ).json()
        assert [m["text"] for m in chat["messages"]] == [QUESTION]
