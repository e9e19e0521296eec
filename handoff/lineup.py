"""The queue as it stands: agents with their load, and the chats waiting in line.

Chats are read through `ConversationStore` (conversations own that table); agents and offers
are handoff's own tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache

from conversations.store import ConversationStore
from core.clock import iso
from core.db import Storage
from handoff.routing import AgentState, WaitingChat


@lru_cache(maxsize=4096)
def _skills(raw: str) -> tuple[tuple[str, int], ...]:
    return tuple(json.loads(raw).items())


def skills_of(raw: str) -> dict[str, int]:
    return dict(_skills(raw))


class Lineup:
    def __init__(
        self, *, storage: Storage, conversations: ConversationStore, skill_wait_s: float
    ) -> None:
        self.storage = storage
        self.conversations = conversations
        self.skill_wait_s = skill_wait_s

    def agent_states(
        self, *, online_only: bool = False, free_only: bool = False
    ) -> list[AgentState]:
        """Agents with their load (chats assigned plus offers pending); `free_only` keeps
        online agents with a free slot."""
        where = " where status = 'online'" if (online_only or free_only) else ""
        rows = self.storage.db.execute(
            "select id, skills, max_concurrent, status, coalesce(idle_since, created_at)"
            " from agents" + where
        ).fetchall()
        chats = self.conversations.assigned_counts()
        offers = self.pending_offer_counts()
        agents = [
            AgentState(
                id,
                skills_of(skills),
                max_concurrent,
                status,
                chats.get(id, 0) + offers.get(id, 0),
                datetime.fromisoformat(idle),
            )
            for id, skills, max_concurrent, status, idle in rows
        ]
        return [a for a in agents if a.free > 0] if free_only else agents

    def pending_offer_counts(self) -> dict[str, int]:
        rows = self.storage.db.execute(
            "select agent_id, count(*) from offers where status = 'pending' group by agent_id"
        ).fetchall()
        return {agent_id: count for agent_id, count in rows}

    def offered(self) -> set[str]:
        """Chats an agent has on offer now."""
        rows = self.storage.db.execute(
            "select distinct conversation_id from offers where status = 'pending'"
        ).fetchall()
        return {conversation_id for (conversation_id,) in rows}

    def anyone_online(self) -> bool:
        row = self.storage.db.execute("select exists(select 1 from agents where status = 'online')")
        return bool(row.fetchone()[0])

    def waiting(
        self, now: datetime, *, unoffered_only: bool = False, before: str | None = None
    ) -> Iterator[tuple[WaitingChat, bool]]:
        """Queued chats in queue order (priority, then longest waiting), each with whether an
        agent has it on offer. Read lazily: a routing pass stops once no agent is free."""
        offered = self.offered()
        for row in self.conversations.queued(before=before):
            is_offered = row["id"] in offered
            if unoffered_only and is_offered:
                continue
            since = datetime.fromisoformat(row["queued_at"])
            widened = (now - since).total_seconds() >= self.skill_wait_s
            yield WaitingChat(row["id"], row["skill"], row["priority"], since, widened), is_offered

    def excluded(self, chat: WaitingChat) -> frozenset[str]:
        """Agents who declined this chat or let its offer lapse since it joined the queue."""
        rows = self.storage.db.execute(
            "select agent_id from offers where conversation_id = ?"
            " and status in ('declined', 'expired') and created_at >= ?",
            [chat.id, iso(chat.queued_at)],
        ).fetchall()
        return frozenset(agent_id for (agent_id,) in rows)
