"""The app's timers: the queue, SLA clocks, presence and the outbox are checked on timers as well
as on changes; a crash's unanswered messages are answered once at start-up; retention runs
daily when it is set."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial

from fastapi.concurrency import run_in_threadpool

from cascade.operations import DAY_S, purge_retained
from cascade.services import Services
from conversations.service import ConversationService
from core.settings import Settings

log = logging.getLogger(__name__)


def start_timers(settings: Settings, services: Services) -> list[asyncio.Task[None]]:
    """Start every timer on the running loop; the caller cancels them at shutdown."""
    timers = [
        asyncio.create_task(every(interval, job))
        for interval, job in (
            (settings.route_interval_s, services.queue.route),
            (settings.route_interval_s, services.tickets.check_slas),
            (settings.outbox_interval_s, services.outbox.deliver_due),
            (settings.route_interval_s, services.queue.abandon_idle),
            (settings.route_interval_s, services.queue.check_presence),
        )
        if interval > 0
    ]
    # In the background, so start-up is not held up: customer messages a crash left
    # unanswered get their turn, as they would have before it.
    timers.append(
        asyncio.create_task(
            answer_unanswered(
                services.conversations,
                bot_wait_s=settings.unanswered_bot_wait_s if settings.rasa_url else 0.0,
            )
        )
    )
    if settings.retention_days:  # daily, from start-up on (cascade/operations.py)
        retention = partial(purge_retained, services.storage, settings, services.clock)
        timers.append(asyncio.create_task(every(DAY_S, retention, first_at_start=True)))
    return timers


async def every(
    interval_s: float, job: Callable[[], object], *, first_at_start: bool = False
) -> None:
    """Run `job` in a worker thread every `interval_s`, whatever one pass raises."""
    if not first_at_start:
        await asyncio.sleep(interval_s)
    while True:
        try:
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
