"""kb-dev through the HTTP contract: import the articles, ask every question, print the figures.

Run with `make bench-kb`. Reported as kb-dev's README asks: answered-correct and wrong-answer
rates on in-domain questions, the share of out-of-scope questions escalated (not answered),
plus clarify-hit and search latency.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from benchmarks.common import SHARED, running_app


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main(data: Path = SHARED / "data" / "kb-dev") -> dict[str, float]:
    queries = [
        json.loads(line) for line in (data / "queries.jsonl").read_text().splitlines() if line
    ]
    with running_app() as client:
        response = client.post("/api/kb/import", content=(data / "articles.jsonl").read_bytes())
        response.raise_for_status()
        counts = {
            "correct": 0,
            "wrong": 0,
            "clarify_hit": 0,
            "clarify": 0,
            "oos_escalated": 0,
            "oos_strict": 0,
        }
        latencies: list[float] = []
        for query in queries:
            started = time.perf_counter()
            result = client.post("/api/kb/search", json={"query": query["text"], "limit": 3})
            latencies.append((time.perf_counter() - started) * 1000)
            result.raise_for_status()
            body = result.json()
            decision, ids = body["decision"], [r["article_id"] for r in body["results"]]
            expected = query["expected"]
            if expected is None:
                counts["oos_escalated"] += decision != "answer"
                counts["oos_strict"] += decision == "escalate"
            elif decision == "answer":
                counts["correct" if ids[0] == expected else "wrong"] += 1
            elif decision == "clarify":
                counts["clarify"] += 1
                counts["clarify_hit"] += expected in ids
    in_domain = sum(q["expected"] is not None for q in queries)
    out_of_scope = len(queries) - in_domain
    figures = {
        "answered_correct": counts["correct"] / in_domain,
        "wrong": counts["wrong"] / in_domain,
        "clarify_hit": counts["clarify_hit"] / in_domain,
        "oos_escalated": counts["oos_escalated"] / out_of_scope,
        "oos_escalated_strict": counts["oos_strict"] / out_of_scope,
        "search_p50_ms": statistics.median(latencies),
        "search_p99_ms": percentile(latencies, 99),
    }
    print(f"kb-dev: {in_domain} in-domain and {out_of_scope} out-of-scope questions, over HTTP")
    print(f"  answered correctly      {figures['answered_correct']:.3f}")
    print(f"  answered wrongly        {figures['wrong']:.3f}")
    print(f"  clarified, right choice {figures['clarify_hit']:.3f}")
    print(
        f"  out-of-scope escalated  {figures['oos_escalated']:.3f}  (not answered; strictly escalated: {figures['oos_escalated_strict']:.3f})"
    )
    print(
        f"  search latency          p50 {figures['search_p50_ms']:.1f} ms, p99 {figures['search_p99_ms']:.1f} ms"
    )
    return figures


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "data" / "kb-dev")
