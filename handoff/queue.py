"""The queue of chats waiting for a person: offers, timeouts, wait limits, positions, estimates.

`route()` is one pass over the queue in one write transaction. It runs after every change that
can unblock a chat (a hand-over, an agent coming online or freeing a slot, a decline) and on a
timer for the limits. Everything reads the time from the injected clock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from conversations.errors import NotAssigned
from conversations.events import Accepted, OfferMade, record
from conversations.states import Status, transition
from conversations.store import ConversationStore
from core.clock import Clock, iso
from core.db import Storage
from handoff.errors import HandoffError
from handoff.offers import NoPublisher, Publisher, close_offer, withdraw_pending
from handoff.routing import GENERAL, PRIORITY_ORDER, AgentState, WaitingChat, select_agent
from handoff.sla import BusinessCalendar
from handoff.tickets import TicketSink


def queue_rank(priority: str) -> int:
    """Stored with a queued chat so the queue is read in order straight from an index."""
    return PRIORITY_ORDER.get(priority, PRIORITY_ORDER["normal"])


@lru_cache(maxsize=4096)
def _skills(raw: str) -> tuple[tuple[str, int], ...]:
    return tuple(json.loads(raw).items())


def skills_of(raw: str) -> dict[str, int]:
    return dict(_skills(raw))


class OfferGone(HandoffError):
    """The chat was taken by someone else, or left the queue."""


class NoCapacity(HandoffError):
    pass


@dataclass(frozen=True)
class Limits:
    offer_timeout_s: float = 30.0
    skill_wait_s: float = 120.0
    max_wait_s: float = 600.0
    default_handle_s: float = 300.0
    idle_limit_s: float = 1800.0


@dataclass
class RoutePass:
    offers: list[tuple[str, str]] = field(default_factory=list)  # (conversation, agent)
    expired: list[tuple[str, str]] = field(default_factory=list)
    ticketed: list[tuple[str, str]] = field(default_factory=list)  # (conversation, reason)


def parse(moment: str | None) -> datetime | None:
    return datetime.fromisoformat(moment) if moment else None


class Queue:
    def __init__(
        self,
        *,
        storage: Storage,
        clock: Clock,
        limits: Limits,
        tickets: TicketSink,
        publisher: Publisher | None = None,
        live_chat_hours: BusinessCalendar | None = None,
    ) -> None:
        self.live_chat_hours = live_chat_hours  # None: live chat at any hour
        self.storage = storage
        self.clock = clock
        self.limits = limits
        self.tickets = tickets
        self.publisher = publisher or NoPublisher()
        self.conversations = ConversationStore(storage)
        self._last_positions: dict[str, tuple[int, int | None]] = {}

    # -- reading the state --------------------------------------------------------------------

    def agent_states(
        self, *, online_only: bool = False, free_only: bool = False
    ) -> list[AgentState]:
        """Agents with their load (chats assigned plus offers pending), counted through
        indexes; `free_only` keeps online agents with a free slot, filtered in SQL."""
        where = "where a.status = 'online'" if (online_only or free_only) else ""
        rows = self.storage.db.execute(
            f"""
            select * from (
              select a.id, a.skills, a.max_concurrent, a.status,
                coalesce(a.idle_since, a.created_at) as idle,
                (select count(*) from conversations c
                   where c.assigned_agent_id = a.id and c.status = 'assigned')
                + (select count(*) from offers o where o.agent_id = a.id and o.status = 'pending')
                  as load
              from agents a {where}
            ) {"where load < max_concurrent" if free_only else ""}
            """
        ).fetchall()
        return [
            AgentState(
                id, skills_of(skills), max_concurrent, status, load, datetime.fromisoformat(idle)
            )
            for id, skills, max_concurrent, status, idle, load in rows
        ]

    def can_chat_now(self) -> bool:
        """Within live-chat hours and someone online: a hand-over will wait for a person."""
        now = self.clock.now()
        in_hours = self.live_chat_hours is None or self.live_chat_hours.is_open(now)
        return in_hours and self.anyone_online()

    def anyone_online(self) -> bool:
        row = self.storage.db.execute("select exists(select 1 from agents where status = 'online')")
        return bool(row.fetchone()[0])

    def waiting(
        self, now: datetime, *, unoffered_only: bool = False
    ) -> Iterator[tuple[WaitingChat, bool]]:
        """Queued chats in queue order (priority, then longest waiting), each with whether an
        agent has it on offer. Read lazily: a routing pass stops once no agent is free."""
        rows = self.storage.db.execute(
            f"""
            select c.id, coalesce(c.skill, 'general'), coalesce(c.priority, 'normal'), c.queued_at,
              exists(select 1 from offers o where o.conversation_id = c.id and o.status = 'pending')
                as offered
            from conversations c where c.status = 'queued' {"and not offered" if unoffered_only else ""}
            order by c.queue_rank, c.queued_at
            """
        )
        for id, skill, priority, queued_at, offered in rows:
            since = datetime.fromisoformat(queued_at)
            widened = (now - since).total_seconds() >= self.limits.skill_wait_s
            yield WaitingChat(id, skill, priority, since, widened), bool(offered)

    def excluded(self, chat: WaitingChat) -> frozenset[str]:
        """Agents who declined this chat or let its offer lapse since it joined the queue."""
        rows = self.storage.db.execute(
            "select agent_id from offers where conversation_id = ?"
            " and status in ('declined', 'expired') and created_at >= ?",
            [chat.id, iso(chat.queued_at)],
        ).fetchall()
        return frozenset(agent_id for (agent_id,) in rows)

    def handle_time_s(self, *, recent: int = 20) -> float:
        rows = self.storage.db.execute(
            "select data from events where name = 'agent.chat_handled' order by id desc limit ?",
            [recent],
        ).fetchall()
        times = [json.loads(data)["handle_s"] for (data,) in rows]
        return sum(times) / len(times) if times else self.limits.default_handle_s

    def estimates(self) -> dict[str, dict[str, Any]]:
        """Each waiting chat's place in line (among chats needing the same skill) and an
        estimated wait from recent handle times and the capacity online now."""
        now = self.clock.now()
        agents = self.agent_states(online_only=True)
        handle_s = self.handle_time_s()
        everyone = (sum(a.max_concurrent for a in agents), sum(max(a.free, 0) for a in agents))
        by_skill: dict[str, tuple[int, int]] = {}
        for a in agents:
            for skill in a.skills:
                capacity, free = by_skill.get(skill, (0, 0))
                by_skill[skill] = (capacity + a.max_concurrent, free + max(a.free, 0))
        ahead: dict[str, int] = {}  # chats of each skill ahead in line
        unserved: dict[str, int] = {}  # ... of which no agent is looking at yet
        result: dict[str, dict[str, Any]] = {}
        for chat, offered in self.waiting(now):
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
            result[chat.id] = {"position": position, "estimated_wait_s": estimate}
        return result

    def position(self, conversation_id: str) -> dict[str, Any] | None:
        return self.estimates().get(conversation_id)

    def offers_for(self, agent_id: str) -> list[dict[str, Any]]:
        rows = self.storage.db.query(
            """
            select o.id, o.conversation_id, o.created_at, o.expires_at, c.handoff, c.priority, c.skill
            from offers o join conversations c on c.id = o.conversation_id
            where o.agent_id = ? and o.status = 'pending' order by o.id
            """,
            [agent_id],
        )
        return [
            {
                "offer_id": row["id"],
                "conversation_id": row["conversation_id"],
                "offered_at": row["created_at"],
                "expires_at": row["expires_at"],
                "priority": row["priority"],
                "skill": row["skill"],
                "handoff": json.loads(row["handoff"]) if row["handoff"] else None,
            }
            for row in rows
        ]

    def assigned_to(self, agent_id: str) -> list[str]:
        """The chats an agent has now, oldest first (a console reloading picks them up again)."""
        rows = self.storage.db.execute(
            "select id from conversations where assigned_agent_id = ? and status = 'assigned'"
            " order by assigned_at, id",
            [agent_id],
        ).fetchall()
        return [conversation_id for (conversation_id,) in rows]

    # -- one routing pass ---------------------------------------------------------------------

    def route(self) -> RoutePass:
        """Decide, then tell agents and waiting customers what changed."""
        done = self.decide()
        self._announce(done)
        return done

    def decide(self) -> RoutePass:
        """One routing pass: expire lapsed offers, file tickets for chats past the maximum wait
        (or all of them when nobody is online), and offer waiting chats to free agents."""
        now = self.clock.now()
        at = iso(now)
        done = RoutePass()
        with self.storage.write() as db:
            for offer_id, conversation_id, agent_id in db.execute(
                "select id, conversation_id, agent_id from offers"
                " where status = 'pending' and expires_at <= ?",
                [at],
            ).fetchall():
                self._close_offer(db, offer_id, conversation_id, agent_id, "expired", at)
                done.expired.append((conversation_id, agent_id))
            open_now = self.live_chat_hours is None or self.live_chat_hours.is_open(now)
            anyone_online = open_now and self.anyone_online()
            cutoff = iso(now - timedelta(seconds=self.limits.max_wait_s))
            for (conversation_id,) in db.execute(
                "select c.id from conversations c where c.status = 'queued'"
                + ("" if not anyone_online else " and c.queued_at <= ?")
                + " and not exists(select 1 from offers o where o.conversation_id = c.id"
                " and o.status = 'pending')",
                [] if not anyone_online else [cutoff],
            ).fetchall():
                reason = (
                    "max_wait"
                    if anyone_online
                    else "nobody_online"
                    if open_now
                    else "outside_hours"
                )
                self.tickets.file(conversation_id, reason=reason)
                done.ticketed.append((conversation_id, reason))
            free = {a.id: a for a in self.agent_states(free_only=True)} if anyone_online else {}
            if free:
                for chat, _ in self.waiting(now, unoffered_only=True):
                    agent = select_agent(chat, list(free.values()), now)
                    if agent is not None and agent.id in self.excluded(chat):
                        chat = replace(chat, excluded=self.excluded(chat))
                        agent = select_agent(chat, list(free.values()), now)
                    if agent is None:
                        continue
                    expires = iso(now + timedelta(seconds=self.limits.offer_timeout_s))
                    db.table("offers").insert(
                        {
                            "conversation_id": chat.id,
                            "agent_id": agent.id,
                            "status": "pending",
                            "created_at": at,
                            "expires_at": expires,
                        }
                    )
                    record(db, chat.id, OfferMade(agent.id, chat.widened), at=at)
                    taken = replace(agent, load=agent.load + 1)
                    if taken.free > 0:
                        free[agent.id] = taken
                    else:
                        del free[agent.id]
                    done.offers.append((chat.id, agent.id))
                    if not free:
                        break
        return done

    def abandon_idle(self) -> list[str]:
        """Chats with the bot or in the queue whose customer went quiet past the idle limit."""
        now = self.clock.now()
        at = iso(now)
        cutoff = iso(now - timedelta(seconds=self.limits.idle_limit_s))
        gone = [
            cid
            for (cid,) in self.storage.db.execute(
                """
                select c.id from conversations c where c.status in ('bot', 'queued')
                  and (select max(m.created_at) from messages m where m.conversation_id = c.id
                       and m.sender = 'customer') <= ?
                """,
                [cutoff],
            ).fetchall()
        ]
        for conversation_id in gone:
            with self.storage.write() as db:
                withdraw_pending(db, self.publisher, conversation_id, at=at)
                transition(self.storage, conversation_id, Status.ABANDONED, reason="idle", at=at)
            self.publish_conversation(conversation_id)
        if gone:
            self.publish_positions()
        return gone

    def _close_offer(
        self, db, offer_id: int, conversation_id: str, agent_id: str, outcome: str, at: str
    ) -> None:
        close_offer(
            db,
            self.publisher,
            offer_id=offer_id,
            conversation_id=conversation_id,
            agent_id=agent_id,
            outcome=outcome,
            at=at,
        )

    def _announce(self, done: RoutePass) -> None:
        for conversation_id, agent_id in done.offers:
            offer = next(
                (o for o in self.offers_for(agent_id) if o["conversation_id"] == conversation_id),
                None,
            )
            if offer:
                self.publisher.publish(f"agent:{agent_id}", "offer", offer)
        for conversation_id, _ in done.ticketed:
            self.publish_conversation(conversation_id)
        if done.offers or done.expired or done.ticketed:
            self.publish_positions()

    def publish_positions(self) -> None:
        """Tell each waiting customer their place and wait, whenever either changed."""
        current = self.estimates()
        for conversation_id, place in current.items():
            key = (place["position"], place["estimated_wait_s"])
            if self._last_positions.get(conversation_id) != key:
                self.publisher.publish(
                    f"conversation:{conversation_id}",
                    "queue",
                    {"conversation_id": conversation_id, **place},
                )
        self._last_positions = {
            cid: (p["position"], p["estimated_wait_s"]) for cid, p in current.items()
        }

    def publish_conversation(self, conversation_id: str) -> None:
        row = self.conversations.get(conversation_id)
        self.publisher.publish(
            f"conversation:{conversation_id}",
            "status",
            {
                "conversation_id": conversation_id,
                "status": row["status"],
                "ticket_id": row["ticket_id"],
            },
        )

    # -- agents' answers to offers ------------------------------------------------------------

    def accept(self, conversation_id: str, agent_id: str) -> None:
        """Take a waiting chat. Of two agents accepting at once, exactly one wins."""
        now = self.clock.now()
        at = iso(now)
        with self.storage.write() as db:
            row = self.conversations.get(conversation_id)
            if row["status"] != Status.QUEUED.value:
                raise OfferGone(
                    f"conversation {conversation_id} is {row['status']}, no longer waiting"
                )
            agent = next((a for a in self.agent_states() if a.id == agent_id), None)
            if agent is None or agent.status != "online":
                raise NoCapacity("only an online agent can accept chats")
            own_offer = db.execute(
                "select id from offers where conversation_id = ? and agent_id = ? and status = 'pending'",
                [conversation_id, agent_id],
            ).fetchone()
            if agent.free <= 0 and own_offer is None:
                raise NoCapacity(
                    f"agent {agent_id} already has {agent.load} of {agent.max_concurrent} chats"
                )
            for offer_id, other in db.execute(
                "select id, agent_id from offers where conversation_id = ? and status = 'pending'",
                [conversation_id],
            ).fetchall():
                self._close_offer(
                    db,
                    offer_id,
                    conversation_id,
                    other,
                    "accepted" if other == agent_id else "withdrawn",
                    at,
                )
            queued_at = parse(row["queued_at"]) or now
            transition(
                self.storage,
                conversation_id,
                Status.ASSIGNED,
                reason="accepted",
                at=at,
                also=(Accepted(agent_id, (now - queued_at).total_seconds()),),
                fields={"assigned_agent_id": agent_id, "assigned_at": at},
            )
            name = db.execute("select name from agents where id = ?", [agent_id]).fetchone()[0]
            self.conversations.add_message(
                conversation_id, sender="system", text=f"{name} has joined the chat.", at=at
            )
        self.publish_conversation(conversation_id)
        self.publish_positions()

    def decline(self, conversation_id: str, agent_id: str) -> None:
        at = iso(self.clock.now())
        with self.storage.write() as db:
            offer = db.execute(
                "select id from offers where conversation_id = ? and agent_id = ? and status = 'pending'",
                [conversation_id, agent_id],
            ).fetchone()
            if offer is None:
                raise NotAssigned(conversation_id, "not offered to you")
            self._close_offer(db, offer[0], conversation_id, agent_id, "declined", at)
        self.route()

    def withdraw_offers(self, agent_id: str) -> None:
        """An agent going offline or away gives back the offers they have not accepted."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            for offer_id, conversation_id in db.execute(
                "select id, conversation_id from offers where agent_id = ? and status = 'pending'",
                [agent_id],
            ).fetchall():
                self._close_offer(db, offer_id, conversation_id, agent_id, "withdrawn", at)
