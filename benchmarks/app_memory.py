"""The app's resident memory with a large knowledge base. Run with `make bench-memory`
(`python -m benchmarks.app_memory 10000` for one size).

`cascade serve` starts with a fresh data directory and the configured embedding model; the
synthetic articles of `make bench-kb-scale` (a title and two example questions each) are
imported over HTTP (`POST /api/kb/import`, batches of 2,000, each calibrated as imports are),
then 200 questions are searched. Printed per size: the app's resident memory at start, after
the import and after the searches, and the import's time.
"""

from __future__ import annotations

import json
import random
import sys
import time

import psutil

from benchmarks.common import running_app
from benchmarks.kb_scale import synthetic

BATCH = 2_000


def mib(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def measure(n: int) -> None:
    rng = random.Random(11)
    articles = synthetic(n, rng)
    with running_app() as client:
        (app,) = psutil.Process().children()
        started = mib(app)
        began = time.perf_counter()
        for start in range(0, n, BATCH):
            lines = "\n".join(
                json.dumps(a.model_dump(mode="json")) for a in articles[start : start + BATCH]
            )
            client.post("/api/kb/import", content=lines.encode()).raise_for_status()
            print(f"  {min(n, start + BATCH):,} imported, {mib(app):,.0f} MiB", flush=True)
        imported_s = time.perf_counter() - began
        after_import = mib(app)
        for a in rng.sample(articles, 200):  # as bench-kb-scale asks
            query = f"how do I {a.title.split(' ', 3)[2]} {a.questions[0].split(' my ', 1)[1]}"
            client.post("/api/kb/search", json={"query": query}).raise_for_status()
        print(
            f"{n:,} articles: resident memory {started:,.0f} MiB at start, {after_import:,.0f} MiB"
            f" after the import ({imported_s:,.0f} s), {mib(app):,.0f} MiB after 200 searches",
            flush=True,
        )


def main() -> None:
    for n in [int(s) for s in sys.argv[1:]] or [10_000]:
        measure(n)


if __name__ == "__main__":
    main()
