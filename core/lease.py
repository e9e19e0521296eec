"""One replica at a time: a lease in Redis that one replica holds and renews, and the others
wait for. It is redis-py's `Lock` (SET key token NX PX ttl; renewed and released only by the
token's holder, in Lua), kept by a task on the event loop.

The holder renews it every third of its time to live. A replica that dies without a word
(SIGKILL) stops renewing: the lease expires at most `ttl_s` after its last renewal and another
replica, trying every `TRY_EVERY_S`, takes it within a second after that. The holder counts the
lease as its own only until `ttl_s` after it last sent a renewal that succeeded, so when Redis
stops answering it stops before anyone else could start (and then no one runs until Redis is
back: a pass skipped is run again on the next tick, by whoever holds the lease then).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid

import redis.asyncio as aioredis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

TRY_EVERY_S = 1.0  # how often a replica without the lease tries to take it
TIMEOUT_S = 1.0  # a Redis that stops answering must not hold the renewal


class Lease:
    def __init__(self, url: str, *, name: str, ttl_s: float) -> None:
        self.url = url
        self.name = name
        self.ttl_s = ttl_s
        self._until = 0.0  # time.monotonic() until which the lease is this replica's
        # What the key holds while this replica has it: who holds the lease is one GET away.
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._redis: aioredis.Redis | None = None

    @property
    def held(self) -> bool:
        """Whether this replica holds the lease now; callable from any thread."""
        return time.monotonic() < self._until

    async def keep(self) -> None:
        """Take the lease when it is free and renew it while held, until cancelled; then
        release it, so another replica takes over at once rather than when it expires."""
        self._redis = client = aioredis.Redis.from_url(
            self.url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
        )
        lock = client.lock(self.name, timeout=self.ttl_s, blocking=False, thread_local=False)
        try:
            while True:
                await self._renew_or_take(lock)
                await asyncio.sleep(self.ttl_s / 3 if self.held else TRY_EVERY_S)
        finally:
            await self._let_go(lock)
            await client.aclose()

    async def _renew_or_take(self, lock: aioredis.lock.Lock) -> None:
        sent = time.monotonic()
        was = self.held
        try:
            if lock.local.token is not None:
                await lock.reacquire()
                got = True
            else:
                got = await lock.acquire(token=self.token)
        except LockError:  # expired, and perhaps taken: try again as anyone would
            lock.local.token = None
            got = False
        except RedisError:
            if was:
                log.warning("the %s lease could not be renewed", self.name, exc_info=True)
            return  # held until it runs out, as far as this replica can tell
        self._until = sent + self.ttl_s if got else 0.0
        if got and not was:
            log.info("this replica holds the %s lease", self.name)
        elif was and not got:
            log.warning("the %s lease went to another replica", self.name)

    async def _let_go(self, lock: aioredis.lock.Lock) -> None:
        self._until = 0.0
        if lock.local.token is None:
            return
        with contextlib.suppress(LockError, RedisError):  # else it runs out by itself
            await asyncio.shield(lock.release())

    async def once_per(self, key: str, period_s: float) -> bool:
        """True for the first replica to ask in each `period_s` (a mark kept that long)."""
        if self._redis is None:
            return False
        try:
            return bool(await self._redis.set(key, "1", nx=True, px=int(period_s * 1000)))
        except RedisError:
            log.warning("Redis does not answer: %s waits", key, exc_info=True)
            return False
