"""Careful customers through the real Rasa server, on each dev set, over the HTTP contract.

Run with `make bench-e2e` (`python -m benchmarks.e2e --help` for the sample size). For each set
`cascade up` starts the app and Rasa on free ports with a fresh data directory, the set's
articles are imported, and each sampled query is one customer:

- they send the query as their first message;
- after an answer ("did that answer your question?") they press Yes only if the article shown
  is the one they needed, otherwise they ask for a person: the "Talk to a person" button when
  the bot offers one, No when it does not;
- offered choices, they pick the right one, or ask for a person the same way ("None of these");
- if the bot says anything else, they type that they want a person, in the set's language;
  after six turns still with the bot, they count as kept from a person.

Printed per set: containment of answerable questions (resolved by the bot, which a careful
customer only allows with the right article), the share of answerable questions first shown a
wrong article, unanswerable questions (no expected article) kept from a person (should be 0),
and the dashboard's bot containment (`GET /api/metrics`) against the true share.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import ADMIN_TOKEN, SHARED, stack
from cascade.demo_customers import chosen_article, person_button
from core.language import detect

SETS = ("kb-dev", "kb-dev-hwu", "kb-dev-ja")
# What a customer types to ask for a person, in the language most of the set's queries are in.
ASK_FOR_PERSON = {"en": "I want to talk to a person", "ja": "担当者と話したいです"}
MAX_TURNS = 6


@dataclass
class Outcome:
    expected: str | None
    resolved: bool  # the bot resolved it (the customer pressed Yes)
    person: bool  # handed to a person (queue, agent or ticket)
    first_shown: str | None  # the first article the bot showed, if any
    text: str = ""
    turns: list[dict[str, Any]] = field(default_factory=list)  # what was said, both ways


def buttons_of(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    for message in reversed(messages):
        if message.get("buttons"):
            return list(message["buttons"])
    return []


def careful_reply(
    expected: str | None, messages: list[dict[str, Any]], *, ask_for_person: str
) -> str:
    """What a careful customer sends after the bot's turn."""
    buttons = buttons_of(messages)
    payloads = [b["payload"] for b in buttons]
    shown = next((m["article_id"] for m in reversed(messages) if m.get("article_id")), None)
    if "/affirm" in payloads and shown is not None:
        if shown == expected:
            return "/affirm"
        return person_button(buttons) or "/deny"
    right = next(
        (p for p in payloads if expected is not None and chosen_article(p) == expected), None
    )
    if right is not None:
        return right
    if any(chosen_article(p) for p in payloads):
        return person_button(buttons) or "/deny"
    return person_button(buttons) or ask_for_person


def customer(
    client: httpx.Client, number: int, text: str, expected: str | None, *, ask_for_person: str
) -> Outcome:
    started = client.post(
        "/api/conversations",
        json={
            "customer": {"name": f"Customer {number}", "email": f"c{number}@example.com"},
            "page_url": "https://bench.example/help",
        },
    )
    started.raise_for_status()
    conversation = started.json()
    headers = {"Authorization": f"Bearer {conversation['token']}"}
    first_shown: str | None = None
    message = text
    said: list[dict[str, Any]] = []
    for turn_number in range(MAX_TURNS):
        turn = client.post(
            f"/api/conversations/{conversation['id']}/messages",
            json={"text": message, "client_id": f"m{turn_number}"},
            headers=headers,
        )
        turn.raise_for_status()
        body = turn.json()
        replies = [m for m in body["messages"] if m["sender"] != "customer"]
        said.append(
            {"customer": message, "bot": [said_by(m) for m in replies], "status": body["status"]}
        )
        if first_shown is None:
            first_shown = next((m["article_id"] for m in replies if m.get("article_id")), None)
        if body["status"] != "bot":
            return Outcome(expected, body["status"] == "resolved", body["status"] != "resolved", first_shown, text, said)  # fmt: skip
        message = careful_reply(expected, replies, ask_for_person=ask_for_person)
    return Outcome(expected, False, False, first_shown, text, said)


def said_by(message: dict[str, Any]) -> dict[str, Any]:
    """A bot's or the system's message as a transcript line: its text, article and buttons."""
    kept = {"text": message["text"]}
    if message.get("article_id"):
        kept["article_id"] = message["article_id"]
    if message.get("buttons"):
        kept["buttons"] = [b["payload"] for b in message["buttons"]]
    return kept


def sample(queries: list[dict[str, Any]], per_set: int | None, seed: int) -> list[dict[str, Any]]:
    if per_set is None or per_set >= len(queries):
        return queries
    return random.Random(seed).sample(queries, per_set)


def folder(name: str) -> Path:
    """A set given by its folder (articles.jsonl and queries.jsonl), or a dev set's name."""
    path = Path(name)
    if path.is_dir():
        return path
    if (SHARED / "data" / name).is_dir():
        return SHARED / "data" / name
    raise SystemExit(f"no set {name!r}: give a dev set's name or a folder")


def language_of(queries: list[dict[str, Any]]) -> str:
    """The language most of the queries are written in (Japanese by script, else English)."""
    read = Counter(detect(q["text"]).language for q in queries)
    return "ja" if read["ja"] > read["en"] else "en"


def run_set(set_: str, per_set: int | None, seed: int) -> Figures:
    """One set's careful customers on a fresh stack."""
    data = folder(set_)
    name = data.name
    queries = [
        json.loads(line) for line in (data / "queries.jsonl").read_text().splitlines() if line
    ]
    chosen_queries = sample(queries, per_set, seed)
    ask = ASK_FOR_PERSON[language_of(queries)]
    began = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix=f"cascade-e2e-{name}-") as tmp,
        stack(Path(tmp)) as up,
    ):
        client = up.client
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        client.post(
            "/api/kb/import", content=(data / "articles.jsonl").read_bytes(), headers=admin, timeout=900
        ).raise_for_status()  # fmt: skip
        started = time.perf_counter()
        outcomes = [
            customer(client, i, q["text"], q.get("expected"), ask_for_person=ask)
            for i, q in enumerate(chosen_queries)
        ]
        chats_s = time.perf_counter() - started
        metrics = client.get("/api/metrics", headers=admin)
        metrics.raise_for_status()
        dashboard = metrics.json()
    return Figures(name, outcomes, dashboard, chats_s, time.perf_counter() - began)


@dataclass
class Figures:
    name: str
    outcomes: list[Outcome]
    dashboard: dict[str, Any]  # GET /api/metrics
    chats_s: float
    total_s: float

    def report(self) -> None:
        answerable = [o for o in self.outcomes if o.expected is not None]
        unanswerable = [o for o in self.outcomes if o.expected is None]
        contained = sum(o.resolved for o in answerable)
        wrong = sum(o.first_shown not in (None, o.expected) for o in answerable)
        kept = sum(not o.person for o in unanswerable)
        resolved = sum(o.resolved for o in self.outcomes)
        shown = self.dashboard["bot_containment"]
        print(
            f"{self.name}: {len(self.outcomes)} customers ({len(answerable)} answerable,"
            f" {len(unanswerable)} unanswerable), {self.total_s:.0f} s"
            f" ({self.chats_s / max(1, len(self.outcomes)):.2f} s a customer)"
        )
        print(f"  containment of answerable questions  {ratio(contained, len(answerable))}")
        print(f"  first shown a wrong article          {ratio(wrong, len(answerable))}")
        print(f"  unanswerable kept from a person      {kept} of {len(unanswerable)}")
        print(
            f"  bot containment: dashboard {shown if shown is None else f'{shown:.3f}'}"
            f" ({self.dashboard['bot_contained']} of {self.dashboard['contacts']}),"
            f" true {ratio(resolved, len(self.outcomes))}",
            flush=True,
        )


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f} ({part} of {whole})" if whole else "- (none)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-set", type=int, default=100, help="queries sampled per set (0: all)")
    parser.add_argument("--seed", type=int, default=7, help="the sample's seed")
    parser.add_argument(
        "--sets",
        nargs="*",
        default=list(SETS),
        help="dev sets' names, or folders holding articles.jsonl and queries.jsonl",
    )
    parser.add_argument(
        "--misses",
        type=Path,
        help="write every answerable question not contained here (JSON Lines)",
    )
    args = parser.parse_args()
    per_set = args.per_set or None
    began = time.perf_counter()
    print(
        f"careful customers through the real Rasa server, {'all' if per_set is None else per_set}"
        f" queries per set (seed {args.seed})"
    )
    misses = args.misses.open("w", encoding="utf-8") if args.misses else None
    for set_ in args.sets:
        figures = run_set(set_, per_set, args.seed)
        figures.report()
        for outcome in figures.outcomes:
            if misses and outcome.expected is not None and not outcome.resolved:
                misses.write(
                    json.dumps({"set": figures.name, **asdict(outcome)}, ensure_ascii=False) + "\n"
                )
    if misses:
        misses.close()
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
