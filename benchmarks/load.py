"""Many customers chatting at once through `cascade up`: turns a second, latency, lost messages,
CPU and memory. Run with `make bench-load` (`python -m benchmarks.load --help` for the sizes).

`cascade up` starts the app and the real Rasa server with a fresh data directory on SQLite; with
`--replicas N --rasa M`, N app replicas and M Rasa processes on a throwaway PostgreSQL and Redis
(`--postgres`: one of each on them, to tell the engines' cost from the replicas'; see
benchmarks/load_stack.py). kb-dev's articles are imported (through the first replica; each other
one is waited for until its search finds them) and a few agents with every skill go online, each
on one replica in turn. Customers too are spread over the replicas in turn, each conversation
staying on its replica, as behind a balancer with sticky sessions. Each customer starts a
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
not in the conversation read back afterwards, through any replica), CPU seconds per turn summed
over the app's processes, Rasa's, PostgreSQL's and Redis's (and this load generator's, which
shares the cores), and each process's memory. `--sizes 50 --rates` runs one closed loop alone.
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
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import ADMIN_TOKEN, SHARED
from benchmarks.e2e import careful_reply
from benchmarks.load_stack import LOAD_GENERATOR, Running, Setup, running, used

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
        servers = sum(seconds for kind, seconds in self.cpu.items() if kind != LOAD_GENERATOR)
        per_turn = "  ".join(
            f"{name} {seconds / max(1, self.turns) * 1000:.0f} ms"
            for name, seconds in {**self.cpu, "all but the load generator": servers}.items()
        )
        held = "  ".join(f"{name} {mib:.0f} MiB" for name, mib in self.memory.items())
        return (
            f"{self.name}: {self.turns} turns in {self.seconds:.0f} s = {self.turns / self.seconds:.1f}"
            f" turns/s; p50 {statistics.median(ms):.0f} ms, p99 {p99:.0f} ms; {self.errors} errors,"
            f" {self.lost} lost\n    CPU a turn: {per_turn}\n    memory: {held}"
        )


class Customers:
    """Customers with kb-dev's questions, each conversation on the next replica in turn."""

    def __init__(
        self, replicas: list[httpx.AsyncClient], queries: list[dict[str, Any]], seed: int
    ) -> None:
        self.replicas = replicas
        self.queries = queries
        self.random = random.Random(seed)
        self.order: list[dict[str, Any]] = []
        self.number = 0

    async def start(self) -> Customer:
        self.number += 1
        if not self.order:  # every question once before any comes again
            self.order = self.random.sample(self.queries, len(self.queries))
        query = self.order.pop()
        http = self.replicas[(self.number - 1) % len(self.replicas)]
        started = await http.post(
            "/api/conversations",
            json={
                "customer": {"name": f"Customer {self.number}"},
                "page_url": "https://bench.example/",
            },
        )
        started.raise_for_status()
        body = started.json()
        return Customer(
            http,
            body["id"],
            {"Authorization": f"Bearer {body['token']}"},
            query["text"],
            query.get("expected"),
        )


@dataclass
class Customer:
    http: httpx.AsyncClient  # its replica's
    conversation_id: str
    headers: dict[str, str]
    next_text: str
    expected: str | None
    turns: int = 0
    done: bool = False

    async def turn(self, run: Run, began: float | None = None) -> None:
        """Send the next message and read the bot's answer into the one after it."""
        client_id = f"m{self.turns}"
        began = time.perf_counter() if began is None else began
        self.turns += 1
        try:
            answer = await self.http.post(
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
                await customer.turn(run)

    await asyncio.gather(*(one() for _ in range(size)))


async def open_loop(customers: Customers, rate: float, seconds: float, run: Run, seed: int) -> None:
    arrivals = random.Random(seed)
    idle: list[Customer] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(scheduled: float) -> None:
        customer = idle.pop() if idle else await customers.start()
        await customer.turn(run, began=scheduled)
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


async def measured(stack: Running, run: Run, work: Awaitable[None]) -> Run:
    run.seconds, run.cpu, run.memory = await used(stack, work)
    return run


async def count_lost(replicas: list[httpx.AsyncClient], runs: Iterable[Run]) -> None:
    """Read every conversation back as staff, through the replicas in turn (any one must show
    every conversation whole): each message answered 2xx must be there."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    limit = asyncio.Semaphore(8)

    async def check(
        http: httpx.AsyncClient, run: Run, conversation_id: str, client_ids: list[str]
    ) -> None:
        async with limit:
            read = await http.get(f"/api/conversations/{conversation_id}", headers=admin)
        read.raise_for_status()
        kept = sum(1 for m in read.json()["messages"] if m["sender"] == "customer")
        run.lost += max(0, len(client_ids) - kept)

    sent = [(run, cid, ids) for run in runs for cid, ids in run.sent.items()]
    await asyncio.gather(
        *(
            check(replicas[number % len(replicas)], *each)
            for number, each in enumerate(sent, start=1)
        )
    )


async def follows(http: httpx.AsyncClient, title: str) -> None:
    """Until this replica's search finds an article imported through another one."""
    deadline = time.monotonic() + 120
    while True:
        found = await http.post("/api/kb/search", json={"query": title})
        if found.status_code == 200 and found.json()["results"]:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{http.base_url} did not follow the import within 120 s")
        await asyncio.sleep(0.5)


async def set_up(replicas: list[httpx.AsyncClient], stop: asyncio.Event) -> list[asyncio.Task]:
    """kb-dev imported through the first replica and followed by the others; the agents online,
    each on one replica in turn, taking offers until `stop`."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    articles = [
        json.loads(line) for line in (DATA / "articles.jsonl").read_text().splitlines() if line
    ]
    imported = await replicas[0].post(
        "/api/kb/import",
        content=(DATA / "articles.jsonl").read_bytes(),
        headers=admin,
        timeout=900,
    )
    imported.raise_for_status()
    await asyncio.gather(*(follows(http, articles[0]["title"]) for http in replicas[1:]))
    skills = sorted({article.get("skill", "general") for article in articles})
    agents = []
    for number in range(AGENTS):
        http = replicas[number % len(replicas)]
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
    return agents


async def bench(stack: Running, args: argparse.Namespace) -> None:
    queries = [
        json.loads(line) for line in (DATA / "queries.jsonl").read_text().splitlines() if line
    ]
    most = max([5, *args.sizes]) + 50
    limits = httpx.Limits(max_connections=most, max_keepalive_connections=most)
    async with contextlib.AsyncExitStack() as clients:
        replicas = [
            await clients.enter_async_context(
                httpx.AsyncClient(base_url=url, timeout=120, limits=limits)
            )
            for url in stack.urls
        ]
        stop = asyncio.Event()
        agents = await set_up(replicas, stop)
        customers = Customers(replicas, queries, args.seed)
        # models loaded, caches full
        await closed_loop(customers, 5, args.warm_up, Run("warm-up", 0))
        runs = []
        for size in args.sizes:
            run = Run(f"{size} customer{'s' if size > 1 else ''} at once (closed loop)", 0)
            runs.append(await measured(stack, run, closed_loop(customers, size, args.seconds, run)))
            print(run.report(), flush=True)
        for rate in args.rates:
            run = Run(f"{rate:g} turns/s arriving (open loop)", 0)
            runs.append(
                await measured(stack, run, open_loop(customers, rate, args.seconds, run, args.seed))
            )
            print(run.report(), flush=True)
        stop.set()
        await asyncio.gather(*agents)
        await count_lost(replicas, runs)
        print(
            "messages lost (read back after the runs, through any replica): "
            + ", ".join(f"{run.name.split(' (')[0]} {run.lost}" for run in runs)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=[1, 50, 100, 200],
        help="customers at once, one closed-loop run each (none: `--sizes` alone)",
    )
    parser.add_argument(
        "--rates",
        type=float,
        nargs="*",
        default=[20.0],
        help="turns a second, one open-loop run each (none: `--rates` alone)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument(
        "--warm-up", type=float, default=15.0, help="seconds of five customers first"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="app replicas (more than one: on a throwaway PostgreSQL and Redis)",
    )
    parser.add_argument(
        "--rasa",
        type=int,
        default=1,
        help="Rasa processes (more than one: on a throwaway PostgreSQL and Redis)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="on a throwaway PostgreSQL and Redis even with one replica and one Rasa process"
        " (default: SQLite)",
    )
    args = parser.parse_args()
    if args.replicas < 1 or args.rasa < 1:
        parser.error("--replicas and --rasa are at least 1")
    setup = Setup(replicas=args.replicas, rasa=args.rasa, postgres=args.postgres)
    print(
        f"cascade up ({setup.describe()}) with kb-dev, {AGENTS} agents taking every hand-over;"
        f" {args.seconds:g} s a run",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="cascade-load-") as tmp,
        running(Path(tmp), setup) as stack,
    ):
        if setup.shared_engines:
            print(f"engines: {stack.engine()}", flush=True)
        asyncio.run(bench(stack, args))


if __name__ == "__main__":
    main()
