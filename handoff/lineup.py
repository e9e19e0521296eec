"""The queue as it stands: agents with their load, and the chats waiting in line.

Chats are read through `ConversationStore` (conversations own that table); agents and offers
are handoff's own tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from conversations.store import ConversationStore
from core.clock import iso
from core.db import Storage
from core.language import DEFAULT
from handoff.routing import AgentState, WaitingChat


@lru_cache(maxsize=4096)
def _skills(raw: str) -> tuple[tuple[str, int], ...]:
    return tuple(json.loads(raw).items())


def skills_of(raw: str) -> dict[str, int]:
    return dict(_skills(raw))


@lru_cache(maxsize=64)
def languages_of(raw: str | None) -> frozenset[str]:
    """An agent's stored languages (JSON); one stored without them speaks English."""
    return frozenset(json.loads(raw)) if raw else frozenset({DEFAULT})


@dataclass(frozen=True)
class Pending:
    chats: frozenset[str]  # on offer to someone
    per_agent: dict[str, int]  # how many offers each agent has in front of them


class Lineup:
    def __init__(
        self, *, storage: Storage, conversations: ConversationStore, skill_wait_s: float
    ) -> None:
        self.storage = storage
        self.conversations = conversations
        self.skill_wait_s = skill_wait_s

    def agent_states(
        self,
        *,
        online_only: bool = False,
        free_only: bool = False,
        pending: Pending | None = None,
    ) -> list[AgentState]:
        """Agents with their load (chats assigned plus offers pending, read now unless given);
        `free_only` keeps online agents with a free slot."""
        where = " where status = 'online'" if (online_only or free_only) else ""
        rows = self.storage.db.execute(
            "select id, skills, max_concurrent, status, coalesce(idle_since, created_at),"
            " languages from agents" + where
        ).fetchall()
        chats = self.conversations.assigned_counts()
        offers = (pending or self.pending()).per_agent
        agents = []
        for id, skills, max_concurrent, status, idle, languages in rows:
            load = chats.get(id, 0) + offers.get(id, 0)
            if free_only and load >= max_concurrent:
                continue
            agents.append(
                AgentState(
                    id,
                    skills_of(skills),
                    max_concurrent,
                    status,
                    load,
                    datetime.fromisoformat(idle),
                    languages_of(languages),
                )
            )
        return agents

    def pending(self) -> Pending:
        """The offers waiting for an agent's answer now."""
        per_agent: dict[str, int] = {}
        chats: set[str] = set()
        for conversation_id, agent_id in self.storage.db.execute(
            "select conversation_id, agent_id from offers where status = 'pending'"
        ).fetchall():
            chats.add(conversation_id)
            per_agent[agent_id] = per_agent.get(agent_id, 0) + 1
        return Pending(frozenset(chats), per_agent)

    def in_progress(self, agent_ids: list[str]) -> dict[str, list[datetime]]:
        """When each agent took each chat they have now (chats read through the store)."""
        started: dict[str, list[datetime]] = {}
        for agent_id in agent_ids:
            for conversation_id in self.conversations.assigned_to(agent_id):
                at = self.conversations.get(conversation_id)["assigned_at"]
                if at:
                    started.setdefault(agent_id, []).append(datetime.fromisoformat(at))
        return started

    def online_languages(self) -> frozenset[str]:
        """The languages the online agents chat in (none: nobody is online)."""
        rows = self.storage.db.execute("select languages from agents where status = 'online'")
        return frozenset(
            lang for (languages,) in rows.fetchall() for lang in languages_of(languages)
        )

    def waiting(
        self,
        now: datetime,
        *,
        unoffered_only: bool = False,
        before: str | None = None,
        offered: frozenset[str] | None = None,
    ) -> Iterator[tuple[WaitingChat, bool]]:
        """Queued chats in queue order (priority, then longest waiting), each with whether an
        agent has it on offer (`offered`, read now unless given). Read lazily: a routing pass
        stops once no agent is free."""
        if offered is None:
            offered = self.pending().chats
        for row in self.conversations.queued(before=before):
            is_offered = row[0] in offered
            if unoffered_only and is_offered:
                continue
            yield self._chat(row, now), is_offered

    def due(
        self,
        now: datetime,
        *,
        before: str,
        spoken: frozenset[str],
        passes: Passes,
        offered: frozenset[str],
    ) -> Iterator[WaitingChat]:
        """The chats not on offer that a routing pass may have to file, in queue order: queued
        at or before `before`, in a language not `spoken`, or passed on by someone (`passes`,
        with who passed each on). Read by the database's filter, not by walking the line."""
        for row in self.conversations.queued_due(before=before, spoken=spoken, ids=passes):
            if row[0] not in offered:
                yield passed_by(self._chat(row, now), passes)

    def _chat(self, row: tuple[str, str, str, str, str], now: datetime) -> WaitingChat:
        id, skill, priority, queued_at, language = row
        since = datetime.fromisoformat(queued_at)
        widened = (now - since).total_seconds() >= self.skill_wait_s
        return WaitingChat(id, skill, priority, since, widened, language=language)

    def passes(self, *, since: str) -> Passes:
        """Who passed on which chat (declined it, let its offer lapse, or transferred it) since
        `since`, when each last did, and whether they said no (a decline or a transfer) or only
        let it lapse: by the offers' (status, created_at) index, so only the recent ones are
        read."""
        passes: Passes = {}
        for conversation_id, agent_id, created_at, status in self.storage.db.execute(
            "select conversation_id, agent_id, created_at, status from offers"
            " where status in ('declined', 'expired') and created_at >= ?",
            [since],
        ).fetchall():
            agents = passes.setdefault(conversation_id, {})
            at, said_no = agents.get(agent_id, (created_at, False))
            agents[agent_id] = (max(at, created_at), said_no or status == "declined")
        return passes


# chat -> agent who passed it on -> (when they last did, whether they ever said no)
Passes = dict[str, dict[str, tuple[str, bool]]]


def passed_by(chat: WaitingChat, passes: Passes) -> WaitingChat:
    """`chat` with the agents who passed it on since it joined the queue (its `excluded`), and
    those of them who only let its offer lapse (its `lapsed`)."""
    agents = passes.get(chat.id)
    if not agents:
        return chat
    since = iso(chat.queued_at)
    recent = {a: said_no for a, (at, said_no) in agents.items() if at >= since}
    return replace(
        chat,
        excluded=frozenset(recent),
        lapsed=frozenset(a for a, said_no in recent.items() if not said_no),
    )
