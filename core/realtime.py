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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import socketio

from core.auth import Role, TokenStore
from core.rate_limits import RateLimits, client_of_environ

log = logging.getLogger(__name__)

DESK_ROOM = "desk"  # socket.io room of every agent and ops member
OCCUPIED_WAIT_S = 10.0  # how long a thread waits for the event loop to list the rooms


class Realtime:
    def __init__(
        self, *, allowed_origins: list[str] | None = None, rate_limits: RateLimits | None = None
    ) -> None:
        # Browsers on other sites (a Rasa web widget on a company's pages) need CORS on the
        # polling transport; staff and customers authenticate with tokens, never cookies.
        wanted = ["*"] if allowed_origins is None else allowed_origins
        # python-socketio: "*" any origin, a list those, None only the app's own.
        origins: str | list[str] | None = "*" if "*" in wanted else (wanted or None)
        self.sio = socketio.AsyncServer(
            async_mode="asgi", cors_allowed_origins=origins, logger=False
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tokens: TokenStore | None = None
        self._order: asyncio.Lock | None = None
        self._emitting: set[asyncio.Task[None]] = set()
        self.rate_limits = rate_limits or RateLimits()  # none: no limits (tools, tests)
        self.sio.on("connect", self._connect)

    def bind(self, loop: asyncio.AbstractEventLoop, tokens: TokenStore) -> None:
        self._loop = loop
        self._tokens = tokens
        self._order = asyncio.Lock()

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
        if who.has(Role.AGENT) or who.has(Role.OPS):
            await self.sio.enter_room(sid, DESK_ROOM)  # ticket changes
        if who.is_admin():
            await self.sio.enter_room(sid, "staff")
        return True

    def publish(self, room: str, event: str, data: dict[str, Any]) -> None:
        """Safe to call from any thread: the emit is scheduled on the server's event loop, and
        emits leave in the order they were published (one lock, whose waiters queue in order)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def start() -> None:
            task = loop.create_task(self._emit(room, event, data))
            self._emitting.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._emitting.discard)

        loop.call_soon_threadsafe(start)

    def call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        """Run `callback(*args)` on the server's event loop, in call order, from any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback, *args)

    def occupied(self, prefix: str) -> frozenset[str]:
        """The rooms named `prefix` + something that have a socket in them now, as those
        somethings (`occupied("conversation:")`: the conversations whose customer is connected).
        Read on the server's event loop, where the rooms change; callable from any thread."""
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
        rooms = self.sio.manager.rooms.get("/", {})
        return frozenset(
            room[len(prefix) :]
            for room in rooms
            if isinstance(room, str) and room.startswith(prefix)
        )

    def disconnect_tokens(self, token_ids: list[str]) -> None:
        """Close the sockets opened with these tokens (just revoked); safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        async def close() -> None:
            for token_id in token_ids:
                room = f"token:{token_id}"
                for sid, _ in list(self.sio.manager.get_participants("/", room)):
                    await self.sio.disconnect(sid)

        def start() -> None:
            task = loop.create_task(close())
            self._emitting.add(task)
            task.add_done_callback(self._emitting.discard)

        loop.call_soon_threadsafe(start)

    async def _emit(self, room: str, event: str, data: dict[str, Any]) -> None:
        assert self._order is not None
        async with self._order:
            try:
                await self.sio.emit(event, data, room=room)
            except Exception:  # one client's broken pipe must not stop the others' pushes
                log.exception("emitting %s to %s failed", event, room)
