"""What the tests share, in one place: the admin token, waiting for a state, the app and its
neighbours as real processes and servers on free loopback ports, and reading the widget in a
browser. Fixtures (conftest.py) and tests import from here; no test imports another test file.

Waiting is always for a state, with a generous limit, never for a length of time: a busy machine
makes everything slower, and a test must still see the state it means.
"""

from __future__ import annotations

import contextlib
import graphlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bot.endpoints import RASA_SCHEMA
from bot.runtime import rasa_env
from bot.tracker_store import prepare_postgres
from cascade.engines import free_port, stop_process
from core.settings import Settings

ADMIN = "test-admin-token"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}
# What Rasa sends to the app's action endpoint (endpoints.yml), in the app's settings too.
ACTION_SECRET = "test-action-secret"
ACTION_HEADERS = {"Authorization": f"Bearer {ACTION_SECRET}"}
ROOT = Path(__file__).resolve().parent.parent

T = TypeVar("T")


def wait_until(
    check: Callable[[], T],
    *,
    timeout_s: float = 30,
    what: str = "the awaited state",
    process: subprocess.Popen | None = None,
) -> T:
    """Polls `check` until it returns something truthy, and returns that. A server not yet
    listening (httpx.TransportError) counts as not yet; a `process` that exits ends the wait."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
        except httpx.TransportError:
            result = None
        if result:
            return result
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout_s} s")
        time.sleep(0.05)


# -- processes on free ports ------------------------------------------------------------------


def app_env(admin_token: str) -> dict[str, str]:
    """An app process's environment. Its rate limits are lifted: the tests drive hundreds of
    chats, searches and sockets from this one address (a test of the limits sets them)."""
    return {
        **os.environ,
        "CASCADE_ADMIN_TOKEN": admin_token,
        "CASCADE_ACTION_SECRET": ACTION_SECRET,
        "HF_HUB_OFFLINE": "1",
        "CASCADE_RATE_LIMITS": "false",
    }


def start_app(
    *,
    data_dir: Path,
    port: int,
    rasa_url: str,
    admin_token: str,
    log: Path,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """`cascade serve` as a process, taking Rasa's action calls with `ACTION_SECRET`; its
    output goes to `log`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cascade.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--rasa-url",
            rasa_url,
        ],
        cwd=ROOT,
        env={**app_env(admin_token), **(env or {})},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def start_rasa_for_app(
    *, data_dir: Path, port: int, app_port: int, model: Path
) -> subprocess.Popen:
    """The real Rasa server on `port`, calling the actions of the app on `app_port` with
    `ACTION_SECRET`; its tracker store and log in `data_dir` (the tracker store in the app's
    PostgreSQL database when the tests run on one)."""
    from bot.runtime import start_rasa

    project = Settings()
    return start_rasa(
        project_dir=project.project_dir,
        rasa_bin=project.rasa_bin,
        model=model,
        port=port,
        action_url=f"http://127.0.0.1:{app_port}/webhook",
        action_secret=ACTION_SECRET,
        tracker_db=data_dir / "rasa_tracker.db",
        log_file=data_dir / "rasa.log",
        database_url=os.environ.get("CASCADE_DATABASE_URL"),
    )


stop = stop_process  # terminate, and kill after 30 s


@contextmanager
def running_app(
    data_dir: Path, *, env: dict[str, str] | None = None, rasa_url: str = "", bot_up: bool = True
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`cascade serve` on a free port (no Rasa unless `rasa_url`); yields its base URL and its
    process once it answers /health (with the bot up too, when there is one and `bot_up`),
    and stops it afterwards."""
    port = free_port()
    app = start_app(
        data_dir=data_dir,
        port=port,
        rasa_url=rasa_url,
        admin_token=ADMIN,
        log=data_dir / "app.log",
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    ready = "up" if rasa_url and bot_up else None
    try:
        wait_until(
            lambda: (
                (health := httpx.get(url + "/health", timeout=5)).status_code == 200
                and (ready is None or health.json()["rasa"] == ready)
            ),
            timeout_s=120,
            what=f"the app in {data_dir.name} answering /health",
            process=app,
        )
        yield url, app
    finally:
        stop(app)


@contextmanager
def app_process(
    data_dir: Path, *, env: dict[str, str] | None = None, rasa_url: str = ""
) -> Iterator[str]:
    """`running_app`'s base URL alone."""
    with running_app(data_dir, env=env, rasa_url=rasa_url) as (url, _):
        yield url


@dataclass
class Live:
    """The app and the real Rasa server, each a process on its own port."""

    url: str
    rasa_url: str
    admin: dict[str, str]
    data_dir: Path
    app: subprocess.Popen
    rasa: subprocess.Popen
    # The PostgreSQL database the app was started on (None: the data directory's SQLite), for
    # commands run beside it: the test's own CASCADE_DATABASE_URL may name another.
    database_url: str | None = None

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    @property
    def tracker_store(self) -> Path | str:
        """Rasa's tracker store as the helpers below take it: the app's PostgreSQL database
        (schema `rasa`), or the SQLite file in the data directory."""
        return self.database_url or self.data_dir / "rasa_tracker.db"


# -- mail and webhooks on loopback ------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler keeping every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a free loopback port, keeping what it receives."""
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mail_env(mail_sink: tuple[Mailbox, int]) -> dict[str, str]:
    """The settings that send an app process's email to `mail_sink`."""
    return {
        "CASCADE_SMTP_HOST": "127.0.0.1",
        "CASCADE_SMTP_PORT": str(mail_sink[1]),
        "CASCADE_OUTBOX_INTERVAL_S": "0.5",
    }


def notifying_settings(data_dir: Path, smtp_port: int, receiver: Receiver) -> Any:
    """An in-process app's settings sending email to a loopback SMTP port and webhooks to
    `receiver`, with no bot and the timers left to the test."""
    from core.settings import Settings

    return Settings(
        data_dir=data_dir,
        admin_token=ADMIN,
        rasa_url="",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="help@tidewater.example",
        webhook_urls=[receiver.url],
        webhook_secret="s3cret",
        route_interval_s=0,
        outbox_interval_s=0,
    )


class Receiver(ThreadingHTTPServer):
    """A webhook receiver answering with `statuses` in turn (200 once they run out)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.statuses: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hooks/cascade"


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((dict(self.headers.items()), body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


Server = TypeVar("Server", bound=ThreadingHTTPServer)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """`server` serving on its own thread until the block ends."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def receiving() -> contextlib.AbstractContextManager[Receiver]:
    """A `Receiver` serving on its own thread."""
    return serving(Receiver())


def run_in_rasa(code: str, *args: str) -> dict[str, Any]:
    """Run `code` with Rasa's Python (the project on its path, as `rasa run` has it); what it
    printed last, as JSON."""
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_bin.parent / "python"), "-c", code, *args],
        cwd=settings.project_dir,
        env=rasa_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


# -- the pages in Chromium --------------------------------------------------------------------

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# How long a page may take to reach the state a test waits for: the same for actions and
# assertions, and generous, because a busy machine slows the browser and the app alike.
PAGE_TIMEOUT_MS = 20_000


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Chromium is not installed: `make test` installs Debian's chromium package")


def open_widget(page, url: str):
    """The demo site with its chat opened; returns the chat's frame once the welcome shows."""
    page.goto(url + "/demo/site")
    page.get_by_role("button", name="Chat with us").click()
    chat = page.frame_locator("#cascade-frame")
    chat.locator(".msg.bot").first.wait_for()
    return chat


def conversation_id(page) -> str:
    """The conversation the widget keeps in localStorage, once it keeps one."""
    frame = page.frame(url=lambda url: "/chat" in url)
    kept = frame.wait_for_function(
        "() => (JSON.parse(localStorage.getItem('cascade.chat') || 'null') || {}).id"
    )
    return str(kept.json_value())


def wait_held(page, held: list, count: int = 1, *, timeout_s: float = 30) -> None:
    """Waits until a route handler has held `count` requests. The browser's request is paused
    the moment it is sent, but Playwright runs the Python handler only while it is waiting on
    something: this waits on the page, briefly each time, until the handler has run."""
    deadline = time.monotonic() + timeout_s
    while len(held) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(held)} of {count} requests held after {timeout_s} s")
        page.wait_for_timeout(20)  # lets Playwright deliver the route to its handler
    assert len(held) == count, f"{len(held)} requests held, {count} expected"


def wait_scrolled_into_view(bubble) -> None:
    """Waits until the whole message is inside the visible part of the chat's log."""
    handle = bubble.element_handle()
    handle.owner_frame().wait_for_function(
        """node => { const log = node.closest('.log').getBoundingClientRect();
                     const box = node.getBoundingClientRect();
                     return box.top >= log.top - 1 && box.bottom <= log.bottom + 1; }""",
        arg=handle,
    )


def import_circle(graph: Mapping[Any, Iterable[Any]]) -> list[Any]:
    """One circle of imports in `graph` (node -> what it imports), or [] when there is none
    (the standard library's topological sorter finds it)."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as circle:
        return list(circle.args[1])
    return []


# -- searching a database for what must be gone -----------------------------------------------


def copies_of(
    database: Path | str, needles: Iterable[str], *, schema: str | None = None
) -> list[str]:
    """Where any of `needles` (any case) is still stored in `database`: "table.column" for every
    table and every column, text or bytes. `database` is a SQLite file (every table SQLite
    lists: virtual tables and their shadow tables too) or a PostgreSQL URL (every table of
    `schema`, else of the schema it opens)."""
    wanted = [needle.casefold() for needle in needles]
    found = []

    def look(table: str, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, (bytes, memoryview)):
                    value = bytes(value).decode("utf-8", "replace")
                if isinstance(value, str) and any(n in value.casefold() for n in wanted):
                    found.append(f"{table}.{column}")

    if isinstance(database, str):
        import sqlalchemy as sa

        engine = sa.create_engine(database)
        try:
            with engine.connect() as connection:
                prefix = f'"{schema}".' if schema else ""
                for table in sa.inspect(connection).get_table_names(schema=schema):
                    result = connection.exec_driver_sql(f'select * from {prefix}"{table}"')
                    look(table, list(result.keys()), result)
        finally:
            engine.dispose()
        return sorted(set(found))
    with closing(sqlite3.connect(database)) as db:
        tables = [
            name for (name,) in db.execute("select name from sqlite_master where type = 'table'")
        ]
        for table in tables:
            cursor = db.execute(f'select * from "{table}"')
            look(table, [d[0] for d in cursor.description], cursor)
    return sorted(set(found))


def app_database(settings: Settings) -> Path | str:
    """The app's database as `copies_of` takes it: the PostgreSQL URL, or the SQLite file."""
    return settings.database_url or settings.database_path


# The table Rasa's SQL tracker store makes (rasa/core/tracker_store.py, SQLTrackerStore).
TRACKER_TABLE = """
CREATE TABLE events (
    id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT,
    PRIMARY KEY (id)
);
CREATE INDEX ix_events_sender_id ON events (sender_id);
"""


def write_tracker_store(store: Path | str, turns: dict[str, tuple[str, dict]]) -> None:
    """Rasa's events for each conversation: the session's metadata and the customer's text, in
    the SQLite file `store` or, for a PostgreSQL URL, in its schema `rasa` (as Rasa keeps them
    beside an app on PostgreSQL)."""
    rows = [
        (sender, type_name, json.dumps(data))
        for sender, (text, metadata) in turns.items()
        for type_name, data in (
            ("slot", {"event": "slot", "name": "session_started_metadata", "value": metadata}),
            ("user", {"event": "user", "text": text, "metadata": metadata}),
        )
    ]
    insert = "insert into events (sender_id, type_name, timestamp, data) values (?, ?, 1.0, ?)"
    if isinstance(store, str):
        prepare_postgres(store)  # Rasa's schema, as the app makes it before starting Rasa
        engine = sa.create_engine(store, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as db:
                db.exec_driver_sql(f"set local search_path = {RASA_SCHEMA}")
                ddl = TRACKER_TABLE.replace("id INTEGER NOT NULL", "id SERIAL")
                for statement in filter(str.strip, ddl.split(";")):
                    db.exec_driver_sql(statement)
                db.exec_driver_sql(insert.replace("?", "%s"), rows)
        finally:
            engine.dispose()
        return
    with closing(sqlite3.connect(store)) as db:
        db.executescript(TRACKER_TABLE)
        db.executemany(insert, rows)
        db.commit()


def tracker_senders(store: Path | str) -> set[str]:
    """The conversations Rasa's tracker store `store` (as `write_tracker_store` takes it) holds
    events of."""
    if isinstance(store, str):
        engine = sa.create_engine(store, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as db:
                if not sa.inspect(db).has_table("events", schema=RASA_SCHEMA):
                    return set()
                return {
                    r[0] for r in db.exec_driver_sql(f"select sender_id from {RASA_SCHEMA}.events")
                }
        finally:
            engine.dispose()
    with closing(sqlite3.connect(store)) as db:
        return {row[0] for row in db.execute("select sender_id from events")}


def tracker_copies(store: Path | str, needles: Iterable[str]) -> list[str]:
    """`copies_of` in Rasa's tracker store `store`."""
    return copies_of(store, needles, schema=RASA_SCHEMA if isinstance(store, str) else None)


def elsewhere(settings: Settings, data_dir: Path) -> Settings:
    """The settings of another installation: its own data directory and, on PostgreSQL, its
    own database (a new schema of the same server)."""
    url = settings.database_url
    if url:
        schema = f"other_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f"create schema {schema}")
        engine.dispose()
        options = {"options": f"-csearch_path={schema}"}
        url = sa.make_url(url).update_query_dict(options).render_as_string(hide_password=False)
    return settings.model_copy(update={"data_dir": data_dir, "database_url": url})


class Served:
    """The app served by uvicorn in a thread of the test (conftest's `served`): real sockets,
    and the clock and the scripted bot still the test's."""

    def __init__(self, url: str, app: Any, clock: Any, bot: Any) -> None:
        self.url, self.app, self.clock, self.bot = url, app, clock, bot

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def connected(self, room: str) -> bool:
        return bool(list(self.app.state.realtime_server.manager.get_participants("/", room)))


@contextmanager
def serving_app(app: Any) -> Iterator[str]:
    """`app`, with its socket.io, served by uvicorn in a thread of the test; its base URL."""
    import uvicorn

    from cascade.app import with_realtime

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(with_realtime(app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="uvicorn serving")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


class Customer:
    """A customer chatting over the HTTP contract: starts a conversation, says things, reads it."""

    def __init__(self, http: httpx.Client, *, name: str | None, email: str, page_url: str) -> None:
        started = http.post(
            "/api/conversations",
            json={"customer": {"name": name, "email": email}, "page_url": page_url},
        )
        assert started.status_code == 201, started.text
        self.http = http
        self.id = started.json()["id"]
        self.headers = {"Authorization": f"Bearer {started.json()['token']}"}

    def say(self, text: str) -> dict:
        turn = self.http.post(
            f"/api/conversations/{self.id}/messages",
            json={"text": text, "client_id": uuid.uuid4().hex},
            headers=self.headers,
        )
        assert turn.status_code == 200, turn.text
        return turn.json()

    def view(self) -> dict:
        return self.http.get(f"/api/conversations/{self.id}", headers=self.headers).json()
