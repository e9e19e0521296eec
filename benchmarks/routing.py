"""Routing at scale: 1,000 agents and 10,000 waiting chats. Run with `make bench-routing`.

The desk is bilingual: one agent in ten chats only in Japanese and one in ten in both languages,
and one chat in five is in Japanese, so routing filters by language as well as by skill.

Prints, per routing decision:
- the pure decision (`select_agent` over 1,000 agents), p50/p99;
- a decision made by the queue against the SQLite database (`Queue.decide()` after one agent
  frees a slot: expire lapsed offers, check wait limits, read agents' loads, walk the queue in
  order to the first chat the free agent can take, write the offer), p50/p99;
- recomputing every waiting customer's position and estimated wait (done after each change);
- the first full pass that hands out every free slot, in total and per offer;
- how close the wait told at queue entry comes to the real wait in a busy hour on a movable
  clock (`benchmarks/busy_hour.py`), against the former estimate.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks import busy_hour
from cascade.storage import open_storage
from core.clock import ManualClock, iso
from core.db import Storage
from handoff.queue import Limits, Queue, queue_rank
from handoff.routing import AgentState, WaitingChat, select_agent
from handoff.tickets import TicketStore

SKILLS = ["cards", "accounts", "payments", "app", "loans", "fraud"]
AGENTS, CHATS = 1_000, 10_000
SPEAKS = [["en"]] * 8 + [["ja"], ["en", "ja"]]  # drawn for each agent
WRITES = ["en"] * 4 + ["ja"]  # drawn for each chat


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def report(name: str, millis: list[float]) -> None:
    print(
        f"  {name:<44} p50 {statistics.median(millis):7.3f} ms   p99 {percentile(millis, 99):7.3f} ms   (n={len(millis)})"
    )


def random_skills(rng: random.Random) -> dict[str, int]:
    return {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(1, 3))}


def pure(rng: random.Random, now: datetime) -> None:
    agents = [
        AgentState(
            f"a{i}",
            random_skills(rng),
            3,
            rng.choice(["online"] * 8 + ["away", "offline"]),
            rng.randint(0, 3),
            now - timedelta(seconds=rng.randint(0, 3600)),
            frozenset(rng.choice(SPEAKS)),
        )
        for i in range(AGENTS)
    ]
    chats = [
        WaitingChat(
            f"c{i}",
            rng.choice(SKILLS),
            "normal",
            now - timedelta(seconds=rng.randint(0, 600)),
            widened=rng.random() < 0.1,
            language=rng.choice(WRITES),
        )
        for i in range(CHATS)
    ]
    millis = []
    for chat in chats:
        started = time.perf_counter()
        select_agent(chat, agents)
        millis.append((time.perf_counter() - started) * 1000)
    report("select_agent, 1,000 agents", millis)


def seeded_queue(rng: random.Random, data_dir: Path) -> tuple[Queue, Storage, ManualClock]:
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    storage = open_storage(data_dir / "bench.db")
    now = iso(clock.now())
    with storage.write() as db:
        db.table("agents").insert_all(
            {
                "id": f"a{i}",
                "name": f"Agent {i}",
                "skills": json.dumps(random_skills(rng)),
                "max_concurrent": 3,
                "status": "online",
                "languages": json.dumps(rng.choice(SPEAKS)),
                "created_at": now,
                "status_changed_at": now,
                "idle_since": now,
            }
            for i in range(AGENTS)
        )
        db.table("conversations").insert_all(
            {
                "id": f"c{i}",
                "status": "queued",
                "skill": rng.choice(SKILLS),
                "priority": (p := rng.choice(["normal"] * 9 + ["high"])),
                "queue_rank": queue_rank(p),
                "queued_at": iso(clock.now() - timedelta(seconds=rng.randint(0, 100))),
                "language": rng.choice(WRITES),
                "created_at": now,
                "updated_at": now,
            }
            for i in range(CHATS)
        )
    limits = Limits(offer_timeout_s=30, skill_wait_s=120, max_wait_s=10**9)
    return (
        Queue(
            storage=storage,
            clock=clock,
            limits=limits,
            tickets=TicketStore(storage=storage, clock=clock),
        ),
        storage,
        clock,
    )


def with_database(rng: random.Random) -> None:
    with tempfile.TemporaryDirectory(prefix="cascade-bench-routing-") as tmp:
        queue, storage, _ = seeded_queue(rng, Path(tmp))
        started = time.perf_counter()
        first = queue.route()
        total = time.perf_counter() - started
        print(
            f"  first pass: {len(first.offers):,} offers to {AGENTS:,} agents in {total:.2f} s"
            f" ({total * 1000 / max(len(first.offers), 1):.3f} ms per offer)"
        )
        millis = []
        for _ in range(200):
            offer_id, conversation_id, agent_id = storage.db.execute(
                "select id, conversation_id, agent_id from offers where status = 'pending' order by random() limit 1"
            ).fetchone()
            storage.db.execute("update offers set status = 'declined' where id = ?", [offer_id])
            started = time.perf_counter()
            made = queue.decide()
            millis.append((time.perf_counter() - started) * 1000)
            assert len(made.offers) == 1, made
        report("Queue.decide(), one decision, 10,000 waiting", millis)
        refresh = []
        for _ in range(5):
            started = time.perf_counter()
            queue.publish_positions()
            refresh.append((time.perf_counter() - started) * 1000)
        report("positions and waits for all 10,000 waiting", refresh)


def main() -> None:
    rng = random.Random(7)
    print(f"routing with {AGENTS:,} agents and {CHATS:,} waiting chats")
    pure(rng, datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    with_database(rng)
    busy_hour.main()


if __name__ == "__main__":
    main()
