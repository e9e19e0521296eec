"""The app's timers: the queue, SLA clocks, presence and the outbox are checked on timers as well
as on changes; a crash's unanswered messages are answered once at start-up; retention runs
daily when it is set.

With several replicas (CASCADE_REDIS_URL) the timers run on one at a time: the replica holding
the timers' lease (core/lease.py) runs each pass, the others skip theirs, and when the holder
dies another takes over within the lease's time to live (CASCADE_TIMER_LEASE_S). Retention runs
once a day across them all. Without Redis, every timer runs in this process, as always.

Customer turns a crash left unanswered: one process alone answers them at its next start-up.
With several replicas each turn is marked with the replica taking it, and the timers' holder
claims and answers the turns of replicas that are no longer alive (core/replicas.py), whether
they come back or not: a restarted replica is a new one.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from fastapi.concurrency import run_in_threadpool

from cascade.operations import DAY_S, purge_retained
from cascade.services import Services
from conversations.service import ConversationService
from core.lease import Lease
from core.replicas import Replicas
from core.settings import Settings

log = logging.getLogger(__name__)

LEASE = "cascade:timers"  # the Redis key of the timers' lease
RETENTION_MARK = "cascade:retention"  # set for a day by the replica that ran retention
HOUR_S = 3600.0

Gate = Callable[[], Awaitable[bool]]


def start_timers(settings: Settings, services: Services) -> list[asyncio.Task[None]]:
    """Start every timer on the running loop; the caller cancels them at shutdown (and waits
    for them: the lease is released then)."""
    lease = (
        Lease(settings.redis_url, name=LEASE, ttl_s=settings.timer_lease_s)
        if settings.redis_url
        else None
    )
    gate = holding(lease) if lease else None
    timers = [
        asyncio.create_task(every(interval, job, gate=gate))
        for interval, job in (
            (settings.route_interval_s, services.queue.route),
            (settings.route_interval_s, services.tickets.check_slas),
            (settings.outbox_interval_s, services.outbox.deliver_due),
            (
                settings.route_interval_s,
                partial(services.conversations.hand_over_paused, settings.idle_limit_s),
            ),
            (settings.route_interval_s, services.queue.abandon_idle),
            (settings.route_interval_s, services.queue.check_presence),
        )
        if interval > 0
    ]
    if lease is not None:
        timers.append(asyncio.create_task(lease.keep()))
    bot_wait_s = settings.unanswered_bot_wait_s if settings.rasa_url else 0.0
    # New messages too wait for a bot starting alongside, until it first answers.
    services.conversations.bot_turn.expect_bot(bot_wait_s)
    replicas = services.realtime.replicas
    if replicas is None:
        # In the background, so start-up is not held up: customer messages a crash left
        # unanswered get their turn, as they would have before it.
        timers.append(
            asyncio.create_task(answer_unanswered(services.conversations, bot_wait_s=bot_wait_s))
        )
    else:
        services.conversations.store.host = replicas.host_id
        take_over = partial(
            take_over_turns, services.conversations, replicas, bot_wait_s=bot_wait_s
        )
        timers.append(
            asyncio.create_task(every(settings.route_interval_s or 1.0, take_over, gate=gate))
        )
    if settings.retention_days:  # daily, from start-up on (cascade/operations.py)
        retention = partial(purge_retained, services.storage, settings, services.clock)
        if lease is None:
            timers.append(asyncio.create_task(every(DAY_S, retention, first_at_start=True)))
        else:  # the first replica to look each day runs it: looked at hourly, from start-up
            daily: Gate = partial(lease.once_per, RETENTION_MARK, DAY_S)
            timers.append(
                asyncio.create_task(every(HOUR_S, retention, first_at_start=True, gate=daily))
            )
    return timers


def holding(lease: Lease) -> Gate:
    async def held() -> bool:
        return lease.held

    return held


async def every(
    interval_s: float,
    job: Callable[[], object],
    *,
    first_at_start: bool = False,
    gate: Gate | None = None,
) -> None:
    """Run `job` every `interval_s` (in a worker thread; a coroutine function on the loop),
    whatever one pass raises; with a `gate`, only the passes it lets through."""
    if not first_at_start:
        await asyncio.sleep(interval_s)
    while True:
        try:
            if gate is None or await gate():
                if inspect.iscoroutinefunction(job):
                    await job()
                else:
                    await run_in_threadpool(job)
        except Exception:  # keep going: one bad pass must not stop the timer
            log.exception("%s failed", getattr(job, "__qualname__", job))
        await asyncio.sleep(interval_s)


async def answer_unanswered(conversations: ConversationService, *, bot_wait_s: float) -> None:
    try:
        answered = await conversations.answer_unanswered(bot_wait_s=bot_wait_s)
    except Exception:
        log.exception("answering the messages left unanswered failed")
        return
    if answered:
        log.info("answered %d customer message(s) left unanswered at the last stop", answered)


async def take_over_turns(
    conversations: ConversationService, replicas: Replicas, *, bot_wait_s: float
) -> None:
    """The customer turns of replicas no longer alive (SIGKILLed, stopped, or gone with their
    machine) are claimed for this one, in one write, and answered as at a start-up."""
    store = conversations.store
    hosts = await run_in_threadpool(store.unanswered_hosts)
    if not hosts - {store.host}:
        return
    alive = await replicas.living(sorted(host for host in hosts if host is not None))
    if alive is None:  # Redis does not answer: nobody can tell who is gone
        return
    claimed = await run_in_threadpool(store.claim_unanswered, hosts - alive)
    if claimed:
        log.info("answering %d customer message(s) a stopped replica left unanswered", len(claimed))
        await conversations.answer_unanswered(bot_wait_s=bot_wait_s, only=claimed)
