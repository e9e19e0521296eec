"""What `benchmarks.load` runs against, and what its processes use.

By default `cascade up` as anyone starts it: one app and one Rasa process on SQLite in a fresh
data directory. More app replicas or Rasa processes (or `--postgres` with one of each, to tell the
engine's cost from the replicas') run on a throwaway PostgreSQL and Redis (cascade/engines.py),
which `cascade up --replicas N --rasa M` shares among them.

CPU is summed per kind of process (the app's, Rasa's, PostgreSQL's, Redis's, the load
generator's) over every process of that kind and its children, with the children that exited
during the run (their CPU goes to the parent that waited for them: PostgreSQL's backends and
workers come and go). Memory is per process, resident (RSS); PostgreSQL's processes share its
buffers, so its figure is their proportional set sizes (PSS) summed, each shared page once.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis

from benchmarks.common import Stack, stack
from cascade.engines import PostgresServer, RedisServer, running_postgres, running_redis

APP, RASA, POSTGRES, REDIS, LOAD_GENERATOR = "app", "Rasa", "PostgreSQL", "Redis", "load generator"


@dataclass(frozen=True)
class Setup:
    replicas: int = 1
    rasa: int = 1
    postgres: bool = False  # one replica and one Rasa on PostgreSQL and Redis rather than SQLite

    @property
    def shared_engines(self) -> bool:
        """PostgreSQL and Redis: asked for, or needed by more than one process of a kind."""
        return self.postgres or self.replicas > 1 or self.rasa > 1

    def describe(self) -> str:
        engine = "throwaway PostgreSQL and Redis" if self.shared_engines else "SQLite"
        return (
            f"{plural(self.replicas, 'app replica')} and"
            f" {plural(self.rasa, 'Rasa process', 'es')} on {engine}"
        )


def plural(count: int, noun: str, ending: str = "s") -> str:
    return f"{count} {noun}{ending if count != 1 else ''}"


@dataclass(frozen=True)
class Member:
    """A process whose CPU counts towards `kind`, shown as `name` in the memory line."""

    kind: str
    name: str
    process: psutil.Process
    with_children: bool = True  # False when its children are members of their own

    def tree(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.NoSuchProcess):
            if self.with_children:
                return [self.process, *self.process.children(recursive=True)]
        return [self.process]

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in self.tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                t = process.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        return total

    def memory_mib(self) -> float:
        total = 0
        for process in self.tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                if self.kind == POSTGRES:
                    total += process.memory_full_info().pss
                else:
                    total += process.memory_info().rss
        return total / 2**20


@dataclass
class Running:
    setup: Setup
    up: Stack
    postgres: PostgresServer | None = None
    redis: RedisServer | None = None

    @property
    def urls(self) -> list[str]:
        """Every app replica's base URL."""
        return self.up.base_urls

    def engine(self) -> str:
        """The engines' names and versions."""
        if self.postgres is None or self.redis is None:
            return "SQLite"
        with self.postgres.connect() as connection:
            row = connection.execute("SHOW server_version").fetchone()
        with redis.Redis.from_url(self.redis.url) as client:
            redis_version = client.info("server")["redis_version"]
        return f"PostgreSQL {row[0] if row else '?'} and Redis {redis_version}"

    def members(self) -> list[Member]:
        """The app replicas and the Rasa processes in port order, the engines' servers and this
        load generator."""
        top = psutil.Process(self.up.process.pid)
        children = top.children()
        apps = sorted((c for c in children if "cascade.cli" in c.cmdline()), key=port)
        rasas = sorted((c for c in children if "bot.rasa" in c.cmdline()), key=port)
        others = [c for c in children if c not in apps and c not in rasas]
        if self.setup.replicas > 1 or self.setup.rasa > 1:  # `cascade up` only starts the others
            found = [Member(APP, "cascade up", top, with_children=False)]
        else:  # `cascade up` alone serves the app itself
            found, apps = [], [top]
        found += [
            Member(APP, numbered(APP, k, len(apps)), app, with_children=app is not top)
            for k, app in enumerate(apps, start=1)
        ]
        found += [Member(APP, f"{APP}'s child {c.pid}", c) for c in others]
        found += [
            Member(RASA, numbered(RASA, j, len(rasas)), rasa)
            for j, rasa in enumerate(rasas, start=1)
        ]
        if self.postgres is not None:
            postmaster = int((self.postgres.data / "postmaster.pid").read_text().split()[0])
            found.append(Member(POSTGRES, POSTGRES, psutil.Process(postmaster)))
        if self.redis is not None:
            found.append(Member(REDIS, REDIS, psutil.Process(self.redis.process.pid)))
        found.append(Member(LOAD_GENERATOR, LOAD_GENERATOR, psutil.Process(), with_children=False))
        return found


def port(process: psutil.Process) -> int:
    command = process.cmdline()
    return int(command[command.index("--port") + 1]) if "--port" in command else 0


def numbered(name: str, number: int, count: int) -> str:
    return name if count == 1 else f"{name} {number}"


async def used(
    stack: Running, work: Awaitable[None]
) -> tuple[float, dict[str, float], dict[str, float]]:
    """`work` done: how long it took, CPU seconds it took per kind of process, and each
    process's memory afterwards (MiB)."""
    members = stack.members()
    before = cpu_seconds(members)
    began = time.perf_counter()
    await work
    seconds = time.perf_counter() - began
    after = cpu_seconds(members)
    return seconds, {kind: after[kind] - before[kind] for kind in after}, memory(members)


def cpu_seconds(members: list[Member]) -> dict[str, float]:
    """CPU seconds so far, summed per kind."""
    found: dict[str, float] = {}
    for member in members:
        found[member.kind] = found.get(member.kind, 0.0) + member.cpu_seconds()
    return found


def memory(members: list[Member]) -> dict[str, float]:
    """MiB per member; PostgreSQL's named with how many processes it is."""
    found = {}
    for member in members:
        name = member.name
        if member.kind == POSTGRES:
            name = f"{POSTGRES} ({plural(len(member.tree()), 'process', 'es')}, PSS)"
        found[name] = member.memory_mib()
    return found


@contextmanager
def running(directory: Path, setup: Setup) -> Iterator[Running]:
    """`cascade up` as `setup` says, its files in `directory`; with PostgreSQL and Redis of its
    own when it needs them, stopped and removed afterwards."""
    with ExitStack() as held:
        if not setup.shared_engines:
            yield Running(setup, held.enter_context(stack(directory)))
            return
        postgres = held.enter_context(running_postgres())
        (directory / "redis").mkdir()
        redis_server = held.enter_context(running_redis(directory / "redis"))
        env = {"CASCADE_DATABASE_URL": postgres.url, "CASCADE_REDIS_URL": redis_server.url}
        up = held.enter_context(stack(directory, env=env, replicas=setup.replicas, rasa=setup.rasa))
        yield Running(setup, up, postgres, redis_server)
