"""A fortnight of simulated traffic for the demo, driven through the app's own services.

So that a newcomer's dashboard has something true to show, `seed_traffic` replays two weeks of
visits on a movable clock: customers (cascade/demo_customers.py) ask the demo knowledge base's
example questions and paraphrases, or what it does not cover, or for a person; they press Yes
only for the article they needed. Agents (the demo's own) work weekday shifts, take the chats
routed to them, answer, resolve or escalate; tickets filed out of hours are answered and solved
on the next working day; customers rate some of the help. Every step goes through the services
the HTTP routes call (conversations, queue, desk, tickets), with the queue's timers run as the
app runs them, so every figure on the dashboard comes from real events.

What is simulated: the people, their timing, and Rasa's NLU and dialogue policy (the bot is
`cascade.demo_bot.InProcessBot`: the real custom actions and knowledge search, in-process).
The same seed and the same day give the same traffic. A data directory that already holds
conversations is left alone, so running it again adds nothing.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.client import NoBot
from cascade.app import build_services
from cascade.demo_bot import InProcessBot
from cascade.demo_customers import (
    DETAILS,
    THANKS,
    Persona,
    customers,
    offers_email,
    reply_to_bot,
    visit,
)
from cascade.demo_embedder import RememberingEmbedder
from cascade.services import Services
from conversations.errors import ConversationError
from conversations.events import ConversationStarted
from core.clock import ManualClock
from core.settings import Settings
from handoff.agents import AgentOut, AgentStatus
from handoff.errors import HandoffError
from knowledge_base.embedder import (
    Embedder,
    load_embedder,
    load_language_embedders,
    model_dim,
    model_name,
)
from knowledge_base.store import Article

# Weekday shifts (local hours), dealt to the agents in turn; the fifth also works on Saturday.
SHIFTS = ((8, 16), (9, 17), (10, 18), (12, 20), (8, 14))
SATURDAY = (10, 16)
TICKET_ROUNDS = (time(9, 10), time(11, 30), time(14, 30), time(16, 40))  # weekdays


@dataclass
class Seeded:
    days: int
    conversations: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        ends = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (
            f"seeded {self.days} days of demo traffic: {self.conversations} conversations ({ends})"
        )


class Simulation:
    """Processes (customers, agents, the timers) as coroutines on one virtual clock: one runs
    at a time, until it waits, so the same seed always gives the same traffic."""

    def __init__(self, services: Services, clock: ManualClock, rng: random.Random) -> None:
        self.services = services
        self.clock = clock
        self.rng = rng
        self._heap: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._running = 0  # processes between being resumed (or started) and waiting again
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._offers: set[int] = set()  # the offers an agent has seen (a chat may come back)
        self._returning: set[str] = set()  # agents set away who will be back at their desk
        self.personas: dict[str, Persona] = {}
        self.agents = {a.id: a for a in services.agents.all()}
        self.failure: Exception | None = None

    # -- the virtual clock --------------------------------------------------------------------

    def _resumed(self) -> None:
        self._running += 1
        self._idle.clear()

    def _paused(self) -> None:
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    async def wait(self, seconds: float) -> None:
        await self.wait_until(self.clock.now() + timedelta(seconds=seconds))

    async def wait_until(self, when: datetime) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._heap, (max(when.astimezone(UTC), self.clock.now()), self._seq, future))
        self._paused()
        await future  # the run loop counts this process as running again before it resumes it

    def spawn(self, at: datetime, process: Callable[[], Awaitable[None]]) -> None:
        """Start `process` at `at` (it runs once every process started before it waits)."""

        async def run() -> None:
            try:
                await self.wait_until(at)
                await process()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # stop the run and report it
                self.failure = self.failure or exc
            self._paused()

        self._resumed()
        self._tasks.append(asyncio.create_task(run()))

    async def run(self, until: datetime) -> None:
        """Resume one waiting process at a time, in the order of their times, up to `until`."""
        while self.failure is None:
            await self._idle.wait()
            self._answer_offers()
            await self._idle.wait()
            if not self._heap or self._heap[0][0] > until or self.failure is not None:
                break
            when, _, future = heapq.heappop(self._heap)
            self.clock.advance(seconds=(when - self.clock.now()).total_seconds())
            self._resumed()
            future.set_result(None)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.failure is not None:
            raise self.failure

    # -- the queue's timers, as the app runs them ---------------------------------------------

    async def timers(self) -> None:
        queue, tickets = self.services.queue, self.services.tickets
        while True:
            waiting = next(iter(queue.conversations.queued()), None) is not None
            await self.wait(30 if waiting else 600)
            queue.route()
            queue.abandon_idle()
            tickets.check_slas()
            self._back_at_desk()

    # -- customers ----------------------------------------------------------------------------

    async def customer(self, persona: Persona) -> None:
        conversations = self.services.conversations
        view, _ = conversations.start(
            customer={"name": persona.customer.name, "email": persona.customer.email},
            page_url=f"https://tidewater.example/help/{persona.skill}",
        )
        self.personas[view.id] = persona
        await self.wait(self.rng.uniform(5, 40))
        turn = await conversations.customer_says(view.id, persona.first, client_id=None)
        for _ in range(6):
            if turn.status != "bot":
                break
            pressed = reply_to_bot(persona, turn.messages, self.rng)
            if pressed is None:
                return  # gone: the idle limit abandons the chat, unless the bot resolved it
            await self.wait(self.rng.uniform(6, 35))
            turn = await conversations.customer_says(view.id, pressed, client_id=None)
        if turn.status == "queued" and self.rng.random() < 0.12 and offers_email(turn.messages):
            await self.wait(self.rng.uniform(60, 200))
            if conversations.store.get(view.id)["status"] == "queued":
                await conversations.customer_says(view.id, "/email_me", client_id=None)

    async def rate(self, conversation_id: str, *, delay_s: float, good: bool) -> None:
        await self.wait(delay_s)
        score = self.rng.choice((4, 5, 5, 5)) if good else self.rng.choice((1, 2, 3, 3, 4))
        payload = "/csat" + json.dumps({"score": score})
        await self.services.conversations.customer_says(conversation_id, payload, client_id=None)

    # -- agents -------------------------------------------------------------------------------

    def set_status(self, agent: AgentOut, status: AgentStatus) -> None:
        """What `PUT /api/agents/{id}/status` does."""
        self.services.agents.set_status(agent.id, status)
        if status is not AgentStatus.ONLINE:
            self.services.queue.withdraw_offers(agent.id)
        self.services.queue.route()

    async def shifts(self, agent: AgentOut, turn: int, days: list[datetime]) -> None:
        """The agent's working days: online for their shift, offline after."""
        for day in days:
            weekday = day.weekday()
            if weekday == 6 or (weekday == 5 and turn % len(SHIFTS) != len(SHIFTS) - 1):
                continue
            hours = SATURDAY if weekday == 5 else SHIFTS[turn % len(SHIFTS)]
            await self.wait_until(day + timedelta(hours=hours[0], minutes=self.rng.uniform(-5, 5)))
            self.set_status(agent, AgentStatus.ONLINE)
            await self.wait_until(day + timedelta(hours=hours[1], minutes=self.rng.uniform(0, 10)))
            self.set_status(agent, AgentStatus.OFFLINE)

    def _back_at_desk(self) -> None:
        """An agent the queue set away (they let two offers in a row lapse) reads why on their
        console and is online again a few minutes later, unless their shift ends first."""
        for agent in self.services.agents.all():
            if agent.status is AgentStatus.AWAY and agent.id not in self._returning:
                self._returning.add(agent.id)
                back = self.clock.now() + timedelta(seconds=self.rng.uniform(60, 300))
                self.spawn(back, partial(self._back_online, agent.id))

    async def _back_online(self, agent_id: str) -> None:
        self._returning.discard(agent_id)
        if self.services.agents.get(agent_id).status is AgentStatus.AWAY:
            self.set_status(self.agents[agent_id], AgentStatus.ONLINE)

    def _answer_offers(self) -> None:
        for agent_id in self.agents:
            for offer in self.services.queue.offers_for(agent_id):
                if offer.offer_id not in self._offers:
                    self._offers.add(offer.offer_id)
                    delay = self.rng.uniform(4, 45)
                    self.spawn(
                        self.clock.now() + timedelta(seconds=delay),
                        partial(self.take_chat, offer.conversation_id, agent_id),
                    )

    async def take_chat(self, conversation_id: str, agent_id: str) -> None:
        """An agent answers an offer: now and then a decline, mostly a chat seen through."""
        queue, desk = self.services.queue, self.services.desk
        conversations = self.services.conversations
        try:
            if self.rng.random() < 0.05:
                queue.decline(conversation_id, agent_id)
                return
            queue.accept(conversation_id, agent_id)
        except (HandoffError, ConversationError):
            return  # the offer lapsed, or someone else took it
        persona = self.personas.get(conversation_id)
        name = persona.customer.name.split()[0] if persona else "there"
        agent = self.agents[agent_id].name.split()[0]
        await self.wait(self.rng.uniform(10, 50))
        say = conversations.agent_says
        say(conversation_id, f"Hi {name}, {agent} here. Let me look into this for you.", agent_id=agent_id, client_id=None)  # fmt: skip
        await self.wait(self.rng.uniform(20, 90))
        await conversations.customer_says(conversation_id, self.rng.choice(DETAILS), client_id=None)
        await self.wait(self.rng.uniform(60, 480))
        say(conversation_id, "All done: I've sorted that out on our side. Anything else?", agent_id=agent_id, client_id=None)  # fmt: skip
        await self.wait(self.rng.uniform(20, 80))
        await conversations.customer_says(conversation_id, self.rng.choice(THANKS), client_id=None)
        await self.wait(self.rng.uniform(10, 40))
        if self.rng.random() < 0.08:
            desk.escalate(conversation_id, agent_id, note="Needs the back office to confirm.")
            return
        desk.resolve(conversation_id, agent_id)
        if self.rng.random() < 0.7:
            good = self.rng.random() < 0.85
            await self.rate(conversation_id, delay_s=self.rng.uniform(5, 60), good=good)

    async def ticket_rounds(self, days: list[datetime]) -> None:
        """On weekdays, agents work the ticket inbox: a reply to most new tickets (a busy round
        leaves some to the next: the SLA clocks run), and most are solved then or next round."""
        tickets = self.services.tickets
        for day in days:
            if day.weekday() >= 5:
                continue
            for at in TICKET_ROUNDS:
                await self.wait_until(datetime.combine(day.date(), at, day.tzinfo))
                for ticket in tickets.find(status="pending", limit=500):
                    tickets.update(ticket.id, actor=None, status="solved")
                    self._maybe_rate(ticket.conversation_id)
                for ticket in [*tickets.find(status="new", limit=500), *tickets.find(status="open", limit=500)]:  # fmt: skip
                    if self.rng.random() < 0.3:
                        continue
                    agent = self._agent_for(ticket.skill)
                    tickets.reply(ticket.id, agent_id=agent, text="Thanks for your patience: we've looked into this and it's sorted.")  # fmt: skip
                    if self.rng.random() < 0.65:
                        tickets.update(ticket.id, actor=agent, status="solved")
                        self._maybe_rate(ticket.conversation_id)

    def _maybe_rate(self, conversation_id: str) -> None:
        if self.rng.random() < 0.4:
            delay = self.rng.uniform(600, 6 * 3600)
            good = self.rng.random() < 0.7
            self.spawn(
                self.clock.now() + timedelta(seconds=delay),
                partial(self.rate, conversation_id, delay_s=0, good=good),
            )

    def _agent_for(self, skill: str) -> str | None:
        able = [a for a in self.agents.values() if skill in a.skills]
        return max(able, key=lambda a: a.skills[skill]).id if able else None


def seed_traffic(
    settings: Settings,
    *,
    days: int = 14,
    seed: int = 14,
    until: datetime | None = None,
    embedder: Embedder | None = None,
) -> Seeded | None:
    """Seed `days` of traffic ending at `until` (now); None if the directory has chats."""
    zone = ZoneInfo(settings.business_timezone)
    end = (until or datetime.now(zone)).astimezone(zone)
    first_day = datetime.combine(end.date() - timedelta(days=days - 1), time(0), zone)
    clock = ManualClock(first_day.astimezone(UTC))
    others: dict[str, Embedder] = {}
    if embedder is None:
        name = settings.embedding_model
        model = RememberingEmbedder(model_name(name), model_dim(name), lambda: load_embedder(name))
        # The other languages keep their own models, so their stored vectors stay as they are.
        others = load_language_embedders(model)
    else:
        model = RememberingEmbedder(embedder.name, embedder.dim, lambda: embedder)
    services = build_services(settings, bot=NoBot(), clock=clock, embedder=model, embedders=others)
    try:
        if services.conversations.store.recent(ConversationStarted, limit=1):
            return None
        articles = services.kb.listing(status="published")
        if not articles or not services.agents.all():
            raise ValueError("import the demo's articles and agents before seeding traffic")
        services.conversations.bot = InProcessBot(services.kb)
        if services.storage.dialect == "sqlite":
            _unhurried(services.storage.engine)
        before = services.outbox.newest()
        seeded = asyncio.run(
            _simulate(services, clock, random.Random(seed), articles, first_day, end, days)
        )
        services.outbox.forget_pending(after=before)  # mail to made-up customers: never sent
        return seeded
    finally:
        services.storage.close()


def _unhurried(engine: sa.Engine) -> None:
    """A bulk load into SQLite: commits need not wait for the disk (WAL keeps the file
    consistent), on every connection of the pool, those opened already too."""

    @sa.event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")

    engine.dispose()


async def _simulate(
    services: Services,
    clock: ManualClock,
    rng: random.Random,
    articles: list[Article],
    start: datetime,
    end: datetime,
    days: int,
) -> Seeded:
    sim = Simulation(services, clock, rng)
    calendar = [start + timedelta(days=d) for d in range(days)]
    people = customers(rng, 400)
    last_arrival = end - timedelta(minutes=90)
    visits: list[tuple[datetime, Persona]] = []
    for day in calendar:
        count = rng.randint(8, 12) if day.weekday() >= 5 else rng.randint(20, 28)
        for _ in range(count):
            at = day + timedelta(hours=rng.triangular(7, 22, 13))
            persona = visit(rng, rng.choice(people), articles)
            if at <= last_arrival:
                visits.append((at, persona))
    services.kb.embedder.encode([persona.first for _, persona in visits])
    sim.spawn(start, sim.timers)
    sim.spawn(start, partial(sim.ticket_rounds, calendar))
    for turn, agent in enumerate(sim.agents.values()):
        sim.spawn(start, partial(sim.shifts, agent, turn, calendar))
    for at, persona in visits:
        sim.spawn(at, partial(sim.customer, persona))
    await sim.run(end)
    for agent in sim.agents.values():
        if services.agents.get(agent.id).status is not AgentStatus.OFFLINE:
            sim.set_status(agent, AgentStatus.OFFLINE)
    seeded = Seeded(days=days, conversations=len(sim.personas))
    for conversation_id in sim.personas:
        seeded.outcomes[services.conversations.store.get(conversation_id)["status"]] += 1
    return seeded
