"""Which agent gets a waiting chat: a pure function over plain data, tested with tables.

An online agent who speaks the conversation's language, with the skill and a free slot, gets the
offer: best skill level first, then the least loaded, then the one idle longest. Once the chat
has waited past the skill wait limit (`widened`), any online agent with a free slot who speaks
its language may take it, those with the skill still first: the wait widens the skill, never the
language. A chat nobody online speaks the language of waits, as one nobody has the skill for.
An agent who passed a chat on is not offered it again while it waits; once every online agent
who speaks its language has, nobody is left (`passed_on_by_all`) and the queue files a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from core.language import DEFAULT

GENERAL = "general"  # a chat that needs no particular skill


@dataclass(frozen=True)
class AgentState:
    id: str
    skills: dict[str, int]
    max_concurrent: int
    status: str
    load: int  # chats assigned plus offers pending
    idle_since: datetime
    languages: frozenset[str] = frozenset({DEFAULT})  # the languages the agent chats in

    @property
    def free(self) -> int:
        return self.max_concurrent - self.load


@dataclass(frozen=True)
class WaitingChat:
    id: str
    skill: str
    priority: str
    queued_at: datetime
    widened: bool = False
    excluded: frozenset[str] = field(default_factory=frozenset)  # declined or let the offer lapse
    language: str = DEFAULT  # the conversation's
    lapsed: frozenset[str] = field(default_factory=frozenset)  # of `excluded`, only let it lapse


def level(agent: AgentState, skill: str) -> int:
    return agent.skills.get(skill, 0)


def eligible(agent: AgentState, chat: WaitingChat) -> bool:
    if agent.status != "online" or agent.free <= 0 or agent.id in chat.excluded:
        return False
    if chat.language not in agent.languages:
        return False
    return chat.skill == GENERAL or chat.widened or level(agent, chat.skill) > 0


def select_agent(chat: WaitingChat, agents: list[AgentState]) -> AgentState | None:
    """The agent to offer `chat` to, or None when nobody may take it now. One who let its offer
    lapse (missed it, not said no) is offered it again once nobody else may take it."""
    candidates = [agent for agent in agents if eligible(agent, chat)]
    if not candidates and chat.lapsed:
        forgiven = replace(chat, excluded=chat.excluded - chat.lapsed, lapsed=frozenset())
        candidates = [agent for agent in agents if eligible(agent, forgiven)]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda a: (-level(a, chat.skill), a.load, a.idle_since, a.id),
    )


def passed_on_by_all(chat: WaitingChat, online: list[AgentState]) -> bool:
    """Every online agent who speaks the chat's language has passed it on (declined it or
    transferred it) since it joined the queue: nobody online is left to offer it to, whatever
    their skill or load. A missed offer is no answer: that agent is offered it again (and set
    away after missing two in a row, `handoff.dispatch`). False when nobody online speaks it
    (a case of its own)."""
    said_no = chat.excluded - chat.lapsed
    if not said_no:  # most chats: a look at nobody
        return False
    speakers = [agent.id for agent in online if chat.language in agent.languages]
    return bool(speakers) and all(agent_id in said_no for agent_id in speakers)


PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def queue_order(chat: WaitingChat) -> tuple[int, datetime, str]:
    """Higher priority first, then the longest waiting."""
    return (PRIORITY_ORDER.get(chat.priority, 2), chat.queued_at, chat.id)
