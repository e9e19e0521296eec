"""The one storage module: a SQLite file through sqlite-utils, WAL mode, and the runner that
applies each package's migrations.

Every other module reaches the database through `Storage`, so moving shared state to another
engine later touches this file and the stores that use it, nothing else.

Each package owns its tables and keeps their migrations beside its store (a sqlite-utils
`Migrations` set named after the package); this module only applies the sets it is given, in
the order given (a package's tables before those of packages that build on it), so it knows no
tier's tables. Until every package had its own set, one set named "cascade" (m001 to m010)
created all the tables; data directories made then record it. Such a set is passed as
`legacy`: it is finished (its remaining migrations applied) only on a database that recorded
part of it, before the package sets, whose first migrations create their tables "if not
exists" in the shape that set left them. So an old database is brought to that shape by the
history it began with, a new one gets the same tables directly, and from there on both follow
the same package migrations.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

log = logging.getLogger(__name__)


def migrate(
    db: Database, migrations: Sequence[Migrations], *, legacy: Sequence[Migrations] = ()
) -> None:
    """Apply what is pending: first the rest of each `legacy` set this database recorded part
    of (a set never recorded is never started), then every set in `migrations`, in order."""
    names = [m.name for m in [*legacy, *migrations]]
    if len(set(names)) != len(names):
        raise ValueError(f"migration set names must be unique: {names}")
    for retired in legacy:
        if retired.applied(db):
            retired.apply(db)
    for package in migrations:
        package.apply(db)


class Storage:
    """A per-thread sqlite-utils `Database` on one file, with explicit write transactions."""

    def __init__(
        self,
        path: Path,
        *,
        migrations: Sequence[Migrations],
        legacy: Sequence[Migrations] = (),
    ) -> None:
        """Open (creating if need be) the database at `path` and bring it up to date.

        Args:
            migrations: Each package's set, a package's before those of the packages that
                build on it.
            legacy: Retired sets, finished first on databases that recorded part of them.
        """
        self.path = path
        self._local = threading.local()
        # Called with (conversation id, message) for every new chat message, whoever wrote it,
        # once it is committed: how real-time pushes reach the customer and the agent without
        # each writer knowing.
        self.message_listeners: list[Callable[[str, dict[str, Any]], None]] = []
        # Write transactions committed by this process: what is computed from the tables can
        # be kept until this moves (see `changes`).
        self._commits = itertools.count(1)  # next() is atomic: threads commit concurrently
        self.changes = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self.db
        db.enable_wal()
        migrate(db, migrations, legacy=legacy)

    @property
    def db(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            # isolation_level=None: no implicit transactions; `write()` opens explicit ones.
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA foreign_keys = ON")
            db = Database(conn)
            self._local.db = db
        return db

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction, taken with BEGIN IMMEDIATE so concurrent writers queue up
        instead of failing halfway; nested calls become savepoints.

        What is read inside it is what the write will change: no other writer can come in
        between (compare a status and its owner here, then change them). Work handed to
        `after_commit` inside it runs once it commits, and never if it rolls back."""
        db = self.db
        pending = self._pending()
        pending.append([])  # this level's after-commit work
        if db.conn.in_transaction:
            try:
                with db.atomic():
                    yield db
            except BaseException:
                pending.pop()  # rolled back to the savepoint: its work with it
                raise
            done = pending.pop()
            if pending:
                pending[-1].extend(done)
            else:  # a transaction opened elsewhere: nothing to wait for here
                self._run(done)
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
                self.changes = next(self._commits)
            except BaseException:
                if db.conn.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except BaseException:
            pending.pop()
            raise
        self._run(pending.pop())

    def after_commit(self, work: Callable[[], object]) -> None:
        """Run `work` once the write transaction this thread is in commits (in the order given;
        dropped if it rolls back), or now when there is none: how pushes and other news of a
        change wait until the change is there for everyone to read."""
        pending = self._pending()
        if pending:
            pending[-1].append(work)
        else:
            self._run([work])

    def _pending(self) -> list[list[Callable[[], object]]]:
        """This thread's after-commit work, one list per open `write()` level."""
        pending: list[list[Callable[[], object]]] | None = getattr(self._local, "pending", None)
        if pending is None:
            pending = self._local.pending = []
        return pending

    @staticmethod
    def _run(work: list[Callable[[], object]]) -> None:
        for one in work:
            try:
                one()
            except Exception:  # the change is committed: one failed push must not stop the rest
                log.exception("after-commit work %r failed", one)

    def close(self) -> None:
        db: Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
