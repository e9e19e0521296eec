"""One routing pass over the queue, in one write transaction: expire lapsed offers, file
tickets for chats past the maximum wait (or all of them when nobody can chat), and offer
waiting chats to free agents. Also the idle limit, for chats whose customer went quiet (or,
with an agent, has gone).

Everything reads the time from the injected clock.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from conversations.errors import ConversationMoved, IllegalTransition
from conversations.events import Transferred
from conversations.quiet import SEEN_EVERY_S
from conversations.states import Status, transition
from conversations.store import ConversationStore
from core.clock import Clock, iso
from core.db import Storage
from core.words import say
from handoff.announce import RoutePass
from handoff.lineup import Lineup, passed_by
from handoff.named_transfers import give_back_to
from handoff.offers import (
    Publisher,
    expire_lapsed,
    make_offer,
    set_away_if_missing,
    withdraw_pending,
)
from handoff.routing import passed_on_by_all, select_agent
from handoff.sla import BusinessCalendar
from handoff.stints import end_stint
from handoff.tickets import TicketSink


@dataclass(frozen=True)
class Limits:
    offer_timeout_s: float = 30.0
    skill_wait_s: float = 120.0
    max_wait_s: float = 600.0
    default_handle_s: float = 300.0
    idle_limit_s: float = 1800.0
    unwritten_limit_s: float = 3600.0  # 0: chats the customer never wrote in stay open
    presence_timeout_s: float = 90.0  # an agent's console silent this long: away (0: never)


class Dispatcher:
    def __init__(
        self,
        *,
        storage: Storage,
        clock: Clock,
        limits: Limits,
        tickets: TicketSink,
        publisher: Publisher,
        conversations: ConversationStore,
        lineup: Lineup,
        live_chat_hours: BusinessCalendar | None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.limits = limits
        self.tickets = tickets
        self.publisher = publisher
        self.conversations = conversations
        self.lineup = lineup
        self.live_chat_hours = live_chat_hours  # None: live chat at any hour

    def decide(self) -> RoutePass:
        now = self.clock.now()
        at = iso(now)
        done = RoutePass()
        if not self._anything_to_decide(at):  # the timer's pass on an empty queue: no lock
            return done
        with self.storage.write() as db:
            done.expired.extend(expire_lapsed(db, self.publisher, at=at))
            for agent_id in dict.fromkeys(agent_id for _, agent_id in done.expired):
                if set_away_if_missing(db, self.publisher, agent_id, at=at):
                    done.set_away.append(agent_id)
            open_now = self.live_chat_hours is None or self.live_chat_hours.is_open(now)
            cutoff = now - timedelta(seconds=self.limits.max_wait_s)
            # Filing tickets below withdraws no offer (only chats not on offer are filed). A chat
            # in a language no online agent chats in waits for nobody: it is filed at once, as
            # when nobody is online; so is one every online agent who chats in it passed on.
            pending = self.lineup.pending()
            online = self.lineup.agent_states(online_only=True, pending=pending) if open_now else []
            speaking = frozenset(lang for agent in online for lang in agent.languages)
            # Passes older than the maximum wait count for no chat still waiting.
            passes = self.lineup.passes(since=iso(cutoff)) if online else {}
            free = {a.id: a for a in online if a.free > 0}
            expires_at = iso(now + timedelta(seconds=self.limits.offer_timeout_s))

            def offer(chat_id: str, agent_id: str, *, widened: bool) -> None:
                make_offer(db, chat_id, agent_id, widened=widened, at=at, expires_at=expires_at)
                taken = replace(free[agent_id], load=free[agent_id].load + 1)
                if taken.free > 0:
                    free[agent_id] = taken
                else:
                    del free[agent_id]
                done.offers.append((chat_id, agent_id))

            given_back: set[str] = set()
            for chat in self.lineup.due(
                now, before=iso(cutoff), spoken=speaking, passes=passes, offered=pending.chats
            ):
                if chat.language not in speaking:
                    reason = "nobody_online" if open_now else "outside_hours"
                elif chat.queued_at <= cutoff:
                    reason = "max_wait"
                elif passed_on_by_all(chat, online):
                    # A colleague named in a transfer who did not take the chat (declined it,
                    # missed it, went away) gives it back to the agent who sent it, when they
                    # have room, before it is a ticket; as when nobody else may take it now.
                    back = self._given_back(db, chat.id, since=iso(chat.queued_at))
                    if back in free:
                        offer(chat.id, back, widened=False)
                        given_back.add(chat.id)
                        continue
                    reason = "passed_on"
                else:
                    continue
                self.tickets.file(chat.id, reason=reason)
                done.ticketed.append((chat.id, reason))
            if free:
                for chat, _ in self.lineup.waiting(now, unoffered_only=True, offered=pending.chats):
                    if chat.id in given_back:
                        continue
                    chat = passed_by(chat, passes)
                    agent = select_agent(chat, list(free.values()))
                    if agent is not None:
                        offer(chat.id, agent.id, widened=chat.widened)
                    elif chat.excluded:  # nobody may take it now: back to who sent it by name?
                        back = self._given_back(db, chat.id, since=iso(chat.queued_at))
                        if back in free:
                            offer(chat.id, back, widened=False)
                    if not free:
                        break
        return done

    def _given_back(self, db: Any, conversation_id: str, *, since: str) -> str | None:
        moved = self.conversations.latest_event(conversation_id, Transferred, since=since)
        return None if moved is None else give_back_to(db, conversation_id, moved, since=since)

    def _anything_to_decide(self, at: str) -> bool:
        """A chat waits in the queue, or an offer lapsed: what a pass decides on."""
        row = self.storage.db.execute(
            "select exists(select 1 from conversations where status = ?)"
            " or exists(select 1 from offers where status = 'pending' and expires_at <= ?)",
            [Status.QUEUED.value, at],
        ).fetchone()
        return bool(row[0])

    def abandon_idle(self, *, present: Collection[str] = ()) -> list[tuple[str, str | None]]:
        """Chats whose customer went quiet past the idle limit, each with the agent it was
        assigned to (None for a chat with the bot or in the queue).

        A chat with the bot whose last turn was an answer is resolved, as assumed (the customer
        read it and left without saying whether it helped); every other quiet chat is abandoned.
        A chat with an agent is abandoned only when its customer has gone: nothing written,
        no read of the chat and no socket for as long (`present`: connected now).
        Each chat is looked at again inside its own transaction: one an agent accepted, or whose
        customer wrote, a moment before is left as it is (the change that came first wins).
        """
        now = self.clock.now()
        at = iso(now)
        cutoff = iso(now - timedelta(seconds=self.limits.idle_limit_s))
        gone: list[tuple[str, str | None]] = []
        for conversation_id in self.conversations.quiet_since(cutoff):
            with self.storage.write() as db:
                row = self.conversations.get(conversation_id, lock=True)
                if conversation_id not in self.conversations.quiet_since(
                    cutoff, conversation_id=conversation_id
                ):
                    continue  # taken, or the customer wrote, since the list was read
                status = Status(row["status"])
                if status is Status.BOT and self.conversations.paused_handover(conversation_id):
                    continue  # filed as a ticket instead (ConversationService.hand_over_paused)
                withdraw_pending(db, self.publisher, conversation_id, at=at)
                assumed = status is Status.BOT and (
                    self.conversations.answered_last(conversation_id)
                    or self.conversations.thanked_last(conversation_id)
                )
                transition(
                    self.storage,
                    conversation_id,
                    Status.RESOLVED if assumed else Status.ABANDONED,
                    expect=status,
                    reason="assumed_resolved" if assumed else "idle",
                    at=at,
                )
            gone.append((conversation_id, None))
        self.conversations.customer_seen(
            present, at=at, stale=iso(now - timedelta(seconds=SEEN_EVERY_S))
        )
        for conversation_id in self.conversations.gone_since(cutoff, present=present):
            with self.storage.write() as db:
                row = self.conversations.get(conversation_id, lock=True)
                agent_id = row["assigned_agent_id"]
                if (
                    row["status"] != Status.ASSIGNED.value
                    or self.conversations.last_sign_of_customer(conversation_id) > cutoff
                ):
                    continue  # the agent finished it, or the customer came back, meanwhile
                end_stint(db, row, "abandoned", at)
                transition(
                    self.storage,
                    conversation_id,
                    Status.ABANDONED,
                    expect=Status.ASSIGNED,
                    owner=agent_id,
                    reason="customer_gone",
                    at=at,
                )
            gone.append((conversation_id, agent_id))
        return gone

    def customer_left(self, conversation_id: str) -> tuple[bool, str | None]:
        """The customer closed a chat waiting for or with a person (for a new one): abandoned at
        once (reason customer_left), its place in the queue or its agent's slot freed, and the
        agent told in the transcript. Whether it was, and the agent it was assigned to. A chat
        with the bot is left to the idle limit, which tells an answer read from one abandoned."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = self.conversations.get(conversation_id, lock=True)
            status = Status(row["status"])
            if status not in (Status.QUEUED, Status.ASSIGNED):
                return False, None
            agent_id = row["assigned_agent_id"] if status is Status.ASSIGNED else None
            withdraw_pending(db, self.publisher, conversation_id, at=at)
            if agent_id:
                end_stint(db, row, "abandoned", at)
            transition(
                self.storage,
                conversation_id,
                Status.ABANDONED,
                expect=status,
                owner=agent_id,
                reason="customer_left",
                at=at,
            )
            language = self.conversations.language(conversation_id)
            self.conversations.add_message(
                conversation_id, sender="system", text=say(language, "chat.customer_left"), at=at
            )
        return True, agent_id

    def close_unwritten(self) -> list[str]:
        """Chats the customer never wrote in, past the unwritten limit since they started:
        abandoned (reason never_written), so nothing is left open for a widget that was opened
        and left, or for a client that only opens conversations. Closed rather than deleted:
        the event log stays whole, and a customer who writes after all reopens the chat as any
        abandoned one. The figures are not moved: a contact is a conversation the customer
        wrote in."""
        if self.limits.unwritten_limit_s <= 0:
            return []
        now = self.clock.now()
        at = iso(now)
        cutoff = iso(now - timedelta(seconds=self.limits.unwritten_limit_s))
        closed = []
        for conversation_id in self.conversations.never_written(started_before=cutoff):
            with self.storage.write():
                if self.conversations.customer_wrote(conversation_id):
                    continue  # just now: the chat carries on
                try:
                    transition(
                        self.storage,
                        conversation_id,
                        Status.ABANDONED,
                        expect=Status.BOT,
                        reason="never_written",
                        at=at,
                    )
                except (IllegalTransition, ConversationMoved):
                    continue
            closed.append(conversation_id)
        return closed
