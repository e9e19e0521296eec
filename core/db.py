"""The one storage module: the database every package's store reaches through `Storage`, and
the runner that applies each package's migrations.

The database is a SQLite file in the data directory (the default: WAL mode, one writer at a
time), or PostgreSQL when `CASCADE_DATABASE_URL` names one, so that several app processes on
several machines share it. Both go through SQLAlchemy (`core.sql`); the stores write the same
SQL for both.

A write transaction is what SQLite made it: one writer at a time, so what is read inside it is
what the write changes (compare a status and its owner, then change them). On PostgreSQL each
write transaction takes one transaction-scoped advisory lock first, so every replica's writers
queue up exactly as they do on one SQLite file; readers never wait for it. Finer row locks
would let unrelated writes pass each other, at the price of re-checking every read-then-write
the stores rely on; a turn's writes are two short transactions, so the one lock stays until a
measurement says otherwise.

Each package owns its tables and keeps their migrations beside its store (a `Migrations` set
named after the package: ordered, named functions, each applied once, recorded in the table
sqlite-utils kept them in, so data directories made before carry on where they were); this module only applies the sets it is given, in
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

import datetime
import itertools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.sql import Database, IntegrityError, Table

__all__ = ["Database", "IntegrityError", "Migrations", "Storage", "Table", "migrate"]

log = logging.getLogger(__name__)

MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils' name, kept for existing data directories

WRITE_LOCK = 0x43415343  # PostgreSQL advisory lock key of the write transaction ("CASC")
MAX_ID = 2**63 - 1  # the largest integer a database column holds (ids, versions)
SQLITE_POOL = 64  # SQLite connections are a file handle each: one per busy thread, kept
POSTGRES_POOL = 10  # per app process, and as many again when busy (`pool_size`)


@dataclass
class _Migration:
    name: str
    fn: Callable[[Database], None]


class Migrations:
    """One package's migrations, applied in the order they are declared, each once, each in
    a transaction with the record that it was applied (`@MIGRATIONS()` declares one)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._migrations: list[_Migration] = []

    def __call__(self) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
        def declare(fn: Callable[[Database], None]) -> Callable[[Database], None]:
            if any(m.name == fn.__name__ for m in self._migrations):
                raise ValueError(f"migration {fn.__name__} is declared twice in {self.name}")
            self._migrations.append(_Migration(fn.__name__, fn))
            return fn

        return declare

    def applied(self, db: Database) -> list[str]:
        if not db.table(MIGRATIONS_TABLE).exists():
            return []
        rows = db.execute(
            f"select name from {MIGRATIONS_TABLE} where migration_set = ? order by id", [self.name]
        )
        return [row[0] for row in rows]

    @property
    def names(self) -> list[str]:
        """Every migration of the set, in order."""
        return [m.name for m in self._migrations]

    def pending(self, db: Database) -> list[str]:
        """The names of the migrations not applied yet, in order."""
        done = set(self.applied(db))
        return [m.name for m in self._migrations if m.name not in done]

    def apply(
        self, db: Database, begin: Callable[[Database], None], *, stop_before: str | None = None
    ) -> None:
        """Apply what is pending (up to `stop_before`, if given); `begin` opens each
        migration's transaction on `db`'s connection (the caller knows the engine's way of
        taking the write lock)."""
        if not db.table(MIGRATIONS_TABLE).exists():
            begin(db)
            table = db.table(MIGRATIONS_TABLE)
            if not table.exists():  # looked at again under the write lock
                columns = {"id": int, "migration_set": str, "name": str, "applied_at": str}
                table.create(columns, pk="id")
                table.create_index(["migration_set", "name"], unique=True)
            db.execute("COMMIT")
        for migration in self._migrations:
            if migration.name == stop_before:
                return
            if migration.name in self.applied(db):
                continue
            begin(db)
            try:
                if migration.name in self.applied(db):  # another process applied it meanwhile
                    db.execute("COMMIT")
                    continue
                migration.fn(db)
                db.table(MIGRATIONS_TABLE).insert(
                    {
                        "migration_set": self.name,
                        "name": migration.name,
                        "applied_at": str(datetime.datetime.now(datetime.UTC)),
                    }
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")


def migrate(
    db: Database,
    migrations: Sequence[Migrations],
    begin: Callable[[Database], None],
    *,
    legacy: Sequence[Migrations] = (),
) -> None:
    """Apply what is pending: first the rest of each `legacy` set this database recorded part
    of (a set never recorded is never started), then every set in `migrations`, in order.
    `begin` opens a write transaction on `db`."""
    names = [m.name for m in [*legacy, *migrations]]
    if len(set(names)) != len(names):
        raise ValueError(f"migration set names must be unique: {names}")
    for retired in legacy:
        if retired.applied(db):
            retired.apply(db, begin)
    for package in migrations:
        package.apply(db, begin)


def engine_for(path: Path, url: str | None, *, pool_size: int | None = None) -> sa.Engine:
    """The engine of `url` (PostgreSQL) or, without one, of the SQLite file at `path`.
    Transactions are begun and ended by `Storage.write` itself (AUTOCOMMIT otherwise)."""
    if url:
        return sa.create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            pool_size=pool_size or POSTGRES_POOL,
            max_overflow=pool_size or POSTGRES_POOL,
            pool_timeout=30,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        f"sqlite:///{path}",
        isolation_level="AUTOCOMMIT",
        connect_args={"timeout": 30, "check_same_thread": False},
        poolclass=sa.pool.QueuePool,
        pool_size=pool_size or SQLITE_POOL,
        max_overflow=-1,
    )

    @sa.event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 30000")
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


class Storage:
    """The database, with explicit write transactions and work to run once they commit."""

    def __init__(
        self,
        path: Path,
        *,
        migrations: Sequence[Migrations],
        legacy: Sequence[Migrations] = (),
        url: str | None = None,
        pool_size: int | None = None,
    ) -> None:
        """Open (creating if need be) the database and bring it up to date.

        Args:
            path: The SQLite file, when there is no `url`.
            migrations: Each package's set, a package's before those of the packages that
                build on it.
            legacy: Retired sets, finished first on databases that recorded part of them.
            url: A PostgreSQL database (SQLAlchemy URL, `postgresql+psycopg://...`).
            pool_size: Connections kept open (PostgreSQL: as many again when busy).
        """
        self.path = path
        self.engine = engine_for(path, url, pool_size=pool_size)
        self.dialect: str = self.engine.dialect.name
        self._local = threading.local()
        self._pooled = Database(self.engine)  # reads outside a write: a connection each
        # Called with (conversation id, message) for every new chat message, whoever wrote it,
        # once it is committed: how real-time pushes reach the customer and the agent without
        # each writer knowing.
        self.message_listeners: list[Callable[[str, dict[str, Any]], None]] = []
        # Write transactions committed by this process: what is computed from the tables can
        # be kept until this moves (see `changes`).
        self._commits = itertools.count(1)  # next() is atomic: threads commit concurrently
        self._counting = threading.Lock()  # and `changes` never moves back
        self.changes = 0
        with self.engine.connect() as connection:
            if self.dialect == "sqlite":
                connection.exec_driver_sql("PRAGMA journal_mode = WAL")
            migrate(Database(self.engine, connection), migrations, self._begin, legacy=legacy)

    @property
    def writing(self) -> bool:
        """Whether this thread is inside a write transaction: what it reads there may not be
        committed yet (and may yet roll back)."""
        return getattr(self._local, "bound", None) is not None

    @property
    def db(self) -> Database:
        """This thread's write transaction, if it is in one; else the pool."""
        bound: Database | None = getattr(self._local, "bound", None)
        return bound if bound is not None else self._pooled

    def _begin(self, db: Database) -> None:
        """Open a write transaction on `db`'s connection, waiting for the write lock."""
        if self.dialect == "sqlite":
            db.execute("BEGIN IMMEDIATE")  # the file's write lock, or wait (busy_timeout)
        else:
            db.execute("BEGIN")
            db.execute("select pg_advisory_xact_lock(?)", [WRITE_LOCK])

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction; nested calls become savepoints.

        What is read inside it is what the write will change: no other writer can come in
        between (compare a status and its owner here, then change them). Work handed to
        `after_commit` inside it runs once it commits, and never if it rolls back."""
        pending = self._pending()
        pending.append([])  # this level's after-commit work
        bound: Database | None = getattr(self._local, "bound", None)
        if bound is not None:
            try:
                with bound.atomic():
                    yield bound
            except BaseException:
                pending.pop()  # rolled back to the savepoint: its work with it
                raise
            done = pending.pop()
            pending[-1].extend(done)
            return
        try:
            with self.engine.connect() as connection:
                db = self._local.bound = Database(self.engine, connection)
                try:
                    self._begin(db)
                    try:
                        yield db
                        db.execute("COMMIT")
                        with self._counting:
                            self.changes = next(self._commits)
                    except BaseException:
                        if _in_transaction(connection):
                            db.execute("ROLLBACK")
                        raise
                finally:
                    self._local.bound = None
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
        """Close the pool's connections (a write in progress keeps its own until it ends)."""
        self.engine.dispose()


def _in_transaction(connection: sa.Connection) -> bool:
    """Whether the driver's connection is inside a transaction (one begun by `BEGIN`)."""
    driver: Any = connection.connection.dbapi_connection
    if hasattr(driver, "in_transaction"):  # sqlite3
        return bool(driver.in_transaction)
    return bool(driver.info.transaction_status)  # psycopg: IDLE is 0
