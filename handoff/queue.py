"""The queue of chats waiting for a person, as the rest of the app sees it.

`route()` is one pass over the queue (`handoff.dispatch`), followed by telling agents and
customers what changed (`handoff.announce`). It runs after every change that can unblock a chat
(a hand-over, an agent coming online or freeing a slot, a decline) and on a timer for the
limits. Offers and the agents' answers are `handoff.offers`, places and waits
`handoff.estimates`, the state read from the database `handoff.lineup`, and agents' heartbeats
`handoff.presence`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from conversations.people import Place
from conversations.store import ConversationStore
from core.clock import Clock
from core.db import Storage
from core.language import DEFAULT
from handoff.announce import Announcer, RoutePass, WaitListener
from handoff.dispatch import Dispatcher, Limits
from handoff.estimates import Estimates
from handoff.lineup import Lineup
from handoff.offers import AfterCommit, NoPublisher, Offer, Offers, Publisher
from handoff.presence import Beat, Presence, WentAway
from handoff.routing import PRIORITY_ORDER, AgentState
from handoff.sla import BusinessCalendar
from handoff.tickets import TicketSink
from handoff.waiting import InLine, line_now

__all__ = ["Beat", "Limits", "Queue", "RoutePass", "WentAway", "queue_rank"]


def queue_rank(priority: str) -> int:
    """Stored with a queued chat so the queue is read in order straight from an index."""
    return PRIORITY_ORDER.get(priority, PRIORITY_ORDER["normal"])


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
        # Pushes made inside a transaction (an offer withdrawn, say) go out once it commits.
        self.publisher: Publisher = AfterCommit(publisher or NoPublisher(), storage)
        self.conversations = ConversationStore(storage)
        self.lineup = Lineup(
            storage=storage, conversations=self.conversations, skill_wait_s=limits.skill_wait_s
        )
        self.offers = Offers(
            storage=storage,
            clock=clock,
            publisher=self.publisher,
            conversations=self.conversations,
            lineup=self.lineup,
        )
        self.estimates = Estimates(
            clock=clock,
            lineup=self.lineup,
            conversations=self.conversations,
            default_handle_s=limits.default_handle_s,
            skill_wait_s=limits.skill_wait_s,
        )
        self.dispatcher = Dispatcher(
            storage=storage,
            clock=clock,
            limits=limits,
            tickets=tickets,
            publisher=self.publisher,
            conversations=self.conversations,
            lineup=self.lineup,
            live_chat_hours=live_chat_hours,
        )
        self.announcer = Announcer(
            publisher=self.publisher,
            conversations=self.conversations,
            estimates=self.estimates,
            offers=self.offers,
        )
        self.presence = Presence(
            storage=storage,
            clock=clock,
            publisher=self.publisher,
            conversations=self.conversations,
            timeout_s=limits.presence_timeout_s,
        )
        # Where to learn which customers have their chat open now (their sockets), besides
        # what is stored: a chat with an agent is not abandoned while its customer is there.
        self.customers_here: list[Callable[[], Iterable[str]]] = []

    # -- reading the state --------------------------------------------------------------------

    def agent_states(
        self, *, online_only: bool = False, free_only: bool = False
    ) -> list[AgentState]:
        return self.lineup.agent_states(online_only=online_only, free_only=free_only)

    def can_chat_now(self, language: str = DEFAULT) -> bool:
        """Within live-chat hours and someone online who chats in `language`: a hand-over will
        wait for a person."""
        now = self.clock.now()
        in_hours = self.live_chat_hours is None or self.live_chat_hours.is_open(now)
        return in_hours and language in self.lineup.online_languages()

    def position(self, conversation_id: str) -> Place | None:
        """Where a waiting chat stands in line, None if it is not waiting."""
        return self.announcer.shown(conversation_id)

    def line(self) -> list[InLine]:
        """Every chat waiting now, in queue order, as a supervisor sees the line."""
        return line_now(
            clock=self.clock,
            lineup=self.lineup,
            estimates=self.estimates,
            conversations=self.conversations,
        )

    def offers_for(self, agent_id: str) -> list[Offer]:
        return self.offers.pending_for(agent_id)

    def has_chat(self, conversation_id: str, agent_id: str) -> bool:
        """Whether the chat is offered to the agent now or assigned to them: what an agent may
        read and act on (`docs/production/access.md`)."""
        return self.conversations.assigned_agent(
            conversation_id
        ) == agent_id or self.offers.is_pending(conversation_id, agent_id)

    def assigned_to(self, agent_id: str) -> list[str]:
        """The chats an agent has now, oldest first (a console reloading picks them up again)."""
        return self.conversations.assigned_to(agent_id)

    # -- routing ------------------------------------------------------------------------------

    def route(self) -> RoutePass:
        """Decide, then tell agents and waiting customers what changed."""
        done = self.decide()
        self.announcer.route_pass(done)
        return done

    def decide(self) -> RoutePass:
        return self.dispatcher.decide()

    def abandon_idle(self) -> list[str]:
        """Chats with the bot or in the queue whose customer went quiet past the idle limit,
        and chats with an agent whose customer has gone (quiet, and no chat open) as long, and
        chats the customer never wrote in past the unwritten limit."""
        present: set[str] = set()
        for source in self.customers_here:
            present.update(source())
        gone = self.dispatcher.abandon_idle(present=present)
        gone += [(conversation_id, None) for conversation_id in self.dispatcher.close_unwritten()]
        self._abandoned(gone)
        return [conversation_id for conversation_id, _ in gone]

    def customer_left(self, conversation_id: str) -> bool:
        """The customer closed the chat for a new one (`Dispatcher.customer_left`)."""
        left, agent_id = self.dispatcher.customer_left(conversation_id)
        if left:
            self._abandoned([(conversation_id, agent_id)])
        return left

    def _abandoned(self, gone: list[tuple[str, str | None]]) -> None:
        """Tell of chats abandoned (each with the agent it was assigned to, if any): their
        watchers, their agents; then route the slots freed, or move the queue up."""
        freed = []
        for conversation_id, agent_id in gone:
            self.publish_conversation(conversation_id)
            if agent_id:
                self.publisher.publish(
                    f"agent:{agent_id}",
                    "chat_closed",
                    {"conversation_id": conversation_id, "status": "abandoned"},
                )
                freed.append(agent_id)
        if freed:
            self.route()  # their agents have a free slot again
        elif gone:
            self.publish_positions()

    def customers_from(self, source: Callable[[], Iterable[str]]) -> None:
        """`source()` names the conversations whose customer has the chat open now (a channel's
        connected sockets)."""
        self.customers_here.append(source)

    # -- agents' presence ---------------------------------------------------------------------

    def heartbeat(self, agent_id: str) -> Beat:
        """The agent's console is open; it hears their status (away, if it was silent too long)."""
        return self.presence.beat(agent_id)

    def check_presence(self) -> list[WentAway]:
        """Set away the online agents whose console fell silent, then offer what they had to
        the next agents."""
        gone = self.presence.check()
        for away in gone:
            self.publisher.publish(
                f"agent:{away.agent_id}",
                "agent_status",
                {"status": "away", "reason": "no_heartbeat", "requeued": away.requeued},
            )
            for conversation_id in away.requeued:
                self.publish_conversation(conversation_id)
        if gone:
            self.route()
        return gone

    def went_offline(self, agent_id: str) -> list[str]:
        """An agent went offline: their open chats go to the next agents (or become tickets),
        their customers told. The chats passed on."""
        requeued = self.presence.went_offline(agent_id)
        for conversation_id in requeued:
            self.publish_conversation(conversation_id)
        if requeued:
            self.route()
        return requeued

    # -- telling people -----------------------------------------------------------------------

    def publish_positions(self) -> None:
        self.announcer.positions()

    def on_wait_moved(self, listener: WaitListener) -> None:
        """`listener(conversation_id, place, text)` hears when a waiting customer's wait moved
        by a minute or more against what they were last told: for channels that show only
        messages."""
        self.announcer.listeners.append(listener)

    def publish_conversation(self, conversation_id: str) -> None:
        self.announcer.conversation(conversation_id)

    def publish_offer(self, conversation_id: str, agent_id: str) -> None:
        self.announcer.offer(conversation_id, agent_id)

    # -- agents' answers to offers ------------------------------------------------------------

    def accept(self, conversation_id: str, agent_id: str) -> None:
        """Take a waiting chat. Of two agents accepting at once, exactly one wins."""
        self.offers.accept(conversation_id, agent_id)
        self.publish_conversation(conversation_id)
        self.publish_positions()

    def decline(self, conversation_id: str, agent_id: str) -> None:
        self.offers.decline(conversation_id, agent_id)
        self.route()

    def withdraw_offers(self, agent_id: str) -> None:
        """An agent going offline or away gives back the offers they have not accepted."""
        self.offers.withdraw(agent_id)
