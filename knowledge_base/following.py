"""Several replicas, one knowledge base: each replica (and a command run beside them) holds its
own search indexes in memory, made from the shared tables. A change written by one must reach
the others' indexes, and without Redis too (two processes on one database file).

So every change to the articles bumps one counter row (`kb_version`) in its own write
transaction, and a replica about to search reads it first: one read of one row by its primary
key, at most every FOLLOW_EVERY_S. When it moved, the replica compares what its indexes hold
(each published article's key and version) with what the tables hold, and refreshes only the
articles that differ, its calibration and its count of the words index with them. Writers of
the counter queue on its row, so the versions are in the order the changes committed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from core.db import Database, Storage

if TYPE_CHECKING:
    from knowledge_base.service import KnowledgeBase

log = logging.getLogger(__name__)

TABLE = "kb_version"
FOLLOW_EVERY_S = 0.1  # a replica looks for others' changes at most this often


def ensure_version(storage: Storage) -> None:
    """Make the counter's row if no replica has yet (at start-up, before any change)."""
    if read_version(storage.db) is not None:
        return
    try:
        with storage.write() as db:
            if read_version(db) is None:
                db.table(TABLE).insert({"id": 1, "version": 0})
    except Exception:  # another replica made it in between: it is there now
        if read_version(storage.db) is None:
            raise


def read_version(db: Database) -> int | None:
    row = db.execute(f"select version from {TABLE} where id = 1").fetchone()
    return int(row[0]) if row else None


def bump_version(db: Database) -> tuple[int, int] | None:
    """In a change's write transaction: the version before it and its own (None while no
    knowledge base has started on this database: no index to tell)."""
    db.execute(f"update {TABLE} set version = version + 1 where id = 1")
    after = read_version(db)
    return None if after is None else (after - 1, after)


class Following:
    """The version of the knowledge base this replica's indexes are at."""

    def __init__(self, storage: Storage, *, lock: threading.RLock) -> None:
        """`lock`: the knowledge base's, held while a change is written and its indexes follow."""
        ensure_version(storage)
        self.storage = storage
        self.lock = lock
        self.version = read_version(storage.db) or 0
        self._next_look = 0.0

    def look(self, kb: KnowledgeBase) -> None:
        """Before a search: if the version moved, refresh the articles whose published state
        differs from what the indexes hold (in every language: one may have changed language)
        and calibrate again. While this replica writes a change (the lock is taken), the look
        waits for the next search: that change's refresh brings the indexes up to date."""
        now = time.monotonic()
        if now < self._next_look or not self.lock.acquire(blocking=False):
            return
        try:
            self._next_look = now + FOLLOW_EVERY_S
            version = read_version(self.storage.db) or 0
            if version == self.version:
                return
            changed = set().union(*(s.index.changed() for s in kb.sections.values()))
            if changed:
                log.info("following %d article(s) changed elsewhere", len(changed))
                kb.refresh(sorted(changed))
                kb.recalibrate()
            self.version = version
        finally:
            self.lock.release()

    def wrote(self, bumped: tuple[int, int] | None) -> None:
        """This replica's own change is in its indexes: at its version if nothing else came
        between (else the next look finds what did)."""
        if bumped is not None and bumped[0] == self.version:
            self.version = bumped[1]
