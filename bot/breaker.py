"""A circuit breaker for the calls to Rasa: after a number of failures in a row it opens, and
calls fail at once (the chat is handed over) instead of each waiting for Rasa's timeout; a probe
in the background asks whether Rasa is back and closes it when Rasa answers.

Written here, in a few lines, rather than taken from a library: no breaker library is installed
in the app's runtime, and the known ones (pybreaker, aiobreaker) re-open on a timer and let the
next real call be the trial, so a customer's message would wait for a timeout to find out. Here
the trial is the probe's own request; a customer never waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from enum import Enum

log = logging.getLogger(__name__)


class State(str, Enum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls fail at once; the probe waits for its next turn
    HALF_OPEN = "half-open"  # the probe is asking; calls still fail at once


class Breaker:
    """Counts failures in a row; the owner reports each call's outcome with `succeeded` and
    `failed` and asks `allows` before calling. Runs on one event loop (the app's)."""

    def __init__(
        self,
        *,
        failures_to_open: int,
        probe_interval_s: float,
        probe: Callable[[], Awaitable[bool]],
        name: str = "Rasa",
    ) -> None:
        self.failures_to_open = failures_to_open
        self.probe_interval_s = probe_interval_s
        self._probe = probe
        self._name = name
        self._state = State.CLOSED
        self._failures = 0
        self._prober: asyncio.Task[None] | None = None

    @property
    def state(self) -> State:
        return self._state

    @property
    def failures(self) -> int:
        """Failures in a row so far (reset by a success)."""
        return self._failures

    def allows(self) -> bool:
        return self._state is State.CLOSED

    def succeeded(self) -> None:
        if self._state is State.CLOSED:
            self._failures = 0

    def failed(self) -> None:
        """Counts a failure; the one that reaches `failures_to_open` opens the breaker and
        starts the probe (so this is called on the event loop)."""
        if self._state is not State.CLOSED:
            return
        self._failures += 1
        if self._failures >= self.failures_to_open:
            self._state = State.OPEN
            log.warning(
                "%s failed %d times in a row: handing chats over at once, asking every %g s "
                "whether it is back",
                self._name,
                self._failures,
                self.probe_interval_s,
            )
            self._prober = asyncio.get_running_loop().create_task(self._probe_until_closed())

    async def _probe_until_closed(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval_s)
            self._state = State.HALF_OPEN
            try:
                answered = await self._probe()
            except Exception:  # a probe that breaks is a probe that got no answer
                log.exception("asking whether %s is back failed", self._name)
                answered = False
            if answered:
                self._state, self._failures = State.CLOSED, 0
                log.info("%s answers again: chats go to the bot", self._name)
                return
            self._state = State.OPEN

    async def aclose(self) -> None:
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
            self._prober = None
