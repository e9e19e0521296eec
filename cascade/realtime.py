"""Real-time pushes over socket.io: offers, messages, status and queue updates.

Clients connect to `/socket.io/` with `auth: {"token": ...}`: a customer's token joins its
conversation's room, an agent's token the agent's room. The REST API keeps working for clients
that poll; this only pushes what they would otherwise poll for.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from cascade.auth import Role, TokenStore

log = logging.getLogger(__name__)


class Realtime:
    def __init__(self) -> None:
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=[], logger=False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tokens: TokenStore | None = None
        self.sio.on("connect", self._connect)

    def bind(self, loop: asyncio.AbstractEventLoop, tokens: TokenStore) -> None:
        self._loop = loop
        self._tokens = tokens

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        who = self._tokens.resolve(token) if (self._tokens and isinstance(token, str)) else None
        if who is None:
            return False  # refused: no valid token
        if who.has(Role.CUSTOMER):
            await self.sio.enter_room(sid, f"conversation:{who.subject}")
        elif who.has(Role.AGENT) and who.subject:
            await self.sio.enter_room(sid, f"agent:{who.subject}")
        if who.is_admin():
            await self.sio.enter_room(sid, "staff")
        return True

    def publish(self, room: str, event: str, data: dict[str, Any]) -> None:
        """Safe to call from any thread: the emit is scheduled on the server's event loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def emit() -> None:
            asyncio.ensure_future(self.sio.emit(event, data, room=room))

        loop.call_soon_threadsafe(emit)
