"""Throwaway PostgreSQL and Redis servers on loopback, for the tests, the benchmarks and a trial
of several replicas on one machine: each starts in a temporary directory on a free port, is waited
for until it answers, and is stopped and removed afterwards.

Never for data anyone keeps: PostgreSQL runs here without fsync, synchronous commit or full-page
writes (a crash can lose or corrupt the cluster, which a test run throws away anyway) and trusts
every connection from loopback. Both are Debian's packages, which `make test` installs.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import random
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

# PostgreSQL refuses to run as root; when we are root its programs run as this user, which
# Debian's `postgresql` package creates (and which owns nothing of ours but the cluster).
SERVER_USER = "postgres"
ROLE = "cascade"  # the cluster's superuser, made by initdb; the app connects as it
DATABASE = "cascade"
# Speed over durability, for a cluster thrown away after the run; connections enough for several
# app processes, each with its pool, and the tests' own.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "64MB",
}
SPARES = 2  # empty databases made ahead for `fresh_url`
DROP_BATCH = 16  # used databases dropped together (at most this many wait, about 8 MB each)
START_ATTEMPTS = 3  # a free port can be taken between choosing and binding it


def free_port(count: int = 1) -> int:
    """The first of `count` TCP ports in a row on loopback that nothing holds at the moment of
    asking, drawn at random from below the kernel's ephemeral range.

    Written here rather than asked of the kernel (binding port 0): the kernel hands out ports of
    its ephemeral range by itself, to every outgoing connection and every bind to port 0, so a
    port chosen there can be taken by another process between choosing and binding it. The gap is
    long for Rasa, which listens only once its model is loaded (a minute on a busy machine), and
    `make test` runs two suites at once. Below the range, only another caller of this function
    could take the port, and each draws at random from thousands."""
    low = _ephemeral_low()
    lowest = 10000 if low > 10000 + 1000 else 1024
    for _ in range(1000):
        first = random.randrange(lowest, low - count)
        if all(_bindable(port) for port in range(first, first + count)):
            return first
    raise RuntimeError(f"no {count} free loopback ports in a row below {low}")


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux's default when unreadable)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for(
    check: Callable[[], bool],
    *,
    what: str,
    timeout_s: float = 60,
    process: subprocess.Popen | None = None,
) -> None:
    """Polls `check` until it is true; a `process` that exits ends the wait with an error."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout_s} s")
        time.sleep(0.05)


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- Redis -------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A throwaway redis-server on a loopback port: `url` for the app, `stop()` to take it away."""

    url: str
    process: subprocess.Popen

    def answers(self) -> bool:
        try:
            with redis.Redis.from_url(self.url, socket_timeout=5) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        stop_process(self.process)


@contextmanager
def running_redis(directory: Path) -> Iterator[RedisServer]:
    """Debian's redis-server on a free loopback port, keeping nothing on disk; yields it once it
    answers PING. Missing, it is an error rather than a skip: `make test` installs it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (`make test` installs Debian's)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(directory), "--logfile", str(directory / "redis.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    server = RedisServer(f"redis://127.0.0.1:{port}", process)
    try:
        wait_for(server.answers, what="redis-server answering PING", process=process)
        yield server
    finally:
        server.stop()


# -- PostgreSQL --------------------------------------------------------------------------------


def postgres_program(name: str) -> str:
    """Debian's `initdb`, `pg_ctl`, … from the newest /usr/lib/postgresql/<version>/bin (they are
    not on PATH: Debian's own wrappers there manage system clusters, not throwaway ones)."""
    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (`make test` installs Debian's)")
    return max(found, key=lambda path: int(re.sub(r"\D", "", Path(path).parent.parent.name) or 0))


def as_server_user(argv: list[str]) -> list[str]:
    """`argv` run as SERVER_USER when we are root (initdb and postgres refuse root), else as is."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SERVER_USER, "--", *argv]


def _run(argv: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(as_server_user(argv), cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster on a loopback port. `url` names its `cascade` database;
    `fresh_url()` gives another, empty one; `stop()` stops the server and removes the cluster.

    Databases are made ahead and dropped in one background thread with a connection of its own,
    so a test waits for neither (making one takes 25 ms or more). Used ones are dropped together:
    each drop takes a checkpoint, 70-120 ms after a test's writes, 15 ms right after another."""

    directory: Path
    port: int
    _numbers: Iterator[int] = field(default_factory=itertools.count, repr=False)
    _worker: ThreadPoolExecutor | None = field(default=None, repr=False)
    _admin: psycopg.Connection | None = field(default=None, repr=False)  # the worker's alone
    _ready: deque[Future[str]] = field(default_factory=deque, repr=False)
    _used: list[str] = field(default_factory=list, repr=False)
    _dropped: list[Future[None]] = field(default_factory=list, repr=False)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return self.url_of(DATABASE)

    def url_of(self, database: str) -> str:
        """A SQLAlchemy URL (psycopg 3 driver) for one of the cluster's databases."""
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = DATABASE) -> psycopg.Connection:
        """A plain psycopg connection (autocommit), for the tests' own looks into a database."""
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=ROLE, dbname=database, autocommit=True
        )

    def answers(self) -> bool:
        try:
            with self.connect("postgres") as connection:
                return connection.execute("SELECT 1").fetchone() == (1,)
        except psycopg.OperationalError:
            return False

    def fresh_url(self) -> str:
        """A new, empty database of its own (copied from template0), kept until `drop` or `stop`:
        nothing one test does (tables, sequences, advisory locks, LISTEN) reaches another's."""
        while len(self._ready) <= SPARES:
            name = f"t{next(self._numbers)}"
            self._ready.append(self._background().submit(self._create, name))
        return self.url_of(self._ready.popleft().result())

    def drop(self, url: str, *, wait: bool = False) -> None:
        """Drops the database `url` names, ending any connection still open to it: in the
        background, with others once DROP_BATCH are waiting, or at once with `wait`. `stop()`
        raises the first drop that failed."""
        self._used.append(url.rsplit("/", 1)[1].split("?", 1)[0])
        if wait or len(self._used) >= DROP_BATCH:
            self._dropped.append(self._background().submit(self._drop_all, self._used))
            self._used = []
        if wait:
            self._dropped[-1].result()

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """`fresh_url()`, dropped again afterwards."""
        url = self.fresh_url()
        try:
            yield url
        finally:
            self.drop(url)

    def _background(self) -> ThreadPoolExecutor:
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="postgres-databases")
        return self._worker

    def _admin_connection(self) -> psycopg.Connection:
        """The worker thread's own connection."""
        if self._admin is None:
            self._admin = self.connect("postgres")
        return self._admin

    def _create(self, name: str) -> str:
        self._admin_connection().execute(f"CREATE DATABASE {quoted(name)} TEMPLATE template0")
        return name

    def _drop_all(self, names: list[str]) -> None:
        for name in names:
            self._admin_connection().execute(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)")

    def _finish_background(self) -> None:
        if self._worker is None:
            return
        self._worker.shutdown(wait=True, cancel_futures=True)  # spares not yet made are not made
        self._worker = None
        if self._admin is not None:
            self._admin.close()
        failed = [f.exception() for f in self._dropped if not f.cancelled() and f.exception()]
        self._dropped.clear()
        if failed:
            raise RuntimeError(f"{len(failed)} database(s) were not dropped") from failed[0]

    def start(self) -> None:
        log = self.directory / "postgres.log"
        argv = [postgres_program("pg_ctl"), "start", "-D", str(self.data), "-l", str(log)]
        _run(argv + ["-w", "-t", "120", "-o", f"-p {self.port}"], self.directory, "pg_ctl start")

    def stop(self) -> None:
        """Stops the server (fast shutdown: open sessions are ended) and removes the cluster."""
        try:
            self._finish_background()
        finally:
            if (self.data / "postmaster.pid").exists():
                argv = [postgres_program("pg_ctl"), "stop", "-D", str(self.data), "-m", "fast"]
                _run(argv + ["-w"], self.directory, "pg_ctl stop")
            shutil.rmtree(self.directory, ignore_errors=True)


def init_cluster(directory: Path) -> None:
    """initdb into `directory`/data: UTF-8, C collation, trust on loopback; then our settings,
    with the server's socket inside `directory` rather than in /var/run/postgresql."""
    data = directory / "data"
    argv = [postgres_program("initdb"), "-D", str(data), "-U", ROLE, "-E", "UTF8", "--locale=C"]
    argv += ["--auth-host=trust", "--auth-local=trust", "--no-sync", "--no-instructions"]
    _run(argv, directory, "initdb")
    settings = {**SETTINGS, "unix_socket_directories": f"'{directory}'"}
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n# A throwaway cluster (cascade/engines.py)\n")
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())


def start(server: PostgresServer) -> None:
    """Starts the server, on another free port if its port was taken meanwhile."""
    log = server.directory / "postgres.log"
    for attempt in range(START_ATTEMPTS):
        seen = log.stat().st_size if log.exists() else 0
        try:
            server.start()
            return
        except RuntimeError as error:
            with log.open(errors="replace") as text:
                text.seek(seen)
                said = text.read()
            if "could not bind" not in said or attempt == START_ATTEMPTS - 1:
                raise RuntimeError(f"PostgreSQL did not start; its log:\n{said[-3000:]}") from error
            server.port = free_port()


@contextmanager
def running_postgres(directory: Path | None = None) -> Iterator[PostgresServer]:
    """Debian's PostgreSQL, a new cluster in a temporary directory inside `directory` (default:
    the system's temporary directory) on a free loopback port, with an empty `cascade` database;
    yields it once it accepts connections, and stops and removes it afterwards.

    As root, the cluster belongs to SERVER_USER, which must be able to reach `directory` (pytest's
    own temporary directories are private to root: use the default)."""
    cluster = Path(tempfile.mkdtemp(prefix="cascade-postgres-", dir=directory))
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(cluster, user.pw_uid, user.pw_gid)
    server = PostgresServer(cluster, free_port())
    try:
        init_cluster(cluster)
        start(server)
        wait_for(server.answers, what="PostgreSQL accepting connections")
        with server.connect("postgres") as connection:
            connection.execute(f"CREATE DATABASE {DATABASE} TEMPLATE template0")
        yield server
    finally:
        server.stop()


def main() -> None:
    """`python -m cascade.engines`: a throwaway PostgreSQL and Redis for a trial of several
    replicas on one machine. Prints the two settings to export, and stops and removes both at
    Ctrl-C or SIGTERM."""
    import signal

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    with running_postgres() as postgres, running_redis(Path(tempfile.mkdtemp())) as redis_server:
        print(f"export CASCADE_DATABASE_URL={postgres.url}", flush=True)
        print(f"export CASCADE_REDIS_URL={redis_server.url}", flush=True)
        print("# throwaway servers (no fsync): Ctrl-C stops and removes them", flush=True)
        with suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
