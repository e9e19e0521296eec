"""The throwaway servers the tests and benchmarks run on (cascade/engines.py), and the suite's
run on PostgreSQL: real Debian PostgreSQL clusters, started, used, stopped.

The tests run as root here, so they also show the cluster working as root (its server then runs
as another user)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from cascade.engines import DROP_BATCH, SERVER_USER, PostgresServer, free_port, running_postgres
from tests.helpers import ROOT, wait_until

pytestmark = pytest.mark.engine_independent  # starts the engines it tests


def tables(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def databases(server: PostgresServer) -> set[str]:
    with server.connect("postgres") as connection:
        return {name for (name,) in connection.execute("SELECT datname FROM pg_database")}


def process_owner(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("Uid:", 1)[1].split()[0])


def nothing_listens_on(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_free_ports_are_in_a_row_free_and_never_ones_the_kernel_hands_out() -> None:
    """The kernel gives ports of its ephemeral range to outgoing connections and to binds to
    port 0 of any process; a server slow to listen (Rasa loads its model first) would lose its
    port to one of them."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for count in (1, 4):
        first = free_port(count)
        assert first + count <= low
        held = [socket.socket() for _ in range(count)]
        try:
            for port, sock in zip(range(first, first + count), held, strict=True):
                sock.bind(("127.0.0.1", port))  # each one is free
        finally:
            for sock in held:
                sock.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        assert sock.getsockname()[1] >= low  # the range is the kernel's own


def test_a_cluster_starts_answers_as_its_own_user_and_is_gone_after_stop() -> None:
    with running_postgres() as server:
        with server.connect() as connection:
            version, fsync = connection.execute(
                "SELECT version(), current_setting('fsync')"
            ).fetchone()
        assert version.startswith("PostgreSQL ") and fsync == "off"
        assert server.url == f"postgresql+psycopg://cascade@127.0.0.1:{server.port}/cascade"
        pid = int((server.data / "postmaster.pid").read_text().split()[0])
        us = os.geteuid()
        assert process_owner(pid) == (pwd.getpwnam(SERVER_USER).pw_uid if us == 0 else us)
        directory, port = server.directory, server.port
        assert directory.is_dir()
    assert not server.answers()
    assert not directory.exists()
    assert nothing_listens_on(port)


def test_two_fresh_databases_do_not_see_each_other(postgres_server: PostgresServer) -> None:
    with postgres_server.fresh() as first, postgres_server.fresh() as second:
        assert first != second
        engine = sa.create_engine(first)  # the URL as the app gets it: SQLAlchemy with psycopg 3
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE articles (id int PRIMARY KEY, title text)"))
            connection.execute(sa.text("INSERT INTO articles VALUES (1, 'Lost card')"))
        engine.dispose()
        assert tables(first) == ["articles"]
        assert tables(second) == []


def test_used_databases_are_dropped_even_with_a_connection_left_open() -> None:
    with running_postgres() as server:  # its own: the count of drops waiting is the test's
        urls = [server.fresh_url() for _ in range(DROP_BATCH + 1)]
        names = [url.rsplit("/", 1)[1] for url in urls]
        left_open = server.connect(names[0])  # a test that forgot to close its connection
        assert set(names) <= databases(server)
        for url in urls[:DROP_BATCH]:  # dropped together, in the background
            server.drop(url)
        wait_until(
            lambda: databases(server) & set(names) == {names[-1]},
            what="a batch of databases dropped",
        )
        with pytest.raises(psycopg.OperationalError):  # ended by the drop
            left_open.execute("SELECT 1")
        left_open.close()
        server.drop(urls[-1], wait=True)  # alone, at once
        assert not databases(server) & set(names)


PROBE = """
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

SEEN = []


def tables(url):
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def module_url():
    return os.environ["CASCADE_DATABASE_URL"]


@pytest.mark.parametrize("n", [1, 2])
def test_each_test_has_an_empty_database_of_its_own(n, module_url):
    url = os.environ["CASCADE_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and url != module_url
    assert tables(url) == []
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE mine (id int)"))
    engine.dispose()
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ['CASCADE_DATABASE_URL'])"],
        capture_output=True, text=True, check=True,
    )
    assert child.stdout.strip() == url  # `cascade serve` started by a test gets it too
    SEEN.append(url)


def test_the_two_were_different():
    assert len(set(SEEN)) == 2
"""


def test_the_suite_on_postgres_gives_every_test_an_empty_database(tmp_path: Path) -> None:
    """A small suite run with CASCADE_TEST_POSTGRES=1 and this suite's fixtures: each test and
    the module's fixture see a database of their own, processes they start inherit it, and the
    run leaves no cluster behind."""
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(PROBE))
    clusters = Path(tempfile.mkdtemp(prefix="cascade-probe-"))  # reachable by the server's user
    clusters.chmod(0o755)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest"]
            + ["--rootdir", str(tmp_path), "--basetemp", str(tmp_path / "basetemp")]
            + [str(tmp_path / "test_probe.py")],
            cwd=tmp_path,
            env={**os.environ, "CASCADE_TEST_POSTGRES": "1", "TMPDIR": str(clusters)}
            | {"PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "3 passed" in run.stdout
        assert list(clusters.iterdir()) == []
    finally:
        shutil.rmtree(clusters, ignore_errors=True)
