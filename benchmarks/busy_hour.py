"""A busy hour on the live-chat desk, on a clock that only moves when told: how close the wait a
customer is told when joining the queue comes to the wait they then have.

Customers arrive at random (Poisson, from a seed) needing cards, payments, accounts or nobody in
particular, a few with high priority; eight agents with one or two skills take two or three
chats at once, accept an offer within seconds and spend a handle time drawn from a seeded
log-normal distribution on each chat. Everything runs through the app's own queue, desk and
hand-over on a real database: the hand-over's message tells the wait, the queue's timer runs as
it does in the app, and the real wait is from joining the queue to an agent accepting.

`make bench-routing` prints the figures; tests/test_waits.py holds the estimate to them.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cascade.storage import open_storage
from conversations.people import HandoffRequest
from conversations.store import ConversationStore
from core.clock import ManualClock, iso
from core.db import Storage
from handoff.desk import Desk
from handoff.handover import Handover
from handoff.queue import Limits, Queue
from handoff.routing import GENERAL
from handoff.tickets import TicketStore

# (skills, chats at once) for each agent: 20 slots.
AGENTS: tuple[tuple[dict[str, int], int], ...] = (
    ({"cards": 3}, 3),
    ({"cards": 2}, 2),
    ({"cards": 2, "payments": 3}, 3),
    ({"payments": 3}, 2),
    ({"payments": 2, "accounts": 3}, 3),
    ({"accounts": 3}, 2),
    ({"cards": 1, "accounts": 2}, 2),
    ({"payments": 2}, 3),
)
NEEDS = {"cards": 0.4, "payments": 0.3, "accounts": 0.2, GENERAL: 0.1}


@dataclass(frozen=True)
class Hour:
    seed: int = 7
    arrivals_per_hour: float = 190.0  # the 20 slots serve about 180 an hour
    warm_up_s: float = 1200.0  # chats before the measured hour, so the desk is busy already
    hour_s: float = 3600.0
    handle_median_s: float = 360.0
    handle_sigma: float = 0.45  # of the log: most chats take 3 to 9 minutes
    accept_s: tuple[float, float] = (3.0, 15.0)
    high_priority: float = 0.05
    tick_s: float = 1.0  # the queue's timer, as `route_interval_s`


@dataclass
class Measured:
    """Per chat that joined the queue in the measured hour: the wait it was told, and the
    wait it had (seconds)."""

    told: list[int | None] = field(default_factory=list)
    rate_told: list[int | None] = field(default_factory=list)  # by the former estimate
    waited: list[float] = field(default_factory=list)

    @staticmethod
    def _median_error(told: list[int | None], waited: list[float]) -> float:
        # A chat told "nobody can take it" that then got someone counts as wrong by its wait.
        return statistics.median(abs((t or 0) - w) for t, w in zip(told, waited, strict=True))

    @property
    def median_error_s(self) -> float:
        return self._median_error(self.told, self.waited)

    @property
    def rate_median_error_s(self) -> float:
        return self._median_error(self.rate_told, self.waited)

    @property
    def median_wait_s(self) -> float:
        return statistics.median(self.waited)


def rate_estimate(queue: Queue) -> dict[str, int | None]:
    """The estimate as it was before it forecast the queue: the slots a chat must wait for free
    at the rate of the skill's whole capacity over the mean of the last 20 handle times; chats
    in progress, other skills' chats and the skill wait limit play no part."""
    now = queue.clock.now()
    pending = queue.lineup.pending()
    agents = queue.lineup.agent_states(online_only=True, pending=pending)
    handle_s = queue.estimates.handle_times(recent=20).mean_s
    everyone = (sum(a.max_concurrent for a in agents), sum(max(a.free, 0) for a in agents))
    by_skill: dict[str, tuple[int, int]] = {}
    for a in agents:
        for skill in a.skills:
            capacity, free = by_skill.get(skill, (0, 0))
            by_skill[skill] = (capacity + a.max_concurrent, free + max(a.free, 0))
    unserved: dict[str, int] = {}
    result: dict[str, int | None] = {}
    for chat, offered in queue.lineup.waiting(now, offered=pending.chats):
        if chat.skill == GENERAL or chat.widened:
            capacity, free = everyone
        else:
            capacity, free = by_skill.get(chat.skill, (0, 0))
        if offered:
            result[chat.id] = 0
            continue
        if capacity == 0:
            result[chat.id] = None
        else:
            waiting_for = unserved.get(chat.skill, 0) + 1 - free
            result[chat.id] = max(0, math.ceil(waiting_for * handle_s / capacity))
        unserved[chat.skill] = unserved.get(chat.skill, 0) + 1
    return result


class Floor:
    """The app's queue, desk and hand-over on one database and a manual clock."""

    def __init__(self, storage: Storage, clock: ManualClock) -> None:
        self.clock = clock
        self.storage = storage
        tickets = TicketStore(storage=storage, clock=clock)
        limits = Limits(max_wait_s=10**9, idle_limit_s=10**9)
        self.queue = Queue(storage=storage, clock=clock, limits=limits, tickets=tickets)
        self.desk = Desk(storage=storage, clock=clock, queue=self.queue, tickets=tickets)
        self.handover = Handover(
            storage=storage, clock=clock, queue=self.queue, desk=self.desk, tickets=tickets
        )
        self.conversations = ConversationStore(storage)
        now = iso(clock.now())
        with storage.write() as db:
            db.table("agents").insert_all(
                {
                    "id": f"agent-{n}",
                    "name": f"Agent {n}",
                    "skills": json.dumps(skills),
                    "max_concurrent": slots,
                    "status": "online",
                    "created_at": now,
                    "status_changed_at": now,
                    "idle_since": now,
                }
                for n, (skills, slots) in enumerate(AGENTS, 1)
            )

    def offers(self) -> set[tuple[str, str]]:
        return {
            (o.conversation_id, agent_id)
            for agent_id in (f"agent-{n}" for n in range(1, len(AGENTS) + 1))
            for o in self.queue.offers_for(agent_id)
        }


def simulate(hour: Hour = Hour()) -> Measured:
    """One busy hour, from its seed: the same figures every time."""
    rng = random.Random(hour.seed)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    clock = ManualClock(start)
    measured = Measured()
    with tempfile.TemporaryDirectory(prefix="cascade-busy-hour-") as tmp:
        storage = open_storage(Path(tmp) / "cascade.db")
        if storage.dialect == "sqlite":  # a throwaway database: no need to sync
            storage.db.execute("pragma synchronous = off")
        try:
            _run(hour, rng, clock, Floor(storage, clock), measured)
        finally:
            storage.close()
    return measured


def _run(
    hour: Hour,
    rng: random.Random,
    clock: ManualClock,
    app: Floor,
    measured: Measured,
) -> None:
    start = clock.now()
    end = hour.warm_up_s + hour.hour_s
    order = itertools.count()
    events: list[tuple[float, int, str, tuple[str, ...]]] = []

    def at(seconds: float, kind: str, *args: str) -> None:
        heapq.heappush(events, (seconds, next(order), kind, args))

    arrival = rng.expovariate(hour.arrivals_per_hour / 3600)
    while arrival < end:
        at(arrival, "arrive")
        arrival += rng.expovariate(hour.arrivals_per_hour / 3600)
    at(hour.tick_s, "tick")
    queued: dict[str, float] = {}  # conversation -> when it joined the queue
    told: dict[str, tuple[int | None, int | None]] = {}  # measured ones: (told, rate_told)
    waited: dict[str, float] = {}
    offered: set[tuple[str, str]] = set()
    while events:
        seconds, _, kind, args = heapq.heappop(events)
        clock.advance(seconds=seconds - (clock.now() - start).total_seconds())
        if kind == "arrive":
            need = rng.choices(list(NEEDS), weights=list(NEEDS.values()))[0]
            priority = "high" if rng.random() < hour.high_priority else "normal"
            cid = app.conversations.create(customer={}, page_url=None, at=iso(clock.now()))
            app.handover.hand_over(
                cid, HandoffRequest(reason="customer_request", skill=need, priority=priority)
            )
            queued[cid] = seconds
            if seconds >= hour.warm_up_s:
                place = app.queue.position(cid)
                told[cid] = (
                    place.estimated_wait_s if place else 0,
                    rate_estimate(app.queue).get(cid, 0),
                )
        elif kind == "accept":
            cid, agent_id = args
            app.queue.accept(cid, agent_id)
            waited[cid] = seconds - queued.pop(cid)
            handle_s = rng.lognormvariate(math.log(hour.handle_median_s), hour.handle_sigma)
            at(seconds + handle_s, "resolve", cid, agent_id)
        elif kind == "resolve":
            app.desk.resolve(*args)
        elif kind == "tick":
            app.queue.route()
            if queued or events:
                at(seconds + hour.tick_s, "tick")
        for offer in app.offers() - offered:  # agents answer new offers within seconds
            offered.add(offer)
            at(seconds + rng.uniform(*hour.accept_s), "accept", *offer)
        if not queued and not any(kind != "tick" for _, _, kind, _ in events):
            break
    for cid, (new, old) in told.items():
        measured.told.append(new)
        measured.rate_told.append(old)
        measured.waited.append(waited[cid])


def main(seeds: list[int] | None = None) -> None:
    """The default hour, or one per seed given (`python -m benchmarks.busy_hour 1 2 3`)."""
    for seed in seeds or [Hour().seed]:
        hour = Hour(seed=seed)
        measured = simulate(hour)
        print(
            f"a busy hour (seed {seed}): {len(measured.waited)} chats join the queue"
            f" ({hour.arrivals_per_hour:.0f} an hour, {len(AGENTS)} agents,"
            f" {sum(s for _, s in AGENTS)} slots), median wait"
            f" {measured.median_wait_s / 60:.1f} min"
        )
        print(
            f"  median error of the wait told at queue entry: {measured.median_error_s:.0f} s"
            f" (the former rate estimate: {measured.rate_median_error_s:.0f} s)"
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]])
