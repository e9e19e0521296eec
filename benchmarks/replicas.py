"""What acting as several replicas costs and how fast it recovers (docs/production/scaling-redis.md):

- the knowledge base's version check before a search (one read of one row), and a search with
  the check made every time against one that looks at most every FOLLOW_EVERY_S;
- how long a replica takes to follow an article changed by another (its search after the
  change), on kb-dev's articles with the real model;
- how long after the timers' holder is killed (SIGKILL) another replica holds the lease, with
  the default CASCADE_TIMER_LEASE_S, on a redis-server of its own.

`.venv/bin/python -m benchmarks.replicas [--trials 3] [--lease-s 10]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from benchmarks.common import ROOT, SHARED, free_port

DATA = SHARED / "data" / "kb-dev"
LEASE_KEY = "cascade:bench-lease"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--lease-s", type=float, default=10.0)
    parser.add_argument("--hold", help=argparse.SUPPRESS)  # a child: hold the lease at this URL
    args = parser.parse_args()
    if args.hold:
        asyncio.run(hold(args.hold, args.lease_s))
        return
    version_check()
    lease_takeover(args.trials, args.lease_s)


def version_check() -> None:
    from cascade.storage import open_storage
    from core.clock import SystemClock
    from knowledge_base import following
    from knowledge_base.embedder import load_embedder
    from knowledge_base.importing import parse_jsonl
    from knowledge_base.search import tuned_for
    from knowledge_base.service import KnowledgeBase

    embedder = load_embedder()
    data = Path(tempfile.mkdtemp(prefix="cascade-replicas-"))
    try:

        def replica(name: str) -> KnowledgeBase:
            return KnowledgeBase(
                storage=open_storage(data / "cascade.db"),
                embedder=embedder,
                index_path=data / name / "kb.faiss",
                thresholds=tuned_for(embedder.name),
                clock=SystemClock(),
            )

        a = replica("a")
        articles = parse_jsonl((DATA / "articles.jsonl").read_text())
        a.import_articles(articles)
        b = replica("b")
        questions = [json.loads(line)["text"] for line in (DATA / "queries.jsonl").open()][:200]
        for question in questions:  # their vectors cached: what is left is the search itself
            b.search(question)

        reads = 20_000
        start = time.perf_counter()
        for _ in range(reads):
            following.read_version(b.storage.db)
        read_us = 1e6 * (time.perf_counter() - start) / reads

        def p50_ms(every_s: float) -> float:
            following.FOLLOW_EVERY_S = every_s
            took = []
            for _ in range(3):
                for question in questions:
                    begin = time.perf_counter()
                    b.search(question)
                    took.append(time.perf_counter() - begin)
            return 1000 * statistics.median(took)

        throttled, every_time = p50_ms(0.1), p50_ms(0.0)
        following.FOLLOW_EVERY_S = 0.1

        # An edit on A; B's next search follows it (its index, its words count, calibration).
        edited = articles[0].model_copy(update={"title": articles[0].title + " (updated)"})
        a.save(edited.id, edited, author="bench")
        b.following._next_look = 0.0
        begin = time.perf_counter()
        b.search(questions[0])
        follow_ms = 1000 * (time.perf_counter() - begin)
        assert b.article(edited.id) is not None
        print(
            json.dumps(
                {
                    "articles": len(articles),
                    "version_read_us": round(read_us, 1),
                    "search_p50_ms_cached_vector_look_every_100ms": round(throttled, 3),
                    "search_p50_ms_cached_vector_look_every_search": round(every_time, 3),
                    "search_after_an_edit_elsewhere_ms": round(follow_ms, 1),
                }
            )
        )
    finally:
        shutil.rmtree(data, ignore_errors=True)


async def hold(url: str, lease_s: float) -> None:
    from core.lease import Lease

    await Lease(url, name=LEASE_KEY, ttl_s=lease_s).keep()


def lease_takeover(trials: int, lease_s: float) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="cascade-redis-"))
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    client = redis.Redis.from_url(url)
    holders: dict[int, subprocess.Popen] = {}
    took: list[float] = []
    try:
        wait(lambda: ping(client), 10)

        def holder() -> int | None:
            token = client.get(LEASE_KEY)
            return int(token.decode().split(":")[1]) if token else None

        def start() -> None:
            child = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.replicas", "--hold", url]
                + ["--lease-s", str(lease_s)],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            holders[child.pid] = child

        start()
        start()
        for _ in range(trials):
            first = wait(holder, 30)
            assert first is not None
            os.kill(first, signal.SIGKILL)
            killed = time.monotonic()
            holders.pop(first).wait()
            wait(lambda first=first: holder() not in (None, first), 3 * lease_s)
            took.append(time.monotonic() - killed)
            start()  # two replicas again for the next trial
        print(
            json.dumps(
                {
                    "lease_s": lease_s,
                    "takeover_s": [round(t, 2) for t in took],
                    "max_s": round(max(took), 2),
                }
            )
        )
    finally:
        for child in holders.values():
            child.kill()
            child.wait()
        client.close()
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def wait(check, timeout_s: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.01)
    raise TimeoutError(f"not within {timeout_s} s")


if __name__ == "__main__":
    main()
