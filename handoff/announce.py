"""Telling people what the queue did: agents hear of offers, customers of their status and
of their place in line (only when it changed)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from conversations.people import Place
from conversations.store import ConversationStore
from handoff.estimates import Estimates
from handoff.offers import Offers, Publisher


@dataclass
class RoutePass:
    offers: list[tuple[str, str]] = field(default_factory=list)  # (conversation, agent)
    expired: list[tuple[str, str]] = field(default_factory=list)
    ticketed: list[tuple[str, str]] = field(default_factory=list)  # (conversation, reason)


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
        self._last_places: dict[str, Place] = {}

    def offer(self, conversation_id: str, agent_id: str) -> None:
        """Put a new offer in front of the agent."""
        offer = next(
            (o for o in self.offers.pending_for(agent_id) if o.conversation_id == conversation_id),
            None,
        )
        if offer:
            self.publisher.publish(f"agent:{agent_id}", "offer", asdict(offer))

    def route_pass(self, done: RoutePass) -> None:
        for conversation_id, agent_id in done.offers:
            self.offer(conversation_id, agent_id)
        for conversation_id, _ in done.ticketed:
            self.conversation(conversation_id)
        if done.offers or done.expired or done.ticketed:
            self.positions()

    def positions(self) -> None:
        """Tell each waiting customer their place and wait, whenever either changed."""
        current = self.estimates.places()
        for conversation_id, place in current.items():
            if self._last_places.get(conversation_id) != place:
                self.publisher.publish(
                    f"conversation:{conversation_id}",
                    "queue",
                    {"conversation_id": conversation_id, **asdict(place)},
                )
        self._last_places = current

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
