"""Typing indicators between a customer and the agent who has their chat: the widget shows
"Priya Raman is typing…", the console "Ana is typing…".

A socket says `typing` while its person types (the widget and the console send it at most every
few seconds): a customer's socket for its own conversation, an agent's with
`{"conversation_id": ...}` for a chat assigned to them. The other side of the chat hears
`typing` `{"conversation_id", "who": "customer" | "agent"}` and shows it for a few seconds, or
until that side's message arrives. Only a chat assigned to an agent has two sides: a customer
typing to the bot or in the queue, or an agent typing into a chat that is not theirs, is told to
nobody. Nothing is stored: a signal lost costs only the indicator.

python-socketio delivers the event; what it means (who may tell whom) is Cascade's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from conversations.store import ConversationStore
from core.clock import Clock
from core.realtime import Realtime

# A socket's signals are read at most this often (the rest are dropped before the database is
# asked who has the chat); the clients send theirs every 3 s.
MIN_INTERVAL_S = 1.0


class Typing:
    def __init__(self, realtime: Realtime, store: ConversationStore, clock: Clock) -> None:
        self.realtime = realtime
        self.store = store
        self.clock = clock
        realtime.sio.on("typing", self.heard)

    async def heard(self, sid: str, data: Any = None) -> None:
        rooms = self.realtime.sio.rooms(sid)
        customer = _one(rooms, "conversation:")
        agent = _one(rooms, "agent:")
        named = data.get("conversation_id") if isinstance(data, dict) else None
        if customer is not None:
            conversation_id, who = customer, "customer"
        elif agent is not None and isinstance(named, str):
            conversation_id, who = named, "agent"
        else:
            return  # a Rasa widget, a staff socket that is no agent's, or no chat named
        if not await self._due(sid):
            return
        assigned = await asyncio.to_thread(self.store.assigned_agent, conversation_id)
        if assigned is None or (who == "agent" and assigned != agent):
            return
        room = f"agent:{assigned}" if who == "customer" else f"conversation:{conversation_id}"
        self.realtime.publish(room, "typing", {"conversation_id": conversation_id, "who": who})

    async def _due(self, sid: str) -> bool:
        """Whether this socket's signal is read: its first, or a second or more after the last."""
        now = self.clock.now().timestamp()
        try:
            async with self.realtime.sio.session(sid) as session:
                if now - session.get("typing_at", float("-inf")) < MIN_INTERVAL_S:
                    return False
                session["typing_at"] = now
        except KeyError:  # the socket closed meanwhile
            return False
        return True


def _one(rooms: list[str], prefix: str) -> str | None:
    return next((room[len(prefix) :] for room in rooms if room.startswith(prefix)), None)
