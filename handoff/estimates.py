"""Where each waiting chat stands in line and how long it may wait, from recent handle times
and the capacity online now."""

from __future__ import annotations

import math

from conversations.events import ChatHandled
from conversations.people import Place
from conversations.store import ConversationStore
from core.clock import Clock
from handoff.lineup import Lineup
from handoff.routing import GENERAL


class Estimates:
    def __init__(
        self,
        *,
        clock: Clock,
        lineup: Lineup,
        conversations: ConversationStore,
        default_handle_s: float,
    ) -> None:
        self.clock = clock
        self.lineup = lineup
        self.conversations = conversations
        self.default_handle_s = default_handle_s

    def handle_time_s(self, *, recent: int = 20) -> float:
        times = [data["handle_s"] for data in self.conversations.recent(ChatHandled, limit=recent)]
        return sum(times) / len(times) if times else self.default_handle_s

    def places(self) -> dict[str, Place]:
        """Each waiting chat's place in line (among chats needing the same skill) and an
        estimated wait."""
        now = self.clock.now()
        pending = self.lineup.pending()  # read once for the agents' load and the line
        agents = self.lineup.agent_states(online_only=True, pending=pending)
        handle_s = self.handle_time_s()
        everyone = (sum(a.max_concurrent for a in agents), sum(max(a.free, 0) for a in agents))
        by_skill: dict[str, tuple[int, int]] = {}
        for a in agents:
            for skill in a.skills:
                capacity, free = by_skill.get(skill, (0, 0))
                by_skill[skill] = (capacity + a.max_concurrent, free + max(a.free, 0))
        ahead: dict[str, int] = {}  # chats of each skill ahead in line
        unserved: dict[str, int] = {}  # ... of which no agent is looking at yet
        result: dict[str, Place] = {}
        for chat, offered in self.lineup.waiting(now, offered=pending.chats):
            key = chat.skill
            position = ahead.get(key, 0) + 1
            ahead[key] = position
            if chat.skill == GENERAL or chat.widened:
                capacity, free = everyone
            else:
                capacity, free = by_skill.get(chat.skill, (0, 0))
            estimate: int | None
            if offered:
                estimate = 0  # an agent has it in front of them
            elif capacity == 0:
                estimate = None  # nobody who can take it is online
            else:
                waiting_for = unserved.get(key, 0) + 1 - free  # slots that must free up first
                estimate = max(0, math.ceil(waiting_for * handle_s / capacity))
            if not offered:
                unserved[key] = unserved.get(key, 0) + 1
            result[chat.id] = Place(position, estimate)
        return result
