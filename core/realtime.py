"""Real-time pushes over socket.io: offers, messages, status and queue updates.

Clients connect to `/socket.io/` with `auth: {"token": ...}`: a customer's token joins its
conversation's room, an agent's token the agent's room. The REST API keeps working for clients
that poll; this only pushes what they would otherwise poll for.

A connection with no token at all is a Rasa web widget: it joins no room and may only speak
Rasa's socketio channel protocol (conversations/channels/rasa_socketio.py), where the session id is the secret.
A token that is present but unknown is refused, so Cascade's own clients learn it is wrong.

Which rooms have a socket in them (`occupied`) tells the queue which customers have their chat
open now: a chat with an agent is not abandoned while its customer is there.

So is a connection past the address's rate limit (`sockets`): its connect_error says when to
try again.

With CASCADE_REDIS_URL, several replicas act as one (docs/production/scaling-redis.md): an emit
reaches the room's sockets on every replica (python-socketio's AsyncRedisManager), `occupied`
counts every replica's sockets, and `notice` runs a handler on every replica for its own
sockets (core/replicas.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

import socketio

from core.auth import Role, TokenStore
from core.rate_limits import RateLimits, client_of_environ
from core.replicas import Replicas

log = logging.getLogger(__name__)

DESK_ROOM = "desk"  # socket.io room of every agent, supervisor and ops member
OCCUPIED_WAIT_S = 10.0  # how long a thread waits for the event loop to list the rooms
SOCKETIO_CHANNEL = "cascade:socketio"  # the Redis channel python-socketio's manager speaks on
CONNECT_TIMEOUT_S = 1.0  # to Redis, as the rate limits
SHARED_KEY_S = 24 * 3600.0  # values kept for other replicas (`remember`) last this long

Handler = Callable[[dict[str, Any]], None]


class Realtime:
    def __init__(
        self,
        *,
        allowed_origins: list[str] | None = None,
        rate_limits: RateLimits | None = None,
        redis_url: str | None = None,
    ) -> None:
        # Browsers on other sites (a Rasa web widget on a company's pages) need CORS on the
        # polling transport; staff and customers authenticate with tokens, never cookies.
        wanted = ["*"] if allowed_origins is None else allowed_origins
        # python-socketio: "*" any origin, a list those, None only the app's own.
        origins: str | list[str] | None = "*" if "*" in wanted else (wanted or None)
        manager = (
            socketio.AsyncRedisManager(
                redis_url,
                channel=SOCKETIO_CHANNEL,
                # No read timeout: its subscription waits on a quiet channel. A Redis host that
                # is gone must not hold the emits queued behind one (python-socketio waits for
                # nothing on its own).
                redis_options={
                    "socket_connect_timeout": CONNECT_TIMEOUT_S,
                    "socket_keepalive": True,
                },
            )
            if redis_url
            else None
        )
        self.sio = socketio.AsyncServer(
            async_mode="asgi", cors_allowed_origins=origins, logger=False, client_manager=manager
        )
        self.replicas = (
            Replicas(redis_url, host_id=manager.host_id) if redis_url and manager else None
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tokens: TokenStore | None = None
        self._order: asyncio.Lock | None = None
        self._emitting: set[asyncio.Task[None]] = set()
        self._handlers: dict[str, Handler] = {}
        self.rate_limits = rate_limits or RateLimits()  # none: no limits (tools, tests)
        self.sio.on("connect", self._connect)
        self.on_notice("close_tokens", self._close_tokens)

    def bind(self, loop: asyncio.AbstractEventLoop, tokens: TokenStore) -> None:
        """On the running loop, at start-up. With Redis: this replica hears the others' emits
        and notices from now on, not only once its first socket connects."""
        self._loop = loop
        self._tokens = tokens
        self._order = asyncio.Lock()
        if self.replicas is not None:
            if not self.sio.manager_initialized:
                self.sio.manager_initialized = True
                self.sio.manager.initialize()
            self.replicas.start(rooms=self._rooms_here, heard=self._heard)

    async def aclose(self) -> None:
        """At shutdown: stop sharing with the other replicas (nothing to do without Redis)."""
        if self.replicas is None:
            return
        await self.replicas.stop()
        manager = self.sio.manager
        listening = getattr(manager, "thread", None)
        if listening is not None:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
        if getattr(manager, "redis", None) is not None:
            await manager.redis.aclose()

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        client = client_of_environ(environ)
        refused = await asyncio.to_thread(self.rate_limits.hit, "sockets", client)
        if refused is not None:
            raise socketio.exceptions.ConnectionRefusedError(
                refused.detail, {"retry_after": refused.retry_after_s}
            )
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is None:
            return True  # a Rasa widget: no room; only the Rasa protocol's own events
        who = self._tokens.resolve(token) if (self._tokens and isinstance(token, str)) else None
        if who is None:
            return False  # refused: a token, but not a valid one
        if who.token_id and not who.has(Role.CUSTOMER):  # a staff socket closes on revocation
            await self.sio.enter_room(sid, f"token:{who.token_id}")
        if who.has(Role.CUSTOMER):
            await self.sio.enter_room(sid, f"conversation:{who.subject}")
        elif who.has(Role.AGENT) and who.subject:
            await self.sio.enter_room(sid, f"agent:{who.subject}")
        if who.has(Role.AGENT) or who.has(Role.OPS) or who.has(Role.SUPERVISOR):
            await self.sio.enter_room(sid, DESK_ROOM)  # ticket changes
        if who.is_admin():
            await self.sio.enter_room(sid, "staff")
        if who.expires_at is not None and self._loop is not None and self._tokens is not None:
            # The token's end closes the socket too (a closed one is let be), as revoking does.
            left = datetime.fromisoformat(who.expires_at) - self._tokens.clock.now()
            self._loop.call_later(max(left.total_seconds(), 0), self._expired, sid)
        return True

    def _expired(self, sid: str) -> None:
        task = asyncio.get_running_loop().create_task(self.sio.disconnect(sid, ignore_queue=True))
        self._emitting.add(task)
        task.add_done_callback(self._emitting.discard)

    def publish(
        self, room: str, event: str, data: dict[str, Any], *, here_only: bool = False
    ) -> None:
        """Safe to call from any thread: the emit is scheduled on the server's event loop, and
        emits leave in the order they were published (one lock, whose waiters queue in order).
        It reaches the room's sockets on every replica, or with `here_only` this one's."""
        self._in_order(lambda: self._emit(room, event, data, here_only=here_only))

    def on_notice(self, topic: str, handler: Handler) -> None:
        """`handler(body)` runs on each replica's event loop for every `notice(topic, body)`."""
        self._handlers[topic] = handler

    def notice(self, topic: str, body: dict[str, Any]) -> None:
        """From any thread: this replica's handler of `topic` runs on its loop, in call order,
        and every other replica's on theirs (once each; `body` must be JSON)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._heard, topic, body)
        replicas = self.replicas
        if replicas is not None:
            self._in_order(lambda: replicas.tell(topic, body))

    def remember(self, key: str, value: int) -> None:
        """Keep `value` for the other replicas a day (nothing without Redis); from the loop."""
        replicas = self.replicas
        if replicas is not None:
            self._in_order(lambda: replicas.remember(key, value, ttl_s=SHARED_KEY_S))

    async def recall(self, key: str) -> int | None:
        """What a replica remembered under `key`, if it is still kept (None without Redis)."""
        return None if self.replicas is None else await self.replicas.recall(key)

    def _heard(self, topic: str, body: dict[str, Any]) -> None:
        handler = self._handlers.get(topic)
        if handler is None:
            return
        try:
            handler(body)
        except Exception:  # one failed notice must not stop the next
            log.exception("handling the notice %s failed", topic)

    def _in_order(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        async def ordered() -> None:
            assert self._order is not None
            async with self._order:
                await work()

        def start() -> None:
            task = loop.create_task(ordered())
            self._emitting.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._emitting.discard)

        loop.call_soon_threadsafe(start)

    def occupied(self, prefix: str) -> frozenset[str]:
        """The rooms named `prefix` + something that have a socket in them now, as those
        somethings (`occupied("conversation:")`: the conversations whose customer is connected).
        Read on the server's event loop, where the rooms change; callable from any thread. With
        Redis, other replicas' sockets count too, as they shared them last (core/replicas.py)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return frozenset()
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:  # read at once: waiting for the loop from its own thread would never end
            return self._rooms(prefix)

        async def read() -> frozenset[str]:
            return self._rooms(prefix)

        return asyncio.run_coroutine_threadsafe(read(), loop).result(timeout=OCCUPIED_WAIT_S)

    def _rooms(self, prefix: str) -> frozenset[str]:
        rooms = self._rooms_here() | (self.replicas.elsewhere if self.replicas else frozenset())
        return frozenset(room[len(prefix) :] for room in rooms if room.startswith(prefix))

    def _rooms_here(self) -> frozenset[str]:
        """This replica's rooms named `kind:id` (not the room each socket has of its own)."""
        rooms = self.sio.manager.rooms.get("/", {})
        return frozenset(room for room in rooms if isinstance(room, str) and ":" in room)

    def disconnect_tokens(self, token_ids: list[str]) -> None:
        """Close the sockets opened with these tokens (just revoked), on every replica; safe
        from any thread."""
        self.notice("close_tokens", {"token_ids": token_ids})

    def _close_tokens(self, body: dict[str, Any]) -> None:
        """This replica's sockets of the revoked tokens; on the loop."""
        loop = self._loop
        if loop is None:
            return

        async def close() -> None:
            for token_id in body["token_ids"]:
                room = f"token:{token_id}"
                for sid, _ in list(self.sio.manager.get_participants("/", room)):
                    await self.sio.disconnect(sid, ignore_queue=True)

        task = loop.create_task(close())
        self._emitting.add(task)
        task.add_done_callback(self._emitting.discard)

    async def _emit(self, room: str, event: str, data: dict[str, Any], *, here_only: bool) -> None:
        try:
            await self.sio.emit(event, data, room=room, ignore_queue=here_only)
        except Exception:  # one client's broken pipe must not stop the others' pushes
            log.exception("emitting %s to %s failed", event, room)
