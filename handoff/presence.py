"""Whether an online agent is still there: their console's heartbeats, and what happens when
the console falls silent (closed, asleep, off the network).

An agent is watched from their console's first heartbeat (`agents.last_seen`); one driven only
through the API never sends one and is never set away here. An online agent whose last heartbeat
is older than the timeout is set away, in one transaction: the offers in front of them are
withdrawn, and each chat they have goes back to the queue with its history and its hand-over
package, ahead of the chats of its own priority, its customer told in their language. The queue
then offers them to the next agent (`Queue.check_presence`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from conversations.locks import for_update
from conversations.states import Status, transition
from conversations.store import ConversationStore
from core.clock import Clock, iso
from core.db import Storage
from core.words import say
from handoff.errors import AgentNotFound
from handoff.lineup import languages_of
from handoff.offers import Publisher, withdraw_from
from handoff.routing import PRIORITY_ORDER
from handoff.stints import record_handled

QUIET_EVERY_S = 30.0  # how often a console beats when nobody is watched (the timeout is off)


@dataclass(frozen=True)
class Beat:
    """What a console hears back from its heartbeat."""

    status: str  # "away" once the console was silent too long: it may go online again
    last_seen: str
    every_s: float  # send the next one within this
    timeout_s: float  # silent this long, the agent is set away (0: never)
    away_reason: str | None = None  # why the server set them away ("no_heartbeat", ...)


@dataclass
class WentAway:
    agent_id: str
    withdrawn: list[str] = field(default_factory=list)  # chats whose offer went back
    requeued: list[str] = field(default_factory=list)  # chats back in the queue


def requeued_rank(priority: str | None) -> int:
    """A chat whose agent went away waits as one of the priority above its own (its priority as
    agents see it stays): its customer was being served, so it goes before the chats of its own
    priority, and behind those of a higher one already waiting."""
    return PRIORITY_ORDER.get(priority or "normal", PRIORITY_ORDER["normal"]) - 1


class Presence:
    def __init__(
        self,
        *,
        storage: Storage,
        clock: Clock,
        publisher: Publisher,
        conversations: ConversationStore,
        timeout_s: float,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.publisher = publisher
        self.conversations = conversations
        self.timeout_s = timeout_s  # 0: nobody is set away

    def beat(self, agent_id: str) -> Beat:
        """The agent's console is open now."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            if not db.execute(
                "update agents set last_seen = ? where id = ?", [at, agent_id]
            ).rowcount:
                raise AgentNotFound(agent_id)
            status, why = db.execute(
                "select status, away_reason from agents where id = ?", [agent_id]
            ).fetchone()
        every_s = self.timeout_s / 3 if self.timeout_s > 0 else QUIET_EVERY_S
        return Beat(status, at, every_s, self.timeout_s, why)

    def silent(self, now: datetime) -> list[str]:
        """Online agents whose console has been silent past the timeout."""
        if self.timeout_s <= 0:
            return []
        cutoff = iso(now - timedelta(seconds=self.timeout_s))
        rows = self.storage.db.execute(
            "select id from agents where status = 'online' and last_seen is not null"
            " and last_seen <= ? order by last_seen",
            [cutoff],
        ).fetchall()
        return [agent_id for (agent_id,) in rows]

    def check(self) -> list[WentAway]:
        """Set away every online agent whose console has been silent past the timeout."""
        now = self.clock.now()
        gone = [self.set_away(agent_id, now=now) for agent_id in self.silent(now)]
        return [away for away in gone if away is not None]

    def set_away(self, agent_id: str, *, now: datetime) -> WentAway | None:
        """Away, with their offers withdrawn and their chats back in the queue; None when a
        heartbeat or a status change came in first (checked inside the transaction)."""
        at = iso(now)
        cutoff = iso(now - timedelta(seconds=self.timeout_s))
        with self.storage.write() as db:
            row = db.execute(
                "select name from agents where id = ? and status = 'online'"
                " and last_seen is not null and last_seen <= ?" + for_update(db),
                [agent_id, cutoff],
            ).fetchone()
            if row is None:
                return None
            name = row[0]
            away_now = {"status": "away", "status_changed_at": at, "away_reason": "no_heartbeat"}
            db.table("agents").update(agent_id, away_now)
            away = WentAway(agent_id)
            away.withdrawn = withdraw_from(db, self.publisher, agent_id, at=at)
            why = f"{name}'s console sent no heartbeat for {self.timeout_s:g} s, so they were set away"
            away.requeued = self._pass_on(db, agent_id, name, at, why)
        return away

    def went_offline(self, agent_id: str) -> list[str]:
        """An agent who went offline (their shift is over) passes their open chats on: back in
        the queue, as for a silent console, and their customers told. The chats passed on."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = db.execute(
                "select name from agents where id = ? and status = 'offline'" + for_update(db),
                [agent_id],
            ).fetchone()
            if row is None:  # online again already
                return []
            return self._pass_on(db, agent_id, row[0], at, f"{row[0]} went offline")

    def _pass_on(self, db: Any, agent_id: str, name: str, at: str, why: str) -> list[str]:
        spoken = frozenset(
            language
            for (languages,) in db.execute(
                "select languages from agents where status = 'online'"
            ).fetchall()
            for language in languages_of(languages)
        )
        requeued = self.conversations.assigned_to(agent_id)
        for conversation_id in requeued:
            self._requeue(db, self.conversations.get(conversation_id), name, at, spoken, why)
        return requeued

    def _requeue(
        self,
        db: Any,
        row: dict[str, Any],
        agent_name: str,
        at: str,
        spoken: frozenset[str],
        why: str,
    ) -> None:
        """Back in the queue as it was handed over (package, skill, priority), its history kept;
        the customer is told, and the next agent finds a note of why. Asked to stay in the chat
        only when an online agent speaks its language (`spoken`): else the routing pass files it
        as a ticket at once, and says so."""
        conversation_id = row["id"]
        agent_id = row["assigned_agent_id"]
        record_handled(db, row, "agent_away", at)  # the agent is away, not idle
        transition(
            self.storage,
            conversation_id,
            Status.QUEUED,
            expect=Status.ASSIGNED,
            owner=agent_id,
            reason="agent_away",
            at=at,
            fields={
                "assigned_agent_id": None,
                "queued_at": at,
                "queue_rank": requeued_rank(row["priority"]),
            },
        )
        db.table("notes").insert(
            {
                "conversation_id": conversation_id,
                "agent_id": None,
                "text": f"Back in the queue: {why}.",
                "created_at": at,
            }
        )
        language = self.conversations.language(conversation_id)
        told = "chat.agent_away" if language in spoken else "chat.agent_gone"
        self.conversations.add_message(
            conversation_id, sender="system", text=say(language, told, name=agent_name), at=at
        )
