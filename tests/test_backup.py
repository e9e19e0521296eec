"""`cascade backup` while `cascade serve` writes, and `cascade restore` into a new data directory
that then serves the same conversations; and what restore refuses."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cascade.cli import app as cli
from cascade.storage import open_storage
from conversations.store import ConversationStore
from tests.factories import article, jsonl
from tests.helpers import (
    ADMIN,
    ADMIN_HEADERS,
    ROOT,
    app_env,
    app_process,
    tracker_senders,
    wait_until,
    write_tracker_store,
)

# `cascade backup` copies the SQLite databases of a data directory; on PostgreSQL it refuses
# (the last test).
DATA_DIRECTORY_FILES = pytest.mark.sqlite_only("copies the SQLite files of a data directory")


def cascade(*args: str) -> subprocess.CompletedProcess:
    """The `cascade` command as a process, as an operator runs it beside the serving app."""
    return subprocess.run(
        [sys.executable, "-m", "cascade.cli", *args],
        cwd=ROOT,
        env=app_env(ADMIN),
        capture_output=True,
        text=True,
        timeout=300,
    )


class Customers(threading.Thread):
    """Customers starting chats and writing, one after another, until told to stop; each
    finished chat is kept with the time it finished."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=url, timeout=60)
        self.stopping = threading.Event()
        self.done: list[tuple[float, float, str, dict[str, str]]] = []  # started, finished
        self.failures: list[str] = []

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            began = time.monotonic()
            started = self.http.post(
                "/api/conversations",
                json={"customer": {"name": f"Customer {n}", "email": f"c{n}@example.com"}},
            )
            if started.status_code != 201:
                self.failures.append(started.text)
                continue
            body = started.json()
            headers = {"Authorization": f"Bearer {body['token']}"}
            turn = self.http.post(
                f"/api/conversations/{body['id']}/messages",
                json={"text": f"Where is parcel {n}?", "client_id": "m1"},
                headers=headers,
            )
            if turn.status_code != 200:
                self.failures.append(turn.text)
            self.done.append((began, time.monotonic(), body["id"], headers))

    def finished_before(self, moment: float) -> list[tuple[str, dict[str, str]]]:
        return [(cid, headers) for _, end, cid, headers in list(self.done) if end < moment]

    def started_after(self, moment: float) -> list[str]:
        return [cid for began, _, cid, _ in list(self.done) if began > moment]


@DATA_DIRECTORY_FILES
def test_a_backup_taken_while_serving_restores_the_same_conversations(tmp_path: Path) -> None:
    serving, restored, backup = tmp_path / "serving", tmp_path / "restored", tmp_path / "b.tar.gz"
    serving.mkdir()
    write_tracker_store(serving / "rasa_tracker.db", {"rasa-sender": ("hello", {})})
    with app_process(serving) as url:
        http = httpx.Client(base_url=url, timeout=600)
        imported = http.post("/api/kb/import", content=jsonl(article()), headers=ADMIN_HEADERS)
        assert imported.status_code == 200, imported.text
        customers = Customers(url)
        customers.start()
        try:
            ready = len(customers.done)
            wait_until(
                lambda: len(customers.done) >= ready + 5, timeout_s=120, what="chats being written"
            )
            started = time.monotonic()
            taken = cascade("backup", "--data-dir", str(serving), "--to", str(backup))
            ended = time.monotonic()
            assert taken.returncode == 0, taken.stderr
            wait_until(  # and go on being written after it
                lambda: len(customers.started_after(ended)) >= 2,
                timeout_s=120,
                what="chats after the backup",
            )
        finally:
            customers.stopping.set()
            customers.join(timeout=120)
        assert customers.failures == []
        before = customers.finished_before(started)
        after = customers.started_after(ended)
        assert len(before) >= 5 and after
        originals = {
            cid: http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
            for cid, _ in before
        }

    restoring = cascade("restore", "--from", str(backup), "--data-dir", str(restored))
    assert restoring.returncode == 0, restoring.stderr
    assert sorted(p.name for p in restored.iterdir()) == ["cascade.db", "rasa_tracker.db"]
    assert tracker_senders(restored / "rasa_tracker.db") == {"rasa-sender"}

    with app_process(restored) as url:
        http = httpx.Client(base_url=url, timeout=60)
        for cid, customer in before:
            view = http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS)
            assert view.status_code == 200
            assert view.json()["messages"] == originals[cid]["messages"]
            assert view.json()["status"] == originals[cid]["status"] == "ticketed"
            assert http.get(f"/api/conversations/{cid}", headers=customer).status_code == 200
        for cid in after:
            assert http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).status_code == 404
        # The search index was left out of the backup: the app made it again at start.
        found = http.post("/api/kb/search", json={"query": "how do i freeze my card"}).json()
        assert [r["article_id"] for r in found["results"]][:1] == ["freeze-card"]
    assert (restored / "kb.faiss").exists()


def made_backup(tmp_path: Path) -> tuple[Path, str]:
    """A data directory with one conversation, backed up; the file and the conversation."""
    source = tmp_path / "source"
    storage = open_storage(source / "cascade.db")
    cid = ConversationStore(storage).create(
        customer={"name": "Ana"}, page_url=None, at="2026-01-05T09:00:00.000+00:00"
    )
    storage.close()
    file = tmp_path / "backup.tar.gz"
    taken = CliRunner().invoke(cli, ["backup", "--data-dir", str(source), "--to", str(file)])
    assert taken.exit_code == 0, taken.output
    return file, cid


def restore(file: Path, data_dir: Path, *more: str):
    return CliRunner().invoke(
        cli, ["restore", "--from", str(file), "--data-dir", str(data_dir), *more]
    )


def conversations_in(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as db:
        return [row[0] for row in db.execute("select id from conversations")]


@DATA_DIRECTORY_FILES
def test_restore_refuses_a_directory_in_use_unless_forced(tmp_path: Path) -> None:
    file, cid = made_backup(tmp_path)
    target = tmp_path / "target"
    storage = open_storage(target / "cascade.db")  # a directory with its own data
    other = ConversationStore(storage).create(customer={}, page_url=None, at="2026-02-01")
    storage.close()
    (target / "kb.faiss").write_bytes(b"an index of other articles")
    (target / "kb.faiss.json").write_text("{}")

    refused = restore(file, target)
    assert refused.exit_code == 1 and "is not empty" in refused.output
    assert conversations_in(target / "cascade.db") == [other]

    forced = restore(file, target, "--force")
    assert forced.exit_code == 0, forced.output
    assert conversations_in(target / "cascade.db") == [cid]
    assert not (target / "kb.faiss").exists() and not (target / "kb.faiss.json").exists()


def repacked(file: Path, to: Path, change) -> Path:
    """`file` with `change(name, bytes) -> bytes` applied to each member."""
    with tarfile.open(file, "r:gz") as source, tarfile.open(to, "w:gz") as target:
        for member in source.getmembers():
            stream = source.extractfile(member)
            assert stream is not None
            data = change(member.name, stream.read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return to


@DATA_DIRECTORY_FILES
def test_restore_checks_the_backup_first(tmp_path: Path) -> None:
    file, _ = made_backup(tmp_path)

    def damage(name: str, data: bytes) -> bytes:
        if name != "cascade.db":
            return data
        middle = len(data) // 2
        return (
            data[:middle]
            + bytes(b ^ 0xFF for b in data[middle : middle + 64])
            + data[middle + 64 :]
        )

    damaged = restore(repacked(file, tmp_path / "damaged.tar.gz", damage), tmp_path / "a")
    assert damaged.exit_code == 1 and "does not match its checksum" in damaged.output
    assert not (tmp_path / "a" / "cascade.db").exists()

    def newer(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["databases"]["app"]["migrations"]["handoff"].append("m099_from_the_future")
        return json.dumps(manifest).encode()

    future = restore(repacked(file, tmp_path / "newer.tar.gz", newer), tmp_path / "b")
    assert future.exit_code == 1 and "taken by a newer Cascade" in future.output
    assert "handoff.m099_from_the_future" in future.output

    not_one = tmp_path / "notes.txt"
    not_one.write_text("not a backup")
    assert "is not a Cascade backup" in restore(not_one, tmp_path / "c").output

    nothing = CliRunner().invoke(
        cli, ["backup", "--data-dir", str(tmp_path / "empty"), "--to", str(tmp_path / "x.tgz")]
    )
    assert nothing.exit_code == 1 and "no database at" in nothing.output
    assert not (tmp_path / "x.tgz").exists()


def test_on_postgresql_backup_and_restore_name_its_own_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database on a PostgreSQL server is not in the data directory, and every replica shares
    it: both commands refuse, saying what backs it up, and write nothing."""
    server = os.environ.get("CASCADE_DATABASE_URL") or "postgresql+psycopg://c@127.0.0.1:1/c"
    monkeypatch.setenv("CASCADE_DATABASE_URL", server)
    data_dir, file = tmp_path / "data", tmp_path / "backup.tar.gz"

    taken = CliRunner().invoke(cli, ["backup", "--data-dir", str(data_dir), "--to", str(file)])
    assert taken.exit_code == 1
    assert "the app's database is on PostgreSQL" in taken.output
    assert "pg_dump --format=custom" in taken.output and "pg_restore" in taken.output
    assert not file.exists()

    file.write_bytes(b"a backup from elsewhere")
    restoring = restore(file, data_dir)
    assert restoring.exit_code == 1 and "pg_dump" in restoring.output
    assert not data_dir.exists()
