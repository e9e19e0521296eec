"""Telling people what the queue did: agents hear of offers, customers of their status and
of their place in line.

A waiting customer hears of their place in two ways, each only when it changed:
- the `queue` event (the chat widget's banner), whenever the place or the wait as the banner
  shows it (a moment, or whole minutes) changed;
- a message, for channels that show only messages (Rasa's socket.io widget), when the moment an
  agent is expected moved by a minute or more against what the customer was last told (the
  hand-over's message first), or help went from expected to nobody online, or back. A wait that
  only counts down as foretold says nothing new, and neither does the place alone: it moves
  with every chat served, and the message carries it.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from conversations.people import Place
from conversations.store import ConversationStore
from core.words import say
from handoff.estimates import Estimates
from handoff.offers import Offers, Publisher

log = logging.getLogger(__name__)

REFRESH_S = 5.0  # places worked out again at least this often while nothing moves the line
MOVED_BY_S = 60  # how far the expected moment must move before a customer is told in words

# (conversation id, the place, the words for it): a channel that speaks in messages.
WaitListener = Callable[[str, Place, str], None]


def shown_wait(wait_s: int | None) -> int | None:
    """The wait as a customer reads it: None (nobody online), 0 (a moment) or whole minutes,
    rounded half up as the widget rounds."""
    if wait_s is None:
        return None
    return 0 if wait_s < 60 else math.floor(wait_s / 60 + 0.5)


def moved_text(place: Place, *, language: str | None) -> str:
    """Told with a new wait, in a channel that shows only messages (with the place in line)."""
    minutes = shown_wait(place.estimated_wait_s)
    if minutes is None:
        when = say(language, "chat.moved_nobody")
    elif minutes == 0:
        when = say(language, "chat.wait_soon")
    else:
        key = "chat.moved_one_minute" if minutes == 1 else "chat.moved_minutes"
        when = say(language, key, minutes=minutes)
    return say(language, "chat.queue_moved", position=place.position, when=when)


@dataclass(frozen=True)
class Told:
    """What a waiting customer was last told in words: the moment an agent was expected."""

    expected_at: datetime | None  # None: nobody who can take the chat is online
    wait_s: int | None

    @classmethod
    def of(cls, place: Place, now: datetime) -> Told:
        wait = place.estimated_wait_s
        return cls(None if wait is None else now + timedelta(seconds=wait), wait)

    def outdated_by(self, new: Told) -> bool:
        if self.expected_at is None or new.expected_at is None:
            return (self.expected_at is None) != (new.expected_at is None)
        if shown_wait(self.wait_s) == 0 and shown_wait(new.wait_s) == 0:
            return False  # "in a moment", still
        return abs((new.expected_at - self.expected_at).total_seconds()) >= MOVED_BY_S


@dataclass
class RoutePass:
    offers: list[tuple[str, str]] = field(default_factory=list)  # (conversation, agent)
    expired: list[tuple[str, str]] = field(default_factory=list)
    ticketed: list[tuple[str, str]] = field(default_factory=list)  # (conversation, reason)
    set_away: list[str] = field(default_factory=list)  # agents who missed offers in a row


class Announcer:
    def __init__(
        self,
        *,
        publisher: Publisher,
        conversations: ConversationStore,
        estimates: Estimates,
        offers: Offers,
    ) -> None:
        self.publisher = publisher
        self.conversations = conversations
        self.estimates = estimates
        self.offers = offers
        self.listeners: list[WaitListener] = []  # channels told a moved wait in words
        self._lock = threading.Lock()  # route passes run on the timer's thread and requests'
        self._last_shown: dict[str, tuple[int, int | None]] = {}
        self._told: dict[str, Told] = {}
        self._refreshed: datetime | None = None  # when places were last worked out

    def offer(self, conversation_id: str, agent_id: str) -> None:
        """Put a new offer in front of the agent."""
        offer = next(
            (o for o in self.offers.pending_for(agent_id) if o.conversation_id == conversation_id),
            None,
        )
        if offer:
            self.publisher.publish(f"agent:{agent_id}", "offer", asdict(offer))

    def route_pass(self, done: RoutePass) -> None:
        for agent_id in done.set_away:
            self.publisher.publish(
                f"agent:{agent_id}", "agent_status", {"status": "away", "reason": "missed_offers"}
            )
        for conversation_id, agent_id in done.offers:
            self.offer(conversation_id, agent_id)
        for conversation_id, _ in done.ticketed:
            self.conversation(conversation_id)
        # At once when the line moved; else (a chat joining, an agent coming or going, time
        # passing) at most every REFRESH_S: the queue's timer brings the rest.
        self.positions(at_once=bool(done.offers or done.expired or done.ticketed))

    def positions(self, *, at_once: bool = True) -> None:
        """Tell each waiting customer their place and wait, whenever either changed."""
        with self._lock:
            now = self.estimates.clock.now()
            if not at_once and (
                self._refreshed is not None and (now - self._refreshed).total_seconds() < REFRESH_S
            ):
                return
            self._refreshed = now
            current = self.estimates.places()
            shown: dict[str, tuple[int, int | None]] = {}
            told: dict[str, Told] = {}
            for conversation_id, place in current.items():
                shown[conversation_id] = (place.position, shown_wait(place.estimated_wait_s))
                if self._last_shown.get(conversation_id) != shown[conversation_id]:
                    self.publisher.publish(
                        f"conversation:{conversation_id}",
                        "queue",
                        {"conversation_id": conversation_id, **asdict(place)},
                    )
                told[conversation_id] = self._tell(conversation_id, place, now)
            self._last_shown, self._told = shown, told

    def shown(self, conversation_id: str) -> Place | None:
        """A waiting chat's place as the customer is shown it now (the hand-over's message, the
        conversation's view): what they know from here on."""
        with self._lock:
            place = self.estimates.places().get(conversation_id)
            if place is not None and conversation_id not in self._told:
                self._told[conversation_id] = Told.of(place, self.estimates.clock.now())
            return place

    def _tell(self, conversation_id: str, place: Place, now: datetime) -> Told:
        """Say a moved wait to the channels that show only messages; returns what the customer
        knows now. The first place seen is what the hand-over's message said."""
        new = Told.of(place, now)
        before = self._told.get(conversation_id)
        if before is None:
            return new
        if not before.outdated_by(new):
            return before
        text = moved_text(place, language=self.conversations.language(conversation_id))
        for listener in self.listeners:
            try:
                listener(conversation_id, place, text)
            except Exception:  # one channel failing must not keep the others untold
                log.exception("telling %s of its wait failed", conversation_id)
        return new

    def conversation(self, conversation_id: str) -> None:
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
