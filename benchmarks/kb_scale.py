"""The knowledge base at 10,000 and 100,000 articles. Run with `make bench-kb-scale`.

Synthetic articles (a title and two example questions each, built from word lists) are
imported in batches through the same code path as `POST /api/kb/import`, then searched with
paraphrased questions. Printed per size: import time, database and index size, peak memory,
search p50/p99 (query embedding included) with exact search, and the recall@1 and search time
of an IVF index against exact search. `CASCADE_KB_IVF_FROM` picks the index type by size.
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cascade.app import thresholds_from
from cascade.storage import open_storage
from core.clock import SystemClock
from core.settings import Settings
from knowledge_base.embedder import Embedder, load_embedder
from knowledge_base.index import VectorIndex
from knowledge_base.search import tuned_for
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleIn

ACTIONS = [
    "change",
    "cancel",
    "renew",
    "update",
    "reset",
    "transfer",
    "close",
    "open",
    "pause",
    "report",
    "dispute",
    "refund",
    "activate",
    "replace",
    "upgrade",
    "download",
    "share",
    "verify",
    "unlock",
    "schedule",
]
THINGS = [
    "card",
    "account",
    "password",
    "address",
    "payment",
    "subscription",
    "order",
    "invoice",
    "loan",
    "phone number",
    "email address",
    "direct debit",
    "statement",
    "delivery",
    "booking",
    "warranty",
    "voucher",
    "pension",
    "mortgage",
    "insurance policy",
    "parcel",
    "ticket",
    "membership",
    "gift card",
    "device",
    "router",
    "meter reading",
    "tax form",
]
PLACES = [
    "online",
    "in the app",
    "abroad",
    "at a branch",
    "by phone",
    "for my business",
    "for my child",
    "after moving house",
    "while travelling",
    "on a joint account",
    "before the deadline",
    "for a deceased relative",
    "on weekends",
    "from another bank",
    "with a new phone",
    "in another currency",
    "for the first time",
    "after a divorce",
]


def synthetic(n: int, rng: random.Random) -> list[ArticleIn]:
    combos = [(a, t, p) for a in ACTIONS for t in THINGS for p in PLACES]
    rng.shuffle(combos)
    articles = []
    for i in range(n):
        action, thing, place = combos[i % len(combos)]
        variant = f" (plan {i // len(combos) + 1})" if i >= len(combos) else ""
        articles.append(
            ArticleIn(
                id=f"a{i}",
                title=f"How to {action} your {thing} {place}{variant}",
                body=f"Step-by-step help to {action} a {thing} {place}.",
                questions=[f"can I {action} my {thing} {place}", f"{action} {thing} {place} help"],
                skill=rng.choice(["cards", "accounts", "payments", "app"]),
            )
        )
    return articles


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, embedder: Embedder, rng: random.Random) -> None:
    articles = synthetic(n, rng)
    with tempfile.TemporaryDirectory(prefix="cascade-kb-scale-") as tmp:
        storage = open_storage(Path(tmp) / "kb.db")
        kb = KnowledgeBase(
            storage=storage,
            embedder=embedder,
            index_path=Path(tmp) / "kb.faiss",
            thresholds=tuned_for(embedder.name),
            overrides=thresholds_from(Settings()),
            clock=SystemClock(),
            ivf_from=10**9,
        )
        started = time.perf_counter()
        for i in range(0, n, 2000):
            kb.import_articles(articles[i : i + 2000])
        imported = time.perf_counter() - started
        db_mb = (Path(tmp) / "kb.db").stat().st_size / 2**20
        index_mb = (Path(tmp) / "kb.faiss").stat().st_size / 2**20

        sample = rng.sample(articles, 300)
        queries = [
            f"how do I {a.title.split(' ', 3)[2]} {a.questions[0].split(' my ', 1)[1]}"
            for a in sample
        ]
        millis = []
        for q in queries:
            t = time.perf_counter()
            kb.search(q, limit=3)
            millis.append((time.perf_counter() - t) * 1000)

        # IVF against exact search on the same vectors.
        members, matrix = kb.index.centroids()
        keys = np.array([k for k, _ in members], dtype=np.int64)
        query_vectors = embedder.encode(queries)
        exact = VectorIndex.build(embedder.dim, keys, matrix, ivf_from=10**9, nprobe=1)
        started = time.perf_counter()
        ivf = VectorIndex.build(embedder.dim, keys, matrix, ivf_from=0, nprobe=16)
        trained = time.perf_counter() - started
        print(f"\n{n:,} articles")
        print(
            f"  import (embed, store, index)  {imported:8.1f} s  ({n / imported:,.0f} articles/s)"
        )
        print(
            f"  database {db_mb:,.1f} MiB, flat index {index_mb:,.1f} MiB, IVF index {ivf.size_bytes() / 2**20:,.1f} MiB"
        )
        print(f"  peak memory (process)         {peak_mb():8.0f} MiB")
        print(
            f"  search, exact, with embedding p50 {statistics.median(millis):6.1f} ms   p99 {percentile(millis, 99):6.1f} ms"
        )
        for nprobe in (8, 16, 32):
            ivf.set_nprobe(nprobe)
            hits, index_ms, exact_ms = 0, [], []
            for v in query_vectors:
                t = time.perf_counter()
                truth = exact.search(v, 1)
                exact_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                got = ivf.search(v, 1)
                index_ms.append((time.perf_counter() - t) * 1000)
                hits += bool(got) and got[0][0] == truth[0][0]
            print(
                f"  IVF nprobe={nprobe:<3} recall@1 {hits / len(query_vectors):.3f}   "
                f"index search p50 {statistics.median(index_ms):.2f} ms vs exact {statistics.median(exact_ms):.2f} ms"
                f"   (IVF trained in {trained:.1f} s)"
            )


def main(sizes: list[int]) -> None:
    embedder = load_embedder(Settings().embedding_model)
    print(f"embedding model: {embedder.name} ({embedder.dim} dimensions)")
    rng = random.Random(11)
    for n in sizes:
        run(n, embedder, rng)


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [10_000, 100_000])
