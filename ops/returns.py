"""Did the customer come back? The same customer is recognised by the widget's visitor id, by
the email address, or by the user id the company's site signed (conversations keep only a
verified one), whichever two conversations share.

Two questions are asked of a resolved contact:
- for first-contact resolution, a new contact on the same topic within the FCR window of the
  first one's start (DESIGN.md);
- for durability, any new contact (or the customer writing again in the same chat) within the
  durable window after the resolution: a reopen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from conversations.events import ArticleShown, StatusChanged
from conversations.states import ONLY_THANKED
from core.clock import iso
from core.db import Storage

SAME_CUSTOMER = """
    (c.visitor_id = :visitor or lower(c.customer_email) = :email or c.user_id = :user)
    and c.id != :id
    and exists(select 1 from messages m where m.conversation_id = c.id and m.sender = 'customer')
"""


@dataclass(frozen=True)
class Customer:
    """The keys one conversation's customer can be recognised by (any may be None)."""

    visitor_id: str | None
    email: str | None
    user_id: str | None

    @property
    def known(self) -> bool:
        return any((self.visitor_id, self.email, self.user_id))


@dataclass(frozen=True)
class Moves:
    """A conversation's status moves with their times, oldest first."""

    moves: list[tuple[str, str, str, datetime]]  # (previous, status, reason, at)

    def _kept(self) -> list[tuple[str, str, str, datetime]]:
        """The moves without a thanks or goodbye after a resolution: the move back to bot it
        caused and the move to resolved again (`ONLY_THANKED`) undo each other."""
        kept: list[tuple[str, str, str, datetime]] = []
        for move in self.moves:
            if move[2] == ONLY_THANKED and kept and kept[-1][:2] == ("resolved", "bot"):
                kept.pop()
            else:
                kept.append(move)
        return kept

    def resolved_at(self) -> datetime | None:
        """When it was last resolved."""
        times = [at for _, status, _, at in self._kept() if status == "resolved"]
        return times[-1] if times else None

    def resolution(self) -> str | None:
        """The reason of the last resolution (bot_answered, assumed_resolved, agent_resolved...)."""
        reasons = [reason for _, status, reason, _ in self._kept() if status == "resolved"]
        return reasons[-1] if reasons else None

    def reopened_within(self, window: timedelta) -> bool:
        """The customer wrote again in this chat within `window` of one of its resolutions (a
        thanks or a goodbye does not count)."""
        resolved: datetime | None = None
        for previous, status, _, at in self._kept():
            if status == "resolved":
                resolved = at
            elif previous == "resolved" and resolved is not None and at - resolved <= window:
                return True
        return False


class Returns:
    def __init__(self, *, storage: Storage, fcr_window: timedelta, durable_window: timedelta):
        self.storage = storage
        self.fcr_window = fcr_window
        self.durable_window = durable_window

    def moves(self, ids: list[str]) -> dict[str, Moves]:
        found: dict[str, list[tuple[str, str, str, datetime]]] = {cid: [] for cid in ids}
        if ids:
            marks = ",".join("?" for _ in ids)
            for cid, data, at in self.storage.db.execute(
                f"select conversation_id, data, created_at from events where name = ?"
                f" and conversation_id in ({marks}) order by id",
                [StatusChanged.name, *ids],
            ).fetchall():
                move = json.loads(data)
                found[cid].append(
                    (move["previous"], move["status"], move["reason"], datetime.fromisoformat(at))
                )
        return {cid: Moves(moves) for cid, moves in found.items()}

    def _any(self, where: str, params: dict[str, object]) -> bool:
        row = self.storage.db.execute(
            f"select 1 from conversations c where {SAME_CUSTOMER} and {where} limit 1", params
        ).fetchone()
        return row is not None

    @staticmethod
    def _keys(conversation_id: str, customer: Customer) -> dict[str, object]:
        return {
            "id": conversation_id,
            "visitor": customer.visitor_id,
            "email": customer.email,
            "user": customer.user_id,
        }

    def same_topic_again(
        self, conversation_id: str, customer: Customer, *, started: datetime, topic: str | None
    ) -> bool:
        """A new contact from the same customer on the same topic within the FCR window."""
        if not customer.known or topic is None:
            return False
        shown_skill = self.storage.db.json_field("e.data", "skill")
        return self._any(
            f"""
            c.created_at > :since and c.created_at <= :until
            and (c.skill = :topic or exists(select 1 from events e where e.conversation_id = c.id
                 and e.name = :shown and {shown_skill} = :topic))
            """,
            {
                **self._keys(conversation_id, customer),
                "since": iso(started),
                "until": iso(started + self.fcr_window),
                "topic": topic,
                "shown": ArticleShown.name,
            },
        )

    def came_back(self, conversation_id: str, customer: Customer, *, moves: Moves) -> bool:
        """The customer came back within the durable window after a resolution: wrote again
        in this chat, or started a new contact."""
        if moves.reopened_within(self.durable_window):
            return True
        resolved_at = moves.resolved_at()
        if resolved_at is None or not customer.known:
            return False
        return self._any(
            "c.created_at > :since and c.created_at <= :until",
            {
                **self._keys(conversation_id, customer),
                "since": iso(resolved_at),
                "until": iso(resolved_at + self.durable_window),
            },
        )
