"""What several app replicas share through Redis (CASCADE_REDIS_URL), besides the pushes: every
emit already reaches every replica's sockets through python-socketio's AsyncRedisManager.

- Which rooms have a socket, on every replica. The manager lists only this process's sockets,
  and asking every replica over pub/sub would mean knowing how many answers to wait for. So each
  replica keeps its own rooms in a Redis set of its own (`cascade:rooms:<host>`) that expires
  unless renewed: rewritten when they changed (looked at every ROOMS_EVERY_S), renewed
  otherwise. A replica that dies without a word (SIGKILL) drops out when its set expires
  (ROOMS_TTL_S); the living find each other's sets through `cascade:hosts`. What another
  replica's sockets are in is at most about two ROOMS_EVERY_S old: enough for what it is used
  for, telling whether a customer has their chat open.
- Notices from one replica to the others, on a pub/sub channel of their own: work a replica
  does for its own sockets when another stored something (the Rasa channel's messages) or
  changed something (a revoked token's sockets close).
- Small values kept a while (`remember`, `recall`): the last message a Rasa widget's session
  was sent, for the replica it reconnects to.
- Which replicas are alive: each renews a key of its own (`cascade:alive:<host>`, ALIVE_TTL_S)
  with its rooms and deletes it when it stops, so the customer turns a replica left unanswered
  when it died or stopped can be taken by another (`living`).

A Redis that stops answering stops none of this replica's own work: what is shared waits (with
one warning) and is shared again once Redis is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

HOSTS = "cascade:hosts"  # the replicas that shared their rooms lately
NOTICES = "cascade:notices"  # the pub/sub channel of notices between replicas
ROOMS_EVERY_S = 1.0
ROOMS_TTL_S = 5.0  # a replica's rooms outlive it this long
# A replica counts as alive this long after its last renewal: long enough that a loop held up
# under load is not taken for dead (its turns would be answered twice), short enough that a
# customer whose replica died waits seconds, not minutes.
ALIVE_TTL_S = 15.0
TIMEOUT_S = 1.0  # as the rate limits: a Redis that stops answering must not hold the loop
RETRY_MAX_S = 30.0

Heard = Callable[[str, dict[str, Any]], None]  # (topic, body), on the event loop's thread


def rooms_key(host_id: str) -> str:
    return f"cascade:rooms:{host_id}"


def alive_key(host_id: str) -> str:
    return f"cascade:alive:{host_id}"


class Replicas:
    """This replica's part in what the replicas share; `start` and `stop` run on the loop."""

    def __init__(self, url: str, *, host_id: str) -> None:
        self.url = url
        self.where = f"{urlsplit(url).hostname}:{urlsplit(url).port or 6379}"  # no password
        self.host_id = host_id
        self.elsewhere: frozenset[str] = frozenset()  # rooms with a socket on another replica
        self.listening = asyncio.Event()  # subscribed to the notices (tests wait for it)
        self._redis: aioredis.Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._down = False

    def start(self, *, rooms: Callable[[], frozenset[str]], heard: Heard) -> None:
        """Share this replica's `rooms()` and hear the others' notices, until `stop`."""
        self._redis = self._client(socket_timeout=TIMEOUT_S)
        self._tasks = [
            asyncio.create_task(self._share_rooms(rooms)),
            asyncio.create_task(self._listen(heard)),
        ]

    async def stop(self) -> None:
        """Stop sharing; this replica's rooms go at once rather than when they expire."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._redis is None:
            return
        try:
            await self._redis.delete(rooms_key(self.host_id), alive_key(self.host_id))
            await self._redis.srem(HOSTS, self.host_id)  # type: ignore[misc]  # redis-py: sync or async
        except RedisError:
            pass
        await self._redis.aclose()
        self._redis = None

    # -- notices ------------------------------------------------------------------------------

    async def tell(self, topic: str, body: dict[str, Any]) -> None:
        """Tell the other replicas (each hears it once; this one does not)."""
        notice = json.dumps({"host": self.host_id, "topic": topic, "body": body})
        try:
            await self._connected().publish(NOTICES, notice)
        except RedisError:
            self._warn("telling the other replicas")

    async def _listen(self, heard: Heard) -> None:
        wait = 0.5
        while True:
            # Its own client, without a read timeout: a quiet channel is not a dead one.
            client = self._client(socket_timeout=None)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(NOTICES)
                    self.listening.set()
                    wait = 0.5
                    while True:
                        message = await pubsub.get_message(timeout=ROOMS_EVERY_S)
                        if message is not None and message["type"] == "message":
                            self._hear(heard, message["data"])
            except (RedisError, OSError):
                self.listening.clear()
                self._warn("hearing the other replicas")
                await asyncio.sleep(wait)
                wait = min(wait * 2, RETRY_MAX_S)
            finally:
                await client.aclose()

    def _hear(self, heard: Heard, data: bytes) -> None:
        try:
            notice = json.loads(data)
            if notice.get("host") != self.host_id:
                heard(str(notice["topic"]), notice["body"])
        except Exception:  # one bad notice must not stop the others
            log.exception("a notice from another replica was not handled")

    # -- rooms --------------------------------------------------------------------------------

    async def _share_rooms(self, rooms: Callable[[], frozenset[str]]) -> None:
        key = rooms_key(self.host_id)
        shared: frozenset[str] | None = None
        while True:
            try:
                now = rooms()
                async with self._connected().pipeline(transaction=True) as pipe:
                    if now != shared:
                        pipe.delete(key)
                        if now:
                            pipe.sadd(key, *now)
                    pipe.pexpire(key, int(ROOMS_TTL_S * 1000))
                    pipe.set(alive_key(self.host_id), 1, px=int(ALIVE_TTL_S * 1000))
                    pipe.sadd(HOSTS, self.host_id)
                    await pipe.execute()
                shared = now
                self.elsewhere = await self._rooms_elsewhere()
                self._back()
            except RedisError:
                shared = None  # written again in full once Redis answers
                self._warn("sharing which rooms have sockets")
            await asyncio.sleep(ROOMS_EVERY_S)

    async def _rooms_elsewhere(self) -> frozenset[str]:
        client = self._connected()
        members = await client.smembers(HOSTS)  # type: ignore[misc]  # redis-py: sync or async
        hosts = [h for h in members if h.decode() != self.host_id]
        async with client.pipeline(transaction=False) as pipe:
            for host in hosts:
                pipe.smembers(rooms_key(host.decode()))
            found: list[set[bytes]] = await pipe.execute()
        gone = [host for host, members in zip(hosts, found, strict=True) if not members]
        if gone:  # expired (or empty: a living replica adds itself back at its next renewal)
            await client.srem(HOSTS, *gone)  # type: ignore[misc]
        return frozenset(room.decode() for members in found for room in members)

    # -- who is alive ------------------------------------------------------------------------

    async def living(self, hosts: list[str]) -> set[str] | None:
        """Which of `hosts` are alive (this one always is); None while Redis does not answer,
        when nobody can tell."""
        others = [host for host in hosts if host != self.host_id]
        try:
            async with self._connected().pipeline(transaction=False) as pipe:
                for host in others:
                    pipe.exists(alive_key(host))
                found: list[int] = await pipe.execute()
        except RedisError:
            self._warn("asking which replicas are alive")
            return None
        return {self.host_id} | {host for host, n in zip(others, found, strict=True) if n}

    # -- values kept a while ------------------------------------------------------------------

    async def remember(self, key: str, value: int, *, ttl_s: float) -> None:
        try:
            await self._connected().set(key, value, px=int(ttl_s * 1000))
        except RedisError:
            self._warn("keeping a value")

    async def recall(self, key: str) -> int | None:
        try:
            found = await self._connected().get(key)
        except RedisError:
            self._warn("reading a value")
            return None
        return int(found) if found is not None else None

    # -- plumbing -----------------------------------------------------------------------------

    def _client(self, *, socket_timeout: float | None) -> aioredis.Redis:
        return aioredis.Redis.from_url(
            self.url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=TIMEOUT_S,
            socket_keepalive=True,
        )

    def _connected(self) -> aioredis.Redis:
        if self._redis is None:
            raise RedisError("not started")
        return self._redis

    def _warn(self, doing: str) -> None:
        if not self._down:
            log.warning("Redis at %s does not answer: %s waits", self.where, doing, exc_info=True)
        self._down = True

    def _back(self) -> None:
        if self._down:
            log.warning("Redis at %s answers again", self.where)
        self._down = False
