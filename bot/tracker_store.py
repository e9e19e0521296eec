"""Rasa's tracker store, from the app's side: an SQLite file in the data directory (endpoints.yml)
whose `events` table holds every conversation's dialogue events under `sender_id`, the
conversation's id. The customer's words and details (name, email, page in the metadata) are
in those events, so forgetting a conversation forgets its events here too."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

BATCH = 500  # ids per statement, well under SQLite's limit on parameters


def forget_senders(path: Path, sender_ids: Iterable[str]) -> int:
    """Delete the events of these conversations; how many were deleted. The freed space is
    overwritten (secure_delete) and the journal emptied, so no copy stays in the file. A store
    that does not exist yet (no Rasa has run here) holds nothing to delete."""
    ids = sorted(set(sender_ids))
    if not ids or not path.is_file():
        return 0
    deleted = 0
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        db.execute("PRAGMA busy_timeout = 30000")
        if not db.execute(
            "select 1 from sqlite_master where type = 'table' and name = 'events'"
        ).fetchone():
            return 0
        db.execute("PRAGMA secure_delete = ON")
        db.execute("BEGIN IMMEDIATE")
        try:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                marks = ",".join("?" for _ in chunk)
                deleted += db.execute(
                    f"delete from events where sender_id in ({marks})", chunk
                ).rowcount
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return deleted
