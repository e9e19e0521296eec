"""Rasa's tracker store, from the app's side. Its `events` table holds every conversation's
dialogue events under `sender_id`, the conversation's id: an SQLite file in the data directory
(endpoints.yml), or, with CASCADE_DATABASE_URL, the table `rasa.events` in the app's PostgreSQL
database (bot/endpoints.py). The customer's words and details (name, email, page in the metadata)
are in those events, so forgetting a conversation forgets its events here too."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from bot.endpoints import RASA_SCHEMA
from core.settings import Settings

BATCH = 500  # ids per statement, well under SQLite's limit on parameters


def forget(settings: Settings, sender_ids: Iterable[str]) -> int:
    """Delete these conversations' events from the tracker store Rasa was given (PostgreSQL's
    with CASCADE_DATABASE_URL, else the SQLite file); how many were deleted."""
    if settings.database_url:
        return forget_senders_postgres(settings.database_url, sender_ids)
    return forget_senders(settings.tracker_store_path, sender_ids)


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


def forget_senders_postgres(database_url: str, sender_ids: Iterable[str]) -> int:
    """The same on PostgreSQL: the events deleted in one transaction, then the table rewritten
    (VACUUM FULL), since a plain VACUUM only marks the rows' space free and their bytes stay in
    the table's pages until new rows overwrite them. The rewrite holds the table's lock: Rasa's
    turns wait for it (about 0.7 s for 200,000 events, docs/production/scaling-rasa.md)."""
    import sqlalchemy as sa

    ids = sorted(set(sender_ids))
    if not ids:
        return 0
    events = sa.table("events", sa.column("sender_id"), schema=RASA_SCHEMA)
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as db:
            if not sa.inspect(db).has_table("events", schema=RASA_SCHEMA):
                return 0  # no Rasa has run on this database yet
            deleted = 0
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                deleted += db.execute(events.delete().where(events.c.sender_id.in_(chunk))).rowcount
        if deleted:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                db.execute(sa.text(f"VACUUM FULL {RASA_SCHEMA}.events"))
    finally:
        engine.dispose()
    return deleted


def prepare_postgres(database_url: str) -> None:
    """Make the schema Rasa's tracker store lives in (Rasa makes its table there, but not the
    schema). Several starts at once are fine: the one that loses the race finds it made."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as db:
            if sa.inspect(db).has_schema(RASA_SCHEMA):
                return
        try:
            with engine.begin() as db:
                db.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {RASA_SCHEMA}"))
        except sa.exc.IntegrityError:  # made at the same moment by another start
            pass
    finally:
        engine.dispose()
