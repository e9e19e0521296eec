"""Offers of waiting chats to agents (the `offers` table): making one, closing one and who is
told, and the agents' answers (accept, decline, give back)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from conversations.errors import NotAssigned
from conversations.events import Accepted, OfferClosed, OfferMade, Transferred, record
from conversations.locks import for_update
from conversations.states import Status, transition
from conversations.store import ConversationStore
from core.clock import Clock, iso
from core.db import Storage
from core.words import say
from handoff.agents import agent_name
from handoff.errors import NoCapacity, NotOffered, OfferGone
from handoff.lineup import Lineup
from handoff.named_transfers import Transfer, transfer_of


class Publisher(Protocol):
    def publish(self, room: str, event: str, data: dict[str, Any]) -> None: ...


class NoPublisher:
    def publish(self, room: str, event: str, data: dict[str, Any]) -> None:
        return None


class AfterCommit:
    """A publisher whose pushes wait for the transaction they are made in: sent once it
    commits, in order, and never if it rolls back. A client told of a change and reading it
    at once finds it there."""

    def __init__(self, publisher: Publisher, storage: Storage) -> None:
        self.publisher = publisher
        self.storage = storage

    def publish(self, room: str, event: str, data: dict[str, Any]) -> None:
        self.storage.after_commit(partial(self.publisher.publish, room, event, data))


@dataclass(frozen=True)
class Offer:
    """A chat on offer to one agent, with the handoff package they decide on."""

    offer_id: int
    conversation_id: str
    offered_at: str
    expires_at: str
    priority: str | None
    skill: str | None
    handoff: dict[str, Any] | None
    transfer: Transfer | None = None  # the chat came back to the queue by a colleague's transfer


def make_offer(
    db: Any, conversation_id: str, agent_id: str, *, widened: bool, at: str, expires_at: str
) -> None:
    db.table("offers").insert(
        {
            "conversation_id": conversation_id,
            "agent_id": agent_id,
            "status": "pending",
            "created_at": at,
            "expires_at": expires_at,
        }
    )
    record(db, conversation_id, OfferMade(agent_id, widened), at=at)


def mark_passed(db: Any, conversation_id: str, agent_id: str, *, at: str) -> None:
    """The agent passed the chat on: they are not offered it again while it waits this time."""
    db.table("offers").insert(
        {
            "conversation_id": conversation_id,
            "agent_id": agent_id,
            "status": "declined",
            "created_at": at,
            "decided_at": at,
        }
    )


def close_offer(
    db: Any,
    publisher: Publisher,
    *,
    offer_id: int,
    conversation_id: str,
    agent_id: str,
    outcome: str,
    at: str,
) -> None:
    """Close one offer (accepted, declined, expired, withdrawn); the agent is told, so each of
    their consoles drops it (the one that answered it, and any other window), and one that
    did not accept it opens the chat."""
    closed = db.execute(
        "update offers set status = ?, decided_at = ? where id = ? and status = 'pending'",
        [outcome, at, offer_id],
    ).rowcount
    if not closed:  # closed already (answered, expired or withdrawn): nothing more to say
        return
    record(db, conversation_id, OfferClosed(agent_id, outcome), at=at)
    if outcome in ("expired", "withdrawn", "accepted", "declined"):
        publisher.publish(
            f"agent:{agent_id}",
            "offer_withdrawn",
            {"conversation_id": conversation_id, "accepted": outcome == "accepted"},
        )


MISSED_IN_A_ROW = 2  # offers an agent lets lapse one after another before they are set away


def set_away_if_missing(db: Any, publisher: Publisher, agent_id: str, *, at: str) -> bool:
    """An online agent who let their last MISSED_IN_A_ROW offers lapse, answering none in
    between, is not at their desk, whatever their console's heartbeat says: set away, their
    other offers withdrawn (their chats stay theirs, as when they choose Away). Whether they
    were."""
    last = db.execute(
        "select status from offers where agent_id = ?"
        " and status in ('accepted', 'declined', 'expired') order by decided_at desc, id desc"
        " limit ?",
        [agent_id, MISSED_IN_A_ROW],
    ).fetchall()
    if len(last) < MISSED_IN_A_ROW or any(status != "expired" for (status,) in last):
        return False
    if not db.execute(
        "update agents set status = 'away', status_changed_at = ?, away_reason = 'missed_offers'"
        " where id = ? and status = 'online'",
        [at, agent_id],
    ).rowcount:
        return False
    withdraw_from(db, publisher, agent_id, at=at)
    return True


def withdraw_from(db: Any, publisher: Publisher, agent_id: str, *, at: str) -> list[str]:
    """The agent has left their desk (away, offline): every offer pending to them goes.
    Returns the chats they had on offer."""
    return [chat for chat, _ in _withdraw(db, publisher, "agent_id", agent_id, at=at)]


def withdraw_pending(db: Any, publisher: Publisher, conversation_id: str, *, at: str) -> None:
    """The chat is leaving the queue: every pending offer of it goes too."""
    _withdraw(db, publisher, "conversation_id", conversation_id, at=at)


def _withdraw(
    db: Any, publisher: Publisher, column: str, value: str, *, at: str
) -> list[tuple[str, str]]:
    """Withdraw the pending offers whose `column` (agent_id or conversation_id) is `value`;
    returns their (conversation, agent)."""
    pending = db.execute(
        f"select id, conversation_id, agent_id from offers where {column} = ?"
        " and status = 'pending'",
        [value],
    ).fetchall()
    for offer_id, conversation_id, agent_id in pending:
        close_offer(
            db,
            publisher,
            offer_id=offer_id,
            conversation_id=conversation_id,
            agent_id=agent_id,
            outcome="withdrawn",
            at=at,
        )
    return [(conversation_id, agent_id) for _, conversation_id, agent_id in pending]


def expire_lapsed(db: Any, publisher: Publisher, *, at: str) -> list[tuple[str, str]]:
    """Close the offers nobody answered in time; returns their (conversation, agent)."""
    expired = []
    for offer_id, conversation_id, agent_id in db.execute(
        "select id, conversation_id, agent_id from offers"
        " where status = 'pending' and expires_at <= ?" + for_update(db, skip_locked=True),
        [at],
    ).fetchall():
        close_offer(
            db,
            publisher,
            offer_id=offer_id,
            conversation_id=conversation_id,
            agent_id=agent_id,
            outcome="expired",
            at=at,
        )
        expired.append((conversation_id, agent_id))
    return expired


class Offers:
    """What agents do with the chats offered to them."""

    def __init__(
        self,
        *,
        storage: Storage,
        clock: Clock,
        publisher: Publisher,
        conversations: ConversationStore,
        lineup: Lineup,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.publisher = publisher
        self.conversations = conversations
        self.lineup = lineup

    def _close(
        self, db: Any, offer_id: int, conversation_id: str, agent_id: str, outcome: str, at: str
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

    def pending_for(self, agent_id: str) -> list[Offer]:
        rows = self.storage.db.execute(
            "select id, conversation_id, created_at, expires_at from offers"
            " where agent_id = ? and status = 'pending' order by id",
            [agent_id],
        ).fetchall()
        offers = []
        for offer_id, conversation_id, created_at, expires_at in rows:
            chat = self.conversations.get(conversation_id)
            handoff = json.loads(chat["handoff"]) if chat["handoff"] else None
            if handoff is not None:  # the whole chat as it stands, since the hand-over too
                handoff["transcript"] = self.conversations.messages(conversation_id)
            offers.append(
                Offer(
                    offer_id=offer_id,
                    conversation_id=conversation_id,
                    offered_at=created_at,
                    expires_at=expires_at,
                    priority=chat["priority"],
                    skill=chat["skill"],
                    handoff=handoff,
                    transfer=transfer_of(
                        self.storage.db,
                        self.conversations,
                        conversation_id,
                        since=chat["queued_at"],
                    ),
                )
            )
        return offers

    def is_pending(self, conversation_id: str, agent_id: str) -> bool:
        """Whether the chat is on offer to the agent now."""
        return (
            self.storage.db.execute(
                "select 1 from offers where conversation_id = ? and agent_id = ?"
                " and status = 'pending'",
                [conversation_id, agent_id],
            ).fetchone()
            is not None
        )

    def accept(self, conversation_id: str, agent_id: str) -> None:
        """Take a waiting chat. Of two agents accepting at once, exactly one wins."""
        now = self.clock.now()
        at = iso(now)
        with self.storage.write() as db:
            row = self.conversations.get(conversation_id, lock=True)  # a rival accept waits here
            if row["status"] != Status.QUEUED.value:
                raise OfferGone(
                    f"conversation {conversation_id} is {row['status']}, no longer waiting"
                )
            own_offer = db.execute(
                "select id from offers where conversation_id = ? and agent_id = ?"
                " and status = 'pending'",
                [conversation_id, agent_id],
            ).fetchone()
            if own_offer is None:  # its pending offer holds the agent's slot for it
                raise NotOffered(
                    f"conversation {conversation_id} is waiting but not offered to you: "
                    "an agent takes the chats offered to them"
                )
            agent = next((a for a in self.lineup.agent_states() if a.id == agent_id), None)
            if agent is None or agent.status != "online":
                raise NoCapacity("only an online agent can accept chats")
            for offer_id, other in db.execute(
                "select id, agent_id from offers where conversation_id = ? and status = 'pending'",
                [conversation_id],
            ).fetchall():
                outcome = "accepted" if other == agent_id else "withdrawn"
                self._close(db, offer_id, conversation_id, other, outcome, at)
            queued_at = datetime.fromisoformat(row["queued_at"]) if row["queued_at"] else now
            transition(
                self.storage,
                conversation_id,
                Status.ASSIGNED,
                expect=Status.QUEUED,
                reason="accepted",
                at=at,
                also=(Accepted(agent_id, (now - queued_at).total_seconds()),),
                fields={"assigned_agent_id": agent_id, "assigned_at": at},
            )
            name = agent_name(db, agent_id)
            language = self.conversations.language(conversation_id)
            self.conversations.add_message(
                conversation_id,
                sender="system",
                text=say(language, "chat.agent_joined", name=name),
                at=at,
            )

    def decline(self, conversation_id: str, agent_id: str) -> None:
        at = iso(self.clock.now())
        with self.storage.write() as db:
            offer = db.execute(
                "select id, created_at from offers where conversation_id = ? and agent_id = ?"
                " and status = 'pending'",
                [conversation_id, agent_id],
            ).fetchone()
            if offer is None:
                raise NotAssigned(conversation_id, "not offered to you")
            self._close(db, offer[0], conversation_id, agent_id, "declined", at)
            moved = self.conversations.latest_event(conversation_id, Transferred, since=offer[1])
            if moved is not None and moved["to_agent_id"] == agent_id:
                # Sent to them by name: the colleague who sent it hears they said no.
                self.publisher.publish(
                    f"agent:{moved['from_agent_id']}",
                    "transfer_declined",
                    {
                        "conversation_id": conversation_id,
                        "by": {"id": agent_id, "name": agent_name(db, agent_id)},
                    },
                )

    def withdraw(self, agent_id: str) -> None:
        """An agent going offline or away gives back the offers they have not accepted."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            withdraw_from(db, self.publisher, agent_id, at=at)
