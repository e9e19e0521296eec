"""The three development knowledge bases through the HTTP contract, in one table.

Run with `make bench-kb`. For each of kb-dev (English banking), kb-dev-hwu (English home
assistant, with near-domain questions it must not answer) and kb-dev-ja (Japanese carrier): a
fresh app, the articles imported (the limits calibrate themselves on them), every question
asked with `POST /api/kb/search`, and the answers counted with `knowledge_base.replay`, as
`cascade replay` and the editor's test run count them. The same file is then sent to
`POST /api/kb/replay` and its figures must be equal ("replay agrees"). One configuration for
all three: nothing here is tuned per set.

Pass folders to measure other knowledge bases laid out the same way (articles.jsonl,
queries.jsonl with `text` and `expected`).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from benchmarks.common import SHARED, running_app
from knowledge_base.replay import Figures, Row, parse_questions, row_for, summarize
from knowledge_base.search import Decision, Hit, SearchOutcome

SETS = [SHARED / "data" / name for name in ("kb-dev", "kb-dev-hwu", "kb-dev-ja")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def outcome(body: dict) -> SearchOutcome:
    hits = [Hit(h["article_id"], h["title"], h["score"], h["skill"]) for h in body["results"]]
    return SearchOutcome(Decision(body["decision"]), hits)


def measure(data: Path) -> tuple[Figures, list[float], bool, dict]:
    """Figures from per-question searches over HTTP, their latencies (ms), whether the replay
    endpoint gave the same figures, and the calibration the app made."""
    queries = (data / "queries.jsonl").read_text(encoding="utf-8")
    questions = parse_questions(queries)
    rows: list[Row] = []
    latencies: list[float] = []
    with running_app() as client:
        client.post(
            "/api/kb/import", content=(data / "articles.jsonl").read_bytes()
        ).raise_for_status()
        calibration = client.get("/api/kb/calibration").json()
        for question in questions:
            started = time.perf_counter()
            response = client.post("/api/kb/search", json={"query": question.text, "limit": 3})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            found = response.json()
            rows.append(row_for(question, outcome(found), found["to_person"]))
        replayed = client.post("/api/kb/replay", content=queries.encode())
        replayed.raise_for_status()
    figures = summarize(rows).figures
    agrees = replayed.json()["figures"] == figures.__dict__
    return figures, latencies, agrees, calibration


def fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def main(sets: list[Path]) -> list[Figures]:
    print(
        f"{'knowledge base':<16} {'correct':>7} {'wrong':>6} {'oos ans':>7} {'helpful':>7}"
        f" {'choices':>7} {'p50 ms':>6} {'p99 ms':>6}  limits (answer/margin/clarify)  replay"
    )
    out = []
    for data in sets:
        figures, latencies, agrees, cal = measure(data)
        limits = cal["limits"]
        print(
            f"{data.name:<16} {fmt(figures.correct):>7} {fmt(figures.wrong):>6}"
            f" {fmt(figures.out_of_scope_answered):>7} {fmt(figures.helpful):>7}"
            f" {fmt(figures.choices):>7} {statistics.median(latencies):>6.1f}"
            f" {percentile(latencies, 99):>6.1f}  {limits['answer']:.3f}/{limits['margin']:.3f}"
            f"/{limits['clarify']:.3f}{'' if cal['calibrated'] else ' (standard)':<11}"
            f"  {'agrees' if agrees else 'DIFFERS'}",
            flush=True,
        )
        out.append(figures)
    print(
        "correct / wrong / helpful: of the answerable questions (helpful: answered rightly, or"
        " the right article among the choices); oos ans: out-of-scope questions answered."
    )
    return out


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]] or SETS)
