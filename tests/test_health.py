"""`GET /health`: the database, free disk, the outbox's backlog and Rasa, with "ok" or
"degraded", and 503 when the database does not answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from cascade.app import create_app
from cascade.cli import app as cli
from core.db import Storage
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot
from tests.helpers import ADMIN, ADMIN_HEADERS, free_port


def test_a_healthy_app(client) -> None:
    found = client.get("/health")
    assert found.status_code == 200
    health = found.json()
    assert (health["status"], health["database"], health["problems"]) == ("ok", "ok", [])
    assert health["rasa"] == "up"  # the scripted bot answers
    assert health["disk"]["free_bytes"] > 0 and health["disk"]["low"] is False
    assert health["outbox"] == {"pending": 0, "due": 0, "dead": 0}


def test_little_free_disk_degrades(tmp_path: Path, clock) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", rasa_url="", free_disk_warning_mb=1024 * 1024 * 1024
    )
    with TestClient(create_app(settings, embedder=HashingEmbedder(), clock=clock)) as client:
        found = client.get("/health")
    assert found.status_code == 200
    health = found.json()
    assert (health["status"], health["rasa"], health["disk"]["low"]) == ("degraded", "down", True)
    assert health["problems"] == [
        f"{health['disk']['free_bytes'] // (1024 * 1024)} MB free in {settings.data_dir}"
    ]


def test_dead_letters_degrade_until_retried(tmp_path: Path, clock) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        webhook_urls=[f"http://127.0.0.1:{free_port()}/hooks"],  # nobody listens
        webhook_secret="s3cret",
        outbox_max_attempts=1,
        outbox_interval_s=0,
        route_interval_s=0,
    )
    bot = ScriptedBot([{"custom": {"handoff": {"reason": "customer_request"}}}])
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        started = c.post("/api/conversations", json={}).json()
        c.post(
            f"/api/conversations/{started['id']}/messages",
            json={"text": "a person please"},
            headers={"Authorization": f"Bearer {started['token']}"},
        )  # handed over, then a ticket: two webhooks
        assert c.get("/health").json()["outbox"] == {"pending": 2, "due": 2, "dead": 0}
        c.app.state.services.outbox.deliver_due()
        health = c.get("/health").json()
        assert (health["status"], health["outbox"]["dead"]) == ("degraded", 2)
        assert health["problems"] == ["2 outbox messages are dead (`cascade outbox list --dead`)"]
        dead = c.get("/api/outbox?dead=true", headers=ADMIN_HEADERS).json()
        assert [(d["kind"], d["topic"], d["status"]) for d in dead] == [
            ("webhook", "handoff.queued", "dead"),
            ("webhook", "ticket.created", "dead"),
        ]
        assert "ConnectError" in dead[0]["last_error"]
        customer = {"Authorization": f"Bearer {started['token']}"}
        assert c.get("/api/outbox", headers=customer).status_code == 403

        retried = CliRunner().invoke(
            cli, ["outbox", "retry", "--all-dead", "--data-dir", str(settings.data_dir)]
        )
        assert retried.exit_code == 0, retried.output
        assert "2 dead letters will be sent again" in retried.output
        health = c.get("/health").json()
        assert (health["status"], health["outbox"]["pending"], health["outbox"]["dead"]) == (
            "ok",
            2,
            0,
        )


def test_a_database_that_does_not_answer_is_503(client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Storage) -> None:
        # What either engine's driver raises, as SQLAlchemy hands it on.
        raise OperationalError("select 1", None, Exception("disk I/O error"))

    monkeypatch.setattr(Storage, "db", property(broken))
    found = client.get("/health")
    monkeypatch.undo()
    assert found.status_code == 503
    health = found.json()
    assert (health["status"], health["database"], health["outbox"]) == ("degraded", "error", None)
    assert health["problems"] == ["the database does not answer: disk I/O error"]
    assert client.get("/health").status_code == 200
