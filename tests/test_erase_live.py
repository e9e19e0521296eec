"""`cascade erase` beside the running app and the real Rasa server: the customer's events go
from Rasa's own tracker store too."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from tests.helpers import ADMIN, ROOT, app_env, copies_of, tracker_copies, tracker_senders

pytestmark = pytest.mark.rasa


def database_env(env: dict[str, str], url: str | None) -> dict[str, str]:
    """`env` naming the live app's database (the test's own may be another)."""
    if url is None:
        return {k: v for k, v in env.items() if k != "CASCADE_DATABASE_URL"}
    return {**env, "CASCADE_DATABASE_URL": url}


def test_erase_clears_rasas_tracker_store(live) -> None:
    http = live.client()
    email = f"ines.{uuid.uuid4().hex[:8]}@example.com"
    started = http.post(
        "/api/conversations", json={"customer": {"name": "Ines Quarry", "email": email}}
    ).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    turn = http.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "hello there"},
        headers=headers,
    )
    assert turn.status_code == 200 and turn.json()["messages"][-1]["sender"] == "bot"
    tracker = live.tracker_store
    assert started["id"] in tracker_senders(tracker)
    assert tracker_copies(tracker, [email])  # Rasa keeps the customer's details in its events

    erased = subprocess.run(
        [sys.executable, "-m", "cascade.cli", "erase", "--email", email, "--yes"]
        + ["--data-dir", str(live.data_dir)],
        cwd=ROOT,
        env=database_env(app_env(ADMIN), live.database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert erased.returncode == 0, erased.stderr
    assert started["id"] not in tracker_senders(tracker)
    assert tracker_copies(tracker, [email, "Ines Quarry"]) == []
    database = live.database_url or live.data_dir / "cascade.db"
    assert copies_of(database, [email, "Ines Quarry"]) == []
    assert http.get(f"/api/conversations/{started['id']}", headers=live.admin).status_code == 404
