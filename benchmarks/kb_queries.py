"""Per-question CPU and wall time of knowledge search, alone and from 8 and 32 threads, on
kb-dev's articles and questions (docs/production/throughput-kb.md).

`.venv/bin/python -m benchmarks.kb_queries [--spin 0|1] [--window MS] [--max N]`
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import onnxruntime

from benchmarks.common import SHARED

DATA = SHARED / "data" / "kb-dev"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spin", choices=["0", "1", "default"], default="default")
    parser.add_argument("--window", type=float, default=0.0)
    parser.add_argument("--max", type=int, default=16)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 8, 32])
    parser.add_argument("--queries", type=int, default=256)
    args = parser.parse_args()

    if args.spin != "default":
        original = onnxruntime.InferenceSession.__init__

        def init(self, path, options=None, *a, **k):  # type: ignore[no-untyped-def]
            options = options or onnxruntime.SessionOptions()
            options.add_session_config_entry("session.intra_op.allow_spinning", args.spin)
            original(self, path, options, *a, **k)

        onnxruntime.InferenceSession.__init__ = init  # type: ignore[method-assign]

    from cascade.storage import open_storage
    from core.clock import SystemClock
    from knowledge_base.embedder import load_embedder
    from knowledge_base.importing import parse_jsonl
    from knowledge_base.search import tuned_for
    from knowledge_base.service import KnowledgeBase

    embedder = load_embedder()
    data = Path(tempfile.mkdtemp(prefix="cascade-kb-queries-"))
    storage = open_storage(data / "cascade.db")
    kb = KnowledgeBase(
        storage=storage,
        embedder=embedder,
        index_path=data / "kb.faiss",
        thresholds=tuned_for(embedder.name),
        clock=SystemClock(),
        **({"batch_window_ms": args.window, "batch_max": args.max} if args.window else {}),
        targets=None,
    )
    kb.import_articles(parse_jsonl((DATA / "articles.jsonl").read_text()))
    questions = [json.loads(line)["text"] for line in (DATA / "queries.jsonl").open()]
    for q in questions[:20]:  # warm up
        kb.search(q)

    print(f"spin={args.spin} window={args.window} ms max={args.max}")
    for threads in args.threads:
        total = args.queries if threads > 1 else args.queries // 2
        latencies: list[float] = []
        lock = threading.Lock()
        counter = iter(range(total))

        def worker(
            lock: threading.Lock = lock,
            counter: Iterator[int] = counter,
            latencies: list[float] = latencies,
        ) -> None:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                start = time.perf_counter()
                kb.search(questions[(n * 7) % len(questions)])
                took = time.perf_counter() - start
                with lock:
                    latencies.append(took)

        cpu, wall = time.process_time(), time.perf_counter()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        print(
            f"  {threads:>2} threads: {1000 * cpu / total:5.1f} ms CPU/q"
            f"  {total / wall:6.1f} q/s  latency p50 {1000 * statistics.median(latencies):6.1f}"
            f" ms  p99 {1000 * p99:6.1f} ms"
        )


if __name__ == "__main__":
    main()
