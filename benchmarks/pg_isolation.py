"""What an empty place of its own costs each test on one throwaway PostgreSQL cluster: a schema,
a database made and dropped in the test's path, or a database made ahead and dropped in the
background (`PostgresServer.fresh_url`, what the suite uses). Each "test" makes 40 tables with an
index and 50 rows each. Time is noisy on a shared machine, so the CPU the ways cost (the
server's processes and this one) is counted too. Also the cluster's start and stop. Figures in
docs/production/engines.md.

    python -m benchmarks.pg_isolation [--tests 60]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import time

import psutil
import psycopg

from cascade.engines import DATABASE, ROLE, PostgresServer, running_postgres

TABLES = 40
INLINE = "database, in the test's path"
NUMBERS = itertools.count()


def a_test(connection: psycopg.Connection) -> None:
    with connection:
        for k in range(TABLES):
            connection.execute(f"CREATE TABLE x{k} (id bigserial PRIMARY KEY, body text)")
            connection.execute(f"CREATE INDEX ON x{k} (body)")
            connection.execute(
                f"INSERT INTO x{k} (body) SELECT repeat('a', 200) FROM generate_series(1, 50)"
            )


def cpu_seconds(server: PostgresServer) -> float:
    """CPU used so far by the server (its ended children included) and by this process."""
    postmaster = psutil.Process(int((server.data / "postmaster.pid").read_text().split()[0]))
    total = sum(postmaster.cpu_times()[:4]) + sum(psutil.Process().cpu_times()[:2])
    for child in postmaster.children():
        with contextlib.suppress(psutil.NoSuchProcess):
            total += sum(child.cpu_times()[:2])
    return total


def measure(server: PostgresServer, way: str, tests: int) -> tuple[float, float, float]:
    """(ms on each test's path, seconds for all `tests`, CPU ms a test)."""
    admin, home = server.connect("postgres"), server.connect()
    on_path, began, cpu = 0.0, time.monotonic(), cpu_seconds(server)
    for n in range(tests):
        t = time.monotonic()
        name, url = f"{way[0]}{next(NUMBERS)}", ""
        if way == "schema":
            home.execute(f"CREATE SCHEMA {name}")
            connection = psycopg.connect(
                host="127.0.0.1",
                port=server.port,
                user=ROLE,
                dbname=DATABASE,
                options=f"-csearch_path={name}",
                autocommit=True,
            )
        elif way == INLINE:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
            connection = server.connect(name)
        else:
            url = server.fresh_url()
            connection = server.connect(url.rsplit("/", 1)[1])
        on_path += time.monotonic() - t
        a_test(connection)
        t = time.monotonic()
        if way == "schema":
            home.execute(f"DROP SCHEMA {name} CASCADE")
        elif way == INLINE:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        else:
            server.drop(url, wait=n == tests - 1)  # the last waits for every drop still due
        on_path += time.monotonic() - t
    admin.close()
    home.close()
    cpu = cpu_seconds(server) - cpu
    return on_path / tests * 1000, time.monotonic() - began, cpu / tests * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=60)
    tests = parser.parse_args().tests
    began = time.monotonic()
    with running_postgres() as server:
        print(f"cluster started in {time.monotonic() - began:.2f} s")
        ways = ("schema", INLINE, "database, made ahead")
        for way in ways + ways[::-1]:  # and back, so a machine getting busier favours none
            per_test, total, cpu = measure(server, way, tests)
            print(
                f"{way}: {per_test:.1f} ms on each test's path; {tests} tests in {total:.1f} s;"
                f" {cpu:.0f} ms of CPU a test"
            )
        stopping = time.monotonic()
    print(f"stopped and removed in {time.monotonic() - stopping:.2f} s")


if __name__ == "__main__":
    main()
