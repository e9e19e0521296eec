"""Operations on a data directory, wired from each package's own part: backups of both
databases, retention's purge, and one customer's erasure (docs/production/operations.md).

Each package forgets its own rows (`<package>/retention.py`, `core.auth.forget_customers`,
`bot.tracker_store`); this module only decides the order and holds the transaction. The Rasa
tracker store is cleared inside the app database's transaction, before its commit: if either
fails, the app database is unchanged and running the command again finishes the work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path

from bot.tracker_store import forget as forget_tracker_events
from cascade.legacy_migrations import LEGACY
from cascade.storage import MIGRATIONS
from conversations import retention as conversations
from core import backup
from core.auth import forget_customers
from core.clock import Clock, iso
from core.db import Database, Storage
from core.settings import Settings
from handoff import retention as handoff
from knowledge_base import retention as knowledge
from knowledge_base.retention import ErasedKnowledge

log = logging.getLogger(__name__)

APP = "app"
TRACKER_STORE = "tracker_store"


def app_version() -> str:
    try:
        return metadata.version("cascade-support")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a plain checkout
        return "unknown"


def known_migrations() -> dict[str, set[str]]:
    """Every migration this version has, by set (what an empty database would apply)."""
    return {m.name: set(m.names) for m in (*MIGRATIONS, LEGACY)}


def databases(settings: Settings) -> dict[str, Path]:
    return {APP: settings.database_path, TRACKER_STORE: settings.tracker_store_path}


def search_indexes(settings: Settings) -> list[Path]:
    """The knowledge base's index files (one per language) and their stamps: rebuildable."""
    index = settings.index_path
    if not index.parent.is_dir():
        return []
    found = index.parent.glob(f"{index.stem}*{index.suffix}")
    return [p for path in found for p in (path, path.with_name(path.name + ".json"))]


def take_backup(settings: Settings, target: Path, *, now: datetime) -> backup.Manifest:
    """A snapshot of both databases while the app and Rasa run (no tracker store yet: only
    the app's database). A database on PostgreSQL is refused: see `backup.ServerDatabase`."""
    if settings.database_url:
        raise backup.ServerDatabase("backup")
    return backup.take(
        databases(settings),
        target,
        optional=[TRACKER_STORE],
        app_version=app_version(),
        created_at=iso(now),
    )


def restore_backup(settings: Settings, source: Path, *, force: bool) -> backup.Manifest:
    if settings.database_url:
        raise backup.ServerDatabase("restore")
    return backup.restore(
        source,
        settings.data_dir,
        places=databases(settings),
        known_migrations=known_migrations(),
        rebuildable=search_indexes(settings),
        force=force,
    )


@dataclass(frozen=True)
class Purged:
    conversations: int
    outbox_messages: int
    gaps: int
    tracker_events: int


def purge(storage: Storage, settings: Settings, *, older_than_days: float, now: datetime) -> Purged:
    """Reduce the closed conversations in which nothing happened for `older_than_days` (and
    whose tickets, if any, are closed as long) to anonymous records, and delete the outbox's
    sent and dead messages as old."""
    cutoff = iso(now - timedelta(days=older_than_days))
    with storage.write() as db:
        _erase_for_good(db)
        candidates = [cid for cid, _ in conversations.closed_before(db, cutoff)]
        settled = handoff.settled_before(db, candidates, cutoff)
        ids = [cid for cid in candidates if cid in settled]
        handoff.anonymise(db, ids)
        outbox = handoff.purge_outbox(db, cutoff)
        gaps = knowledge.forget_gaps(db, ids)
        conversations.anonymise(db, ids, at=iso(now))
        forget_customers(db, ids)
    # Rasa's events once the app's transaction is over: PostgreSQL's rewrite of the table
    # keeps the rows an open transaction (this one) could still see.
    tracker = forget_tracker_events(settings, ids)
    _let_go(storage)
    return Purged(len(ids), outbox, gaps, tracker)


@dataclass(frozen=True)
class Erased:
    conversations: list[str]
    tickets: int = 0
    tracker_events: int = 0
    knowledge: ErasedKnowledge = field(default_factory=ErasedKnowledge)


def customer_conversations(storage: Storage, email: str) -> list[str]:
    return conversations.customer_conversations(storage.db, email)


def erase(storage: Storage, settings: Settings, *, email: str, now: datetime) -> Erased:
    """Delete every copy of one customer's data: their conversations (found by address, then
    by the visitor and user ids those share), messages, events, tickets, notes, outbox
    messages, content gaps and what editors made of them, customer tokens, and their events
    in Rasa's tracker store."""
    with storage.write() as db:
        _erase_for_good(db)
        ids = conversations.customer_conversations(db, email)
        tickets = handoff.forget(db, ids, email=email)
        kb = knowledge.erase_gaps(db, ids, at=iso(now))
        conversations.forget(db, ids)
        forget_customers(db, ids)
    tracker = forget_tracker_events(settings, ids)  # after the commit, as in `purge`
    _let_go(storage)
    return Erased(ids, tickets, tracker, kb)


def _erase_for_good(db: Database) -> None:
    """On SQLite, the rows this write transaction deletes are overwritten in the file, not
    only unlinked (a setting of its connection). PostgreSQL has no such setting: `_let_go`."""
    if db.dialect == "sqlite":
        db.execute("PRAGMA secure_delete = ON")


def _let_go(storage: Storage) -> None:
    """After the deletes, let go of the old copies of what they removed or changed.

    SQLite: copy the write-ahead log into the database and empty it, so the old pages it held
    go too (as far as no reader holds them: the next checkpoint finishes the work).

    PostgreSQL keeps the old versions of rows, and index entries for them, until VACUUM: every
    table is vacuumed, index cleanup forced (VACUUM may skip it when few rows died), so nothing
    leads to them and new rows take their space; unlike SQLite's secure_delete it does not zero
    them (docs/production/operations.md). VACUUM FULL, which rewrites each table, is not used:
    it locks the tables against reads and writes for as long as it copies them whole."""
    if storage.dialect == "sqlite":
        storage.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    tables = ", ".join(f'"{name}"' for name in sorted(storage.db.table_names()))
    storage.db.execute(f"VACUUM (INDEX_CLEANUP ON) {tables}")  # outside a transaction


DAY_S = 86_400.0


def purge_retained(storage: Storage, settings: Settings, clock: Clock) -> Purged | None:
    """Retention's daily pass (CASCADE_RETENTION_DAYS; unset: nothing is purged)."""
    if not settings.retention_days:
        return None
    purged = purge(storage, settings, older_than_days=settings.retention_days, now=clock.now())
    log.info("retention: %s", purged)
    return purged
