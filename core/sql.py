"""The stores' SQL on either engine: SQLite (the default, a file in the data directory) or
PostgreSQL (`CASCADE_DATABASE_URL`), through SQLAlchemy 2 Core.

SQLAlchemy gives the engines, the connection pool, the drivers (Python's sqlite3, psycopg 3)
and the dialects that write each engine's DDL. What the stores write is plain SQL with `?`
placeholders, which both engines read the same way once the placeholders are the driver's
(`%s` for psycopg); the few statements that differ ask `Database.dialect`. The stores were
written against sqlite-utils, and `Database` keeps the small part of its interface they use
(`execute`, `query`, `table(...).insert / update / upsert / insert_all`, and in migrations
`create`, `create_index`, `add_column`), so their SQL, their migrations and the history
recorded in existing data directories carry over unchanged: that is the part written here by
hand, a thin layer over SQLAlchemy rather than a second query language.

The migrations' three operations are written by SQLAlchemy's DDL compiler for the engine at
hand: on PostgreSQL, `int` is BIGINT and an integer primary key is an identity column
(SQLite's INTEGER PRIMARY KEY hands out ids the same way).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as IntegrityError  # re-exported: one name on both
from sqlalchemy.schema import CreateIndex, CreateTable

_TYPES: dict[type, Callable[[str], sa.types.TypeEngine[Any]]] = {
    str: lambda d: sa.Text(),
    int: lambda d: sa.BigInteger() if d == "postgresql" else sa.Integer(),
    float: lambda d: sa.Float(),
    bytes: lambda d: sa.LargeBinary(),
}

_PRIMARY_KEYS: dict[tuple[str, str], str | None] = {}  # (database URL, table): its key column

# A single-quoted literal, a double-quoted name, or one of the characters that differ.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%|::|:[A-Za-z_]\w*")


def to_driver(sql: str, dialect: str) -> str:
    """`sql` with `?` and `:name` placeholders as the driver wants them: unchanged for
    sqlite3; `%s` and `%(name)s` for psycopg, which then reads `%` as the start of a
    placeholder, so a literal one is doubled."""
    if dialect == "sqlite":
        return sql

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token.startswith(":") and token != "::":
            return f"%({token[1:]})s"
        return token.replace("%", "%%")  # inside a literal or a cast: still read by psycopg

    return _TOKENS.sub(swap, sql)


def stored(value: Any, dialect: str) -> Any:
    """A parameter as the table keeps it: lists and dicts as JSON (as sqlite-utils does), and
    on PostgreSQL booleans as 1 / 0, since the columns are integers as on SQLite."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value)
    if dialect == "postgresql" and isinstance(value, bool):
        return int(value)
    return value


class Result:
    """What a statement returned, read to the end at once so the connection can go back to
    the pool: rows (indexable like tuples) and `rowcount`. (New ids come from `returning`.)"""

    def __init__(self, result: sa.CursorResult[Any]) -> None:
        self.keys: list[str] = list(result.keys()) if result.returns_rows else []
        self._rows: list[sa.Row[Any]] = list(result) if result.returns_rows else []
        self.rowcount: int = result.rowcount
        self._next = 0

    # Rows are typed Any, as the driver's cursors type them: the SQL says what they hold.
    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchall(self) -> list[Any]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Database:
    """The stores' view of the database: one SQLAlchemy connection while a write transaction
    (or a migration) holds one, else a connection from the pool for each statement."""

    def __init__(self, engine: sa.Engine, connection: sa.Connection | None = None) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self._connection = connection
        self._savepoints = 0

    @contextmanager
    def _connected(self) -> Iterator[sa.Connection]:
        if self._connection is not None:
            yield self._connection
        else:
            with self.engine.connect() as connection:
                yield connection

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None) -> Result:
        values: tuple[Any, ...] | dict[str, Any]
        if isinstance(parameters, dict):
            values = {k: stored(v, self.dialect) for k, v in parameters.items()}
        else:
            values = tuple(stored(v, self.dialect) for v in parameters or ())
        with self._connected() as connection:
            return Result(connection.exec_driver_sql(to_driver(sql, self.dialect), values))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """One statement for many rows; how many rows it changed."""
        values = [tuple(stored(v, self.dialect) for v in row) for row in rows]
        if not values:
            return 0
        with self._connected() as connection:
            return connection.exec_driver_sql(to_driver(sql, self.dialect), values).rowcount

    def query(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        result = self.execute(sql, parameters)
        for row in result.fetchall():
            yield dict(zip(result.keys, row, strict=True))

    # The few SQL expressions the two engines write differently. JSON is stored as text.

    def json_field(self, column: str, path: str) -> str:
        """The value at `path` (keys joined by dots) of the JSON text in `column`: SQLite's
        `json_extract` gives numbers as numbers and true/false as 1/0; on PostgreSQL it is
        the value's text ("1", "true"), so compare it with text or cast it."""
        if self.dialect == "sqlite":
            return f"json_extract({column}, '$.{path}')"
        return f"({column}::jsonb #>> '{{{path.replace('.', ',')}}}')"

    def json_values(self, array: str) -> str:
        """A subquery of the texts in the JSON array `array` (a column or `?`), for `in`."""
        if self.dialect == "sqlite":
            return f"(select value from json_each({array}))"
        return f"(select jsonb_array_elements_text({array}::jsonb))"

    def json_keys(self, column: str) -> str:
        """A table expression of the keys of the JSON object in `column`, as `key`."""
        if self.dialect == "sqlite":
            return f"json_each({column})"
        return f"jsonb_each({column}::jsonb)"

    def table(self, name: str) -> Table:
        return Table(self, name)

    __getitem__ = table

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A savepoint inside the write transaction: undone alone if the block raises, which
        also keeps PostgreSQL's transaction usable after an expected error (a duplicate key)."""
        self._savepoints += 1
        name = f"cascade_{self._savepoints}"
        self.execute(f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.execute(f"RELEASE SAVEPOINT {name}")
            raise
        finally:
            self._savepoints -= 1
        self.execute(f"RELEASE SAVEPOINT {name}")

    def table_names(self) -> list[str]:
        with self._connected() as connection:
            return sa.inspect(connection).get_table_names()


@dataclass
class Table:
    """One table, with the operations the stores and migrations use."""

    db: Database
    name: str
    last_pk: Any = field(default=None, init=False)

    def exists(self) -> bool:
        with self.db._connected() as connection:
            return bool(sa.inspect(connection).has_table(self.name))

    @property
    def columns_dict(self) -> dict[str, str]:
        with self.db._connected() as connection:
            return {
                c["name"]: str(c["type"]) for c in sa.inspect(connection).get_columns(self.name)
            }

    @property
    def count(self) -> int:
        row = self.db.execute(f'select count(*) from "{self.name}"').fetchone()
        return int(row[0]) if row else 0

    def insert(self, record: dict[str, Any], *, pk: str | None = None) -> Table:
        """Add one row; `last_pk` is its primary key (the new id for an integer key)."""
        columns = list(record)
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        key = pk or self._primary_key()
        sql = f'insert into "{self.name}" ({names}) values ({marks})'
        if key and key not in record:
            sql += f' returning "{key}"'
            found = self.db.execute(sql, list(record.values())).fetchone()
            self.last_pk = found[0] if found else None
        else:
            self.db.execute(sql, list(record.values()))
            self.last_pk = record.get(key) if key else None
        return self

    def insert_all(self, records: Iterable[dict[str, Any]]) -> Table:
        rows = list(records)
        if rows:
            columns = list(dict.fromkeys(c for row in rows for c in row))
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            self.db.executemany(
                f'insert into "{self.name}" ({names}) values ({marks})',
                [[row.get(c) for c in columns] for row in rows],
            )
        return self

    def upsert(self, record: dict[str, Any], *, pk: str) -> Table:
        """Insert, or update the row with the same `pk` (both engines' `on conflict`)."""
        columns = list(record)
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        changes = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != pk)
        action = f"do update set {changes}" if changes else "do nothing"
        self.db.execute(
            f'insert into "{self.name}" ({names}) values ({marks}) on conflict ("{pk}") {action}',
            list(record.values()),
        )
        self.last_pk = record[pk]
        return self

    def update(self, pk_value: Any, updates: dict[str, Any]) -> Table:
        """Change some columns of the row whose primary key is `pk_value`."""
        key = self._primary_key()
        if updates:
            sets = ", ".join(f'"{c}" = ?' for c in updates)
            self.db.execute(
                f'update "{self.name}" set {sets} where "{key}" = ?', [*updates.values(), pk_value]
            )
        self.last_pk = pk_value
        return self

    def get(self, pk_value: Any) -> dict[str, Any]:
        """The row whose primary key is `pk_value`; LookupError when there is none."""
        rows = list(
            self.db.query(
                f'select * from "{self.name}" where "{self._primary_key()}" = ?', [pk_value]
            )
        )
        if not rows:
            raise LookupError(f"no row {pk_value!r} in {self.name}")
        return rows[0]

    def delete(self, pk_value: Any) -> Table:
        """Remove the row whose primary key is `pk_value`."""
        self.db.execute(f'delete from "{self.name}" where "{self._primary_key()}" = ?', [pk_value])
        return self

    def _primary_key(self) -> str | None:
        known = (self.db.engine.url.render_as_string(), self.name)
        if known not in _PRIMARY_KEYS:  # a table's key never changes: read it once
            with self.db._connected() as connection:
                keys = sa.inspect(connection).get_pk_constraint(self.name)["constrained_columns"]
            _PRIMARY_KEYS[known] = keys[0] if len(keys) == 1 else None
        return _PRIMARY_KEYS[known]

    # Migrations: the three operations the packages' migrations are written in.

    def create(
        self,
        columns: dict[str, type],
        *,
        pk: str | None = None,
        not_null: Iterable[str] = (),
        if_not_exists: bool = False,
    ) -> Table:
        if if_not_exists and self.exists():
            return self
        required = set(not_null)
        dialect = self.db.dialect
        table = sa.Table(
            self.name,
            sa.MetaData(),
            *(
                sa.Column(
                    name,
                    _TYPES[kind](dialect),
                    *(
                        [sa.Identity()]
                        if dialect == "postgresql" and name == pk and kind is int
                        else []
                    ),
                    primary_key=name == pk,
                    nullable=name not in required and name != pk,
                    autoincrement=name == pk and kind is int,
                )
                for name, kind in columns.items()
            ),
        )
        self.db.execute(str(CreateTable(table).compile(dialect=self.db.engine.dialect)))
        return self

    def create_index(
        self, columns: Sequence[str], *, unique: bool = False, if_not_exists: bool = False
    ) -> Table:
        name = f"idx_{self.name}_{'_'.join(columns)}"  # sqlite-utils' names
        table = sa.Table(self.name, sa.MetaData(), *(sa.Column(c) for c in columns))
        index = sa.Index(name, *(table.c[c] for c in columns), unique=unique)
        ddl = CreateIndex(index, if_not_exists=if_not_exists)
        self.db.execute(str(ddl.compile(dialect=self.db.engine.dialect)))
        return self

    def add_column(self, name: str, kind: type, *, not_null_default: str | None = None) -> Table:
        column_type = _TYPES[kind](self.db.dialect).compile(dialect=self.db.engine.dialect)
        sql = f'alter table "{self.name}" add column "{name}" {column_type}'
        if not_null_default is not None:
            quoted = not_null_default.replace("'", "''")
            sql += f" not null default '{quoted}'"
        self.db.execute(sql)
        return self
