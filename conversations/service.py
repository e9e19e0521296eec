"""The customer's conversation: start it, read it, and take each turn (the customer's, which may
go to the bot, and an agent's reply).

The people behind the bot (queue, agents, tickets) are reached through `People`, content gaps
through `GapRecorder`, email through `Mailer`: the app wires all three.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from conversations.bot_turn import Bot, BotTurn
from conversations.chat import Chat
from conversations.customer_turn import CustomerTurn, Turn
from conversations.errors import NotAssigned
from conversations.gaps import GapRecorder
from conversations.identity import verified_user_id
from conversations.people import HandoffRequest, People
from conversations.states import Status
from conversations.store import SEEN_EVERY_S
from conversations.transcript import EmailOff, Mailer, NoEmailAddress, as_text
from conversations.view import ConversationView, conversation_view
from core.auth import Role, TokenStore
from core.clock import Clock, iso
from core.db import Storage
from core.words import say

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

    @property
    def bot(self) -> Bot:
        return self.bot_turn.bot

    @bot.setter
    def bot(self, bot: Bot) -> None:
        self.bot_turn.bot = bot

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
                conversation_id, sender="agent", text=text, client_id=client_id, at=self.chat.now()
            )
        return Turn(status.value, [message])

    async def answer_unanswered(self, *, bot_wait_s: float = 0.0) -> int:
        """At start-up: answer the customer messages a crash left without their turn (see
        `CustomerTurn.resume`); returns how many. Waits up to `bot_wait_s` for the bot to come
        up first (it may start alongside), else they are answered as when it is down."""
        if not self.store.unanswered():
            return 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + bot_wait_s
        while loop.time() < deadline and not await self.bot.is_up():
            await asyncio.sleep(1.0)
        return await self.customer_turn.resume()

    def hand_over(
        self, conversation_id: str, request: HandoffRequest, *, route: bool = True
    ) -> None:
        """Bot to queue, with the package a person needs to carry on."""
        self.chat.hand_over(conversation_id, request, route=route)

    def set_email(self, conversation_id: str, email: str) -> bool:
        """Keep the customer's address if it is one."""
        return self.chat.set_email(conversation_id, email)

    def email_transcript(self, conversation_id: str, to: str | None = None) -> str:
        """Queue the whole chat as an email to `to`, or to the address the conversation has.

        A new address given here is kept on the conversation, as one typed into the chat is."""
        if self.mailer is None:
            raise EmailOff(EMAIL_OFF)
        if to is not None and not self.set_email(conversation_id, to):
            raise NoEmailAddress(f"{to!r} is not an email address")
        row = self.store.get(conversation_id)
        address = row["customer_email"]
        if not address:
            raise NoEmailAddress("give the email address to send the transcript to")
        agent_id = row["assigned_agent_id"]
        agent = self.people.agent_name(agent_id) if agent_id else None
        messages = self.store.messages(conversation_id)
        language = self.store.language(conversation_id)
        queued = self.mailer.enqueue_email(
            to=address,
            subject=say(language, "email.transcript_subject"),
            body=as_text(messages, agent_name=agent, language=language),
            topic="conversation.transcript",
        )
        if queued is None:
            raise EmailOff(EMAIL_OFF)
        return address
