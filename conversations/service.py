"""The customer's conversation: start it, read it, and take each turn (the customer's, which may
go to the bot, and an agent's reply).

The people behind the bot (queue, agents, tickets) are reached through `People`, content gaps
through `GapRecorder`, email through `Mailer`: the app wires all three.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any

from conversations.bot_turn import Bot, BotTurn, bot_up_within
from conversations.chat import Chat, email_address
from conversations.customer_turn import CustomerTurn, Turn
from conversations.errors import ClientIdReused, ConversationMoved, NotAssigned
from conversations.events import TranscriptEmailed, record
from conversations.gaps import GapRecorder
from conversations.identity import verified_user_id
from conversations.links import ChatLinks, NoLinks
from conversations.locks import for_update
from conversations.people import HandoffRequest, People
from conversations.quiet import SEEN_EVERY_S
from conversations.states import Status
from conversations.transcript import (
    EmailOff,
    Mailer,
    NoEmailAddress,
    OtherAddress,
    TranscriptsUsedUp,
    as_text,
)
from conversations.view import ConversationView, conversation_view
from core.auth import Role, TokenStore
from core.clock import Clock, iso
from core.db import Storage
from core.words import say

log = logging.getLogger(__name__)

EMAIL_OFF = "this server does not send email (no SMTP server is configured)"

__all__ = ["Bot", "ConversationService", "Turn"]


class ConversationService:
    def __init__(
        self,
        *,
        storage: Storage,
        bot: Bot,
        tokens: TokenStore,
        clock: Clock,
        people: People,
        gaps: GapRecorder | None = None,
        mailer: Mailer | None = None,
        identity_secret: str | None = None,
        transcripts_per_conversation: int = 3,
        zone: str = "UTC",
        links: ChatLinks | None = None,
    ) -> None:
        self.chat = Chat(storage=storage, clock=clock, people=people, gaps=gaps)
        self.bot_turn = BotTurn(self.chat, bot)
        self.customer_turn = CustomerTurn(self.chat, self.bot_turn)
        self.store = self.chat.store
        self.people = people
        self.mailer = mailer
        self.tokens = tokens
        self.clock = clock
        self.identity_secret = identity_secret  # None: no site may vouch for a user id
        self.transcripts_per_conversation = transcripts_per_conversation
        self.zone = zone  # the business's time zone: the transcript's times are in it
        self.links: ChatLinks = links or NoLinks()  # the transcript's link back to the chat

    @property
    def bot(self) -> Bot:
        return self.bot_turn.bot

    @bot.setter
    def bot(self, bot: Bot) -> None:
        self.bot_turn.bot = bot

    def hand_over_paused(self, idle_limit_s: float) -> list[str]:
        """Chats whose customer went quiet past the idle limit while the bot asked for their
        address before a hand-over: each filed as a ticket with what they asked (the idle limit
        would otherwise close it, the request lost). Returns their ids."""
        cutoff = iso(self.clock.now() - timedelta(seconds=idle_limit_s))
        filed = []
        for conversation_id in self.store.quiet_since(cutoff):
            paused = self.store.paused_handover(conversation_id)
            if paused is None or self.store.get(conversation_id)["status"] != Status.BOT.value:
                continue
            try:
                self.chat.file_paused(conversation_id, HandoffRequest.from_signal(paused))
            except ConversationMoved as moved:  # the customer wrote, or it changed, meanwhile
                log.info("%s", moved)
                continue
            filed.append(conversation_id)
        return filed

    def view(self, conversation_id: str) -> ConversationView:
        return conversation_view(self.store, self.people, conversation_id)

    def customer_here(self, conversation_id: str) -> None:
        """The customer has the chat open (their widget read it): a chat with an agent is not
        abandoned while they do (`ConversationStore.gone_since`)."""
        now = self.clock.now()
        self.store.customer_seen(
            [conversation_id],
            at=iso(now),
            stale=iso(now - timedelta(seconds=SEEN_EVERY_S)),
        )

    def start(
        self,
        *,
        customer: dict[str, Any],
        page_url: str | None,
        visitor_id: str | None = None,
        user_id: str | None = None,
        user_hash: str | None = None,
        language: str | None = None,
    ) -> tuple[ConversationView, str]:
        """A new conversation. A `user_id` is kept only when `user_hash` signs it; otherwise the
        chat starts all the same, without it. `language` (a code of `core.language.LANGUAGES`)
        when the conversation starts with a locale; else the customer's messages decide it."""
        now = self.chat.now()
        conversation_id = self.store.create(
            customer=customer,
            page_url=page_url,
            at=now,
            visitor_id=visitor_id,
            user_id=verified_user_id(user_id, user_hash, self.identity_secret),
            language=language,
        )
        token = self.tokens.issue(Role.CUSTOMER, conversation_id, at=now)
        welcome = say(language, "chat.welcome")
        self.store.add_message(conversation_id, sender="bot", text=welcome, at=now)
        return self.view(conversation_id), token

    async def customer_says(
        self, conversation_id: str, text: str, *, client_id: str | None
    ) -> Turn:
        return await self.customer_turn.take(conversation_id, text, client_id=client_id)

    def agent_replies(
        self,
        conversation_id: str,
        text: str | None,
        *,
        canned: str | None,
        agent_id: str | None,
        client_id: str | None,
    ) -> Turn:
        """An agent's message as sent: typed text, or else a canned response filled in."""
        if text is None:
            text = self.people.expand_canned(canned or "", conversation_id)
        return self.agent_says(conversation_id, text, agent_id=agent_id, client_id=client_id)

    def agent_says(
        self, conversation_id: str, text: str, *, agent_id: str | None, client_id: str | None
    ) -> Turn:
        """A live agent's reply; `agent_id` None means an admin, who may reply to any chat a
        person owns."""
        with self.chat.storage.write():  # still theirs when it is written
            conversation = self.store.get(conversation_id)
            status = Status(conversation["status"])
            owned = status is Status.ASSIGNED and conversation["assigned_agent_id"] == agent_id
            if not (owned or (agent_id is None and status in (Status.QUEUED, Status.ASSIGNED))):
                raise NotAssigned(conversation_id, status.value)
            message, _ = self.store.add_message(
                conversation_id,
                sender="agent",
                text=text,
                client_id=client_id,
                at=self.chat.now(),
                author=self.people.agent_name(agent_id) if agent_id else None,
            )
        if message["text"] != text:  # `client_id` already named another message
            raise ClientIdReused(str(client_id))
        return Turn(status.value, [message])

    async def answer_unanswered(
        self, *, bot_wait_s: float = 0.0, only: Collection[int] | None = None
    ) -> int:
        """At start-up: answer the customer messages a crash left without their turn (with
        `only`, those of these message ids; see `CustomerTurn.resume`); returns how many. Waits
        up to `bot_wait_s` for the bot to come up first (it may start alongside), else they are
        answered as when it is down."""
        if not self.store.unanswered(only=only):
            return 0
        await bot_up_within(self.bot, bot_wait_s)
        return await self.customer_turn.resume(only)

    def hand_over(
        self, conversation_id: str, request: HandoffRequest, *, route: bool = True
    ) -> None:
        """Bot to queue, with the package a person needs to carry on."""
        self.chat.hand_over(conversation_id, request, route=route)

    def set_email(self, conversation_id: str, email: str) -> bool:
        """Keep the customer's address if it is one."""
        return self.chat.set_email(conversation_id, email)

    def email_transcript(
        self,
        conversation_id: str,
        to: str | None = None,
        *,
        by_customer: bool,
        sending_to: Callable[[str], None] = lambda address: None,
    ) -> str:
        """Queue the whole chat as an email to the conversation's own address; returns it.

        The transcript goes nowhere else, so this server relays nothing: an address given must
        be the conversation's. Only when it has none may its customer give one, which is then
        kept, once; no one (staff included) changes a stored address by asking for a
        transcript. At most `transcripts_per_conversation` are sent. The check, the count,
        the address kept and the email queued are one transaction. `sending_to` is told the
        address once the checks allow the email (read first, and made again in that
        transaction), and may still refuse it by raising: the limit of transcripts to one
        address counts only emails that would go."""
        if self.mailer is None:
            raise EmailOff(EMAIL_OFF)
        given = None if to is None else email_address(to)
        if to is not None and given is None:
            raise NoEmailAddress(f"{to!r} is not an email address")
        row = self.store.get(conversation_id)
        address = self._transcript_address(row["customer_email"], given, by_customer=by_customer)
        self._not_used_up(self.chat.storage.db, conversation_id)
        sending_to(address)  # before the write lock: a limit's store may be slow to answer
        agent_id = row["assigned_agent_id"]
        agent = self.people.agent_name(agent_id) if agent_id else None
        language = self.store.language(conversation_id)
        body = as_text(
            self.store.messages(conversation_id),
            agent_name=agent,
            language=language,
            zone=self.zone,
        )
        if link := self.links.to(conversation_id):
            body += "\n" + say(language, "email.transcript_link", link=link) + "\n"
        with self.chat.storage.write() as db:
            stored = db.execute(  # held: a second request counts this one's email
                "select customer_email from conversations where id = ?" + for_update(db),
                [conversation_id],
            ).fetchone()[0]
            address = self._transcript_address(stored, address, by_customer=by_customer)
            self._not_used_up(db, conversation_id)
            if not stored:
                db.table("conversations").update(
                    conversation_id, {"customer_email": address, "awaiting": None}
                )
            queued = self.mailer.enqueue_email(
                to=address,
                subject=say(language, "email.transcript_subject"),
                body=body,
                topic="conversation.transcript",
            )
            if queued is None:
                raise EmailOff(EMAIL_OFF)
            by = "customer" if by_customer else "staff"
            record(db, conversation_id, TranscriptEmailed(by), at=self.chat.now())
        return address

    def _not_used_up(self, db: Any, conversation_id: str) -> None:
        (sent,) = db.execute(
            "select count(*) from events where conversation_id = ? and name = ?",
            [conversation_id, TranscriptEmailed.name],
        ).fetchone()
        if sent >= self.transcripts_per_conversation:
            raise TranscriptsUsedUp(
                f"this conversation's transcript was already emailed {sent} times, the most it"
                " may be"
            )

    @staticmethod
    def _transcript_address(stored: str | None, given: str | None, *, by_customer: bool) -> str:
        if stored:
            if given is not None and given.casefold() != stored.casefold():
                raise OtherAddress(
                    "the transcript goes only to the email address this conversation already"
                    " has; another cannot be given"
                )
            return stored
        if given is None:
            raise NoEmailAddress("give the email address to send the transcript to")
        if not by_customer:
            raise OtherAddress(
                "this conversation has no email address: only its customer can give one"
            )
        return given
