"""Many customers chatting at once through `cascade up`: turns a second, latency, lost messages,
CPU and memory. Run with `make bench-load` (`python -m benchmarks.load --help` for the sizes).

`cascade up` starts the app and the real Rasa server with a fresh data directory; kb-dev's
articles are imported and a few agents with every skill go online. Each customer starts a
conversation and asks one of kb-dev's 1,300 questions (each once before any comes again), then
answers the bot as a careful customer does (`benchmarks.e2e.careful_reply`: Yes to the right
article, the right choice, a person otherwise) until the bot resolves the chat or hands it
over; then they start the next conversation. A turn is one customer message:
`POST /api/conversations/{id}/messages`, which answers with the bot's reply, from sending to
the answer. The agents take every offer, write one line and resolve the chat, as a busy team
would.

- Closed loop: N customers at once, each sending their next message as soon as the last one is
  answered (1 customer alone: a quiet turn; then 50, 100, 200).
- Open loop: turns arrive at a fixed rate (Poisson, seeded) whatever the answers' pace, each from
  a customer not waiting for an answer: what a team serving a few hundred chatting customers
  sees. Latency counts from the turn's scheduled arrival, so a slow answer cannot hide a queue.

Printed per run: turns/s, p50 and p99 latency, errors, messages lost (sent, answered 2xx, and
not in the conversation read back afterwards), CPU seconds per turn of the app and of Rasa (and
of this load generator, which shares the cores), and each process's resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from benchmarks.common import ADMIN_TOKEN, SHARED, Stack, stack
from benchmarks.e2e import careful_reply

DATA = SHARED / "data" / "kb-dev"
ASK_FOR_PERSON = "I want to talk to a person"
MAX_TURNS = 6  # a customer still with the bot after this many turns leaves
AGENTS = 6
AGENT_SLOTS = 50  # chats each agent takes at once, so the queue never holds customers up
AGENT_POLL_S = 0.5


@dataclass
class Run:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    sent: dict[str, list[str]] = field(default_factory=dict)  # conversation -> client ids (2xx)
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds in the run
    memory: dict[str, float] = field(default_factory=dict)  # process -> resident MiB after it
    lost: int = 0

    @property
    def turns(self) -> int:
        return len(self.latencies)

    def report(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies) or [0.0]
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        per_turn = "  ".join(
            f"{name} {seconds / max(1, self.turns) * 1000:.0f} ms"
            for name, seconds in self.cpu.items()
        )
        memory = "  ".join(f"{name} {mib:.0f} MiB" for name, mib in self.memory.items())
        return (
            f"{self.name}: {self.turns} turns in {self.seconds:.0f} s = {self.turns / self.seconds:.1f}"
            f" turns/s; p50 {statistics.median(ms):.0f} ms, p99 {p99:.0f} ms; {self.errors} errors,"
            f" {self.lost} lost\n    CPU a turn: {per_turn}\n    resident memory: {memory}"
        )


class Customers:
    """Customers with kb-dev's questions, over one HTTP connection pool."""

    def __init__(self, http: httpx.AsyncClient, queries: list[dict[str, Any]], seed: int) -> None:
        self.http = http
        self.queries = queries
        self.random = random.Random(seed)
        self.order: list[dict[str, Any]] = []
        self.number = 0

    async def start(self) -> Customer:
        self.number += 1
        if not self.order:  # every question once before any comes again
            self.order = self.random.sample(self.queries, len(self.queries))
        query = self.order.pop()
        started = await self.http.post(
            "/api/conversations",
            json={
                "customer": {"name": f"Customer {self.number}"},
                "page_url": "https://bench.example/",
            },
        )
        started.raise_for_status()
        body = started.json()
        return Customer(
            body["id"],
            {"Authorization": f"Bearer {body['token']}"},
            query["text"],
            query.get("expected"),
        )


@dataclass
class Customer:
    conversation_id: str
    headers: dict[str, str]
    next_text: str
    expected: str | None
    turns: int = 0
    done: bool = False

    async def turn(self, http: httpx.AsyncClient, run: Run, began: float | None = None) -> None:
        """Send the next message and read the bot's answer into the one after it."""
        client_id = f"m{self.turns}"
        began = time.perf_counter() if began is None else began
        self.turns += 1
        try:
            answer = await http.post(
                f"/api/conversations/{self.conversation_id}/messages",
                json={"text": self.next_text, "client_id": client_id},
                headers=self.headers,
            )
        except httpx.TransportError:
            run.errors += 1
            self.done = True
            return
        run.latencies.append(time.perf_counter() - began)
        if answer.status_code != 200:
            run.errors += 1
            self.done = True
            return
        run.sent.setdefault(self.conversation_id, []).append(client_id)
        body = answer.json()
        replies = [m for m in body["messages"] if m["sender"] != "customer"]
        self.done = body["status"] != "bot" or self.turns >= MAX_TURNS
        self.next_text = careful_reply(self.expected, replies, ask_for_person=ASK_FOR_PERSON)


async def agent(http: httpx.AsyncClient, agent_id: str, token: str, stop: asyncio.Event) -> None:
    """Take every offer, write one line, resolve: a team keeping up with the hand-overs."""
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        offers = await http.get(f"/api/agents/{agent_id}/offers", headers=headers)
        for offer in offers.json() if offers.status_code == 200 else []:
            chat = f"/api/conversations/{offer['conversation_id']}"
            if (await http.post(f"{chat}/accept", headers=headers)).status_code != 200:
                continue
            await http.post(
                f"{chat}/messages", json={"text": "Done, anything else?"}, headers=headers
            )
            await http.post(f"{chat}/resolve", headers=headers)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), AGENT_POLL_S)


async def closed_loop(customers: Customers, size: int, seconds: float, run: Run) -> None:
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        while time.perf_counter() < deadline:
            customer = await customers.start()
            while not customer.done and time.perf_counter() < deadline:
                await customer.turn(customers.http, run)

    await asyncio.gather(*(one() for _ in range(size)))


async def open_loop(customers: Customers, rate: float, seconds: float, run: Run, seed: int) -> None:
    arrivals = random.Random(seed)
    idle: list[Customer] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(scheduled: float) -> None:
        customer = idle.pop() if idle else await customers.start()
        await customer.turn(customers.http, run, began=scheduled)
        if not customer.done:
            idle.append(customer)

    start = time.perf_counter()
    at = start
    while at < start + seconds:
        at += arrivals.expovariate(rate)
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        task = asyncio.create_task(one(at))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)


def processes(up: Stack) -> dict[str, psutil.Process]:
    """The app (`cascade up`), Rasa (its child and theirs) and this load generator."""
    app = psutil.Process(up.process.pid)
    found = {"app": app}
    for number, child in enumerate(app.children(recursive=True)):
        found["rasa" if number == 0 else f"rasa-{number}"] = child
    found["load generator"] = psutil.Process()
    return found


def cpu_seconds(procs: dict[str, psutil.Process]) -> dict[str, float]:
    times = {}
    for name, proc in procs.items():
        t = proc.cpu_times()
        times[name] = t.user + t.system
    return times


async def measured(up: Stack, run: Run, work: Any) -> Run:
    procs = processes(up)
    before = cpu_seconds(procs)
    began = time.perf_counter()
    await work
    run.seconds = time.perf_counter() - began
    after = cpu_seconds(procs)
    run.cpu = {name: after[name] - before[name] for name in procs}
    run.memory = {name: proc.memory_info().rss / 2**20 for name, proc in procs.items()}
    return run


async def count_lost(http: httpx.AsyncClient, runs: Iterable[Run]) -> None:
    """Read every conversation back as staff: each message answered 2xx must be there."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    limit = asyncio.Semaphore(8)

    async def check(run: Run, conversation_id: str, client_ids: list[str]) -> None:
        async with limit:
            read = await http.get(f"/api/conversations/{conversation_id}", headers=admin)
        read.raise_for_status()
        kept = sum(1 for m in read.json()["messages"] if m["sender"] == "customer")
        run.lost += max(0, len(client_ids) - kept)

    await asyncio.gather(*(check(run, cid, ids) for run in runs for cid, ids in run.sent.items()))


async def bench(up: Stack, args: argparse.Namespace) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    queries = [
        json.loads(line) for line in (DATA / "queries.jsonl").read_text().splitlines() if line
    ]
    limits = httpx.Limits(
        max_connections=max(args.sizes) + 50, max_keepalive_connections=max(args.sizes) + 50
    )
    async with httpx.AsyncClient(base_url=up.base_url, timeout=120, limits=limits) as http:
        imported = await http.post(
            "/api/kb/import",
            content=(DATA / "articles.jsonl").read_bytes(),
            headers=admin,
            timeout=900,
        )
        imported.raise_for_status()
        skills = sorted(
            {
                json.loads(line).get("skill", "general")
                for line in (DATA / "articles.jsonl").read_text().splitlines()
                if line
            }
        )
        stop = asyncio.Event()
        agents = []
        for number in range(AGENTS):
            made = await http.post(
                "/api/agents",
                headers=admin,
                json={
                    "name": f"Agent {number}",
                    "skills": {s: 3 for s in skills},
                    "max_concurrent": AGENT_SLOTS,
                },
            )
            made.raise_for_status()
            body = made.json()
            headers = {"Authorization": f"Bearer {body['token']}"}
            (
                await http.put(
                    f"/api/agents/{body['id']}/status", json={"status": "online"}, headers=headers
                )
            ).raise_for_status()
            agents.append(asyncio.create_task(agent(http, body["id"], body["token"], stop)))
        customers = Customers(http, queries, args.seed)
        await closed_loop(
            customers, 5, args.warm_up, Run("warm-up", 0)
        )  # models loaded, caches full
        runs = []
        for size in args.sizes:
            run = Run(f"{size} customer{'s' if size > 1 else ''} at once (closed loop)", 0)
            runs.append(await measured(up, run, closed_loop(customers, size, args.seconds, run)))
            print(run.report(), flush=True)
        for rate in args.rates:
            run = Run(f"{rate:g} turns/s arriving (open loop)", 0)
            runs.append(
                await measured(up, run, open_loop(customers, rate, args.seconds, run, args.seed))
            )
            print(run.report(), flush=True)
        stop.set()
        await asyncio.gather(*agents)
        await count_lost(http, runs)
        print(
            "messages lost (read back after the runs): "
            + ", ".join(f"{run.name.split(' (')[0]} {run.lost}" for run in runs)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=[1, 50, 100, 200],
        help="customers at once, one closed-loop run each",
    )
    parser.add_argument(
        "--rates",
        type=float,
        nargs="*",
        default=[20.0],
        help="turns a second, one open-loop run each",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument(
        "--warm-up", type=float, default=15.0, help="seconds of five customers first"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"cascade up with kb-dev, {AGENTS} agents taking every hand-over; {args.seconds:g} s a run",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="cascade-load-") as tmp, stack(Path(tmp)) as up:
        asyncio.run(bench(up, args))


if __name__ == "__main__":
    main()
