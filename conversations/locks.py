"""Row locks for the reads a write transaction decides on.

On SQLite a write transaction is the only writer, so what it read stays so until it commits.
On PostgreSQL every write transaction queues behind one advisory lock too (`core.db`), which
gives the same; the rows a decision is read from are locked as well (`for update`), so the
decision stays right if that lock is ever narrowed. Where several workers (one per replica)
claim rows from the same pile, each takes the rows nobody else holds (`skip locked`) instead of
waiting for them. Behind the advisory lock no other writer holds a row, so neither clause ever
waits or skips today.
"""

from __future__ import annotations

from core.db import Database


def for_update(db: Database, *, skip_locked: bool = False) -> str:
    """The clause to end a `select` with (nothing on SQLite): its rows stay this transaction's
    until it ends; `skip_locked` leaves out the rows another transaction holds."""
    if db.dialect == "sqlite":
        return ""
    return " for update skip locked" if skip_locked else " for update"
