"""The bot's turn: the customer's message goes to Rasa (unless it shows frustration, which
brings in a person at once), and what Rasa sends back is said in the chat and acted on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from conversations.chat import Chat
from conversations.errors import ConversationMoved
from conversations.events import (
    FeedbackGiven,
    HandoverDropped,
    HandoverPaused,
    ThankedForAnswer,
)
from conversations.gaps import ANSWER_NOT_HELPFUL
from conversations.people import HandoffRequest
from conversations.replies import BotMessage, parse_replies
from conversations.states import ONLY_THANKED, Status, transition
from conversations.triggers import frustration, is_repeat
from core.words import say

log = logging.getLogger(__name__)


# While the bot is awaited (starting alongside the app), how often it is asked whether it is up.
START_POLL_S = 1.0


async def bot_up_within(bot: Bot, seconds: float) -> bool:
    """Wait up to `seconds` for `bot` to be up, asking it every `START_POLL_S`; whether it is."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while loop.time() < until:
        if await bot.is_up():
            return True
        await asyncio.sleep(min(START_POLL_S, max(until - loop.time(), 0.0)))
    return False


# What each sign of frustration (conversations.triggers) is, as the agent's summary says it.
SIGNS_FOR_STAFF = {
    "shouting": "shouting (capitals or exclamation marks)",
    "insult": "angry or insulting words",
    "repeat": "the same message again",
}


class Bot(Protocol):
    """The bot tier as a conversation sees it (Rasa's client is one, wired by the app).

    `send` raises `ConnectionError` when the bot cannot be reached, `ConnectionRefusedError`
    when the message certainly did not reach it (so it may be sent again)."""

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]: ...

    async def is_up(self) -> bool: ...


class BotTurn:
    def __init__(self, chat: Chat, bot: Bot) -> None:
        self.chat = chat
        self.bot = bot
        self._starting_until: float | None = None  # see expect_bot
        self._start: asyncio.Future[bool] | None = None

    def expect_bot(self, within_s: float) -> None:
        """The bot is starting alongside the app (`cascade up` starts both; Rasa takes a
        minute or so to load its model, the app seconds). From now until the bot first answers,
        for at most `within_s`, a message it cannot take yet waits for it to come up and is then
        sent again, instead of being handed over as "bot unavailable": a customer who writes
        during a restart gets the bot, not a ticket. Afterwards, a bot that does not answer
        hands the chat over at once, as always."""
        if within_s > 0:
            self._starting_until = asyncio.get_running_loop().time() + within_s

    async def _send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> list[dict]:
        for again in (True, False):
            try:
                replies = await self.bot.send(conversation_id, text, metadata=metadata)
            except ConnectionRefusedError:  # it never got the message: is it still starting?
                if again and await self._came_up():
                    continue
                raise
            except ConnectionError:
                self._starting_until = None  # reached, so started: down now means down
                raise
            self._starting_until = None
            return replies
        raise AssertionError("unreachable")  # pragma: no cover

    async def _came_up(self) -> bool:
        """While the bot may still be starting: wait until it is up (True) or the time given
        to start has passed (False). Every message waiting shares the one wait."""
        if self._starting_until is None:
            return False
        if self._start is None or self._start.done():
            self._start = asyncio.ensure_future(self._wait_up(self._starting_until))
        return await asyncio.shield(self._start)

    async def _wait_up(self, until: float) -> bool:
        if await bot_up_within(self.bot, until - asyncio.get_running_loop().time()):
            return True
        self._starting_until = None
        log.warning("the bot did not come up in time: chats go to people until it answers")
        return False

    async def take(
        self, conversation: dict[str, Any], message: dict[str, Any], text: str
    ) -> list[dict[str, Any]]:
        """Answer the customer's `message` (`text` is what was typed or the button's payload)
        and mark its turn taken; returns the messages said in reply.

        Everything the turn changes is written in worker threads, never on the event loop:
        what the bot's answer leads to (its messages, the resolution, a hand-over, feedback)
        in one transaction with the turn marked taken."""
        conversation_id = conversation["id"]
        before = await asyncio.to_thread(self._before_bot, conversation, message, text)
        if isinstance(before, list):
            return before
        try:
            raw = await self._send(conversation_id, text, before)
        except ConnectionError as exc:
            log.warning("%s", exc)
            return await asyncio.to_thread(self._bot_down, conversation_id, message)
        reopened = bool(conversation.get("reopened"))
        return await asyncio.to_thread(self._after_bot, conversation_id, message, raw, reopened)

    def _before_bot(
        self, conversation: dict[str, Any], message: dict[str, Any], text: str
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """What the bot is told with the message; or, when the message shows frustration, the
        reply that brings in a person at once (the turn then taken)."""
        chat = self.chat
        conversation_id = conversation["id"]
        language = chat.store.language(conversation_id)
        earlier = chat.store.customer_texts(conversation_id, before=message["id"])
        # The bot's last words matter only to a repeat (the same answer to its next question
        # is none): read only then, not on every turn.
        said = chat.store.last_bot_message(conversation_id) if is_repeat(text, earlier) else None
        answering = said is not None and (
            bool(said.get("buttons")) or any(q in said["text"] for q in "?？")
        )
        sign = frustration(text, earlier, answering=answering)
        if sign is None:
            return {
                "page_url": conversation["page_url"],
                "customer_name": conversation["customer_name"],
                # The bot asks for an email before a hand-over that would become a ticket, on a
                # server that sends email.
                "customer_email": chat.store.get(conversation_id)["customer_email"],
                "agents_available": chat.people.can_chat_now(language),
                "sends_email": chat.people.sends_email(),
                # The language to answer in (a code of core.language.LANGUAGES).
                "language": language,
            }
        # A person is promised only when one could chat now; otherwise the ticket that follows
        # says what happens next.
        words = (
            "chat.frustration" if chat.people.can_chat_now(language) else "chat.frustration_nobody"
        )
        with chat.storage.write():
            reply = chat.say(
                conversation_id,
                BotMessage(say(language, words)),
                reply_to=message["id"],
            )
            self._hand_over(
                conversation_id,
                HandoffRequest(
                    reason="frustration",
                    priority="high",
                    sentiment="negative",
                    detail=f"Sign of frustration: {SIGNS_FOR_STAFF[sign]}.",
                ),
            )
            chat.store.turn_taken(message["id"])
        return [reply]

    def _bot_down(self, conversation_id: str, message: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self.chat
        with chat.storage.write():
            reply = chat.say(
                conversation_id,
                BotMessage(say(chat.store.language(conversation_id), "chat.bot_down")),
                reply_to=message["id"],
                sender="system",
            )
            self._hand_over(conversation_id, HandoffRequest(reason="bot_unavailable"))
            chat.store.turn_taken(message["id"])
        return [reply]

    def _after_bot(
        self,
        conversation_id: str,
        message: dict[str, Any],
        raw: list[dict[str, Any]],
        reopened: bool = False,
    ) -> list[dict[str, Any]]:
        """Say the bot's answer and act on its signals, in one transaction with the turn
        marked taken. `reopened`: the message reopened a resolved chat; if the bot took it
        for a thanks or a goodbye, the chat is resolved again (`ONLY_THANKED`)."""
        chat = self.chat
        turn = parse_replies(raw)
        with chat.storage.write():
            chat.store.turn_taken(message["id"])
            if chat.store.get(conversation_id)["status"] != Status.BOT.value:
                # Someone else took the chat while Rasa was thinking: its reply no longer applies.
                log.info("dropping Rasa's late reply to %s", conversation_id)
                return []
            produced = [chat.say(conversation_id, m, reply_to=message["id"]) for m in turn.messages]
            for name, signal in turn.signals:
                try:
                    with chat.storage.write():  # undone alone if it cannot be done
                        self._act_on(conversation_id, name, signal)
                except ConversationMoved as moved:  # someone else changed it a moment before
                    log.info("signal %s not acted on: %s", name, moved)
            thanks = [name for name, _ in turn.signals] == ["courtesy"]
            if thanks and reopened:
                transition(
                    chat.storage,
                    conversation_id,
                    Status.RESOLVED,
                    expect=Status.BOT,
                    reason=ONLY_THANKED,
                    at=chat.now(),
                )
            elif thanks and chat.store.answered_before(conversation_id, message["id"]):
                # "Thanks!" to an answer instead of pressing Yes: at the idle limit the chat is
                # resolved as assumed, as a silent one is, not closed as abandoned.
                chat.record(conversation_id, ThankedForAnswer())
        return produced

    def _hand_over(self, conversation_id: str, request: HandoffRequest) -> None:
        try:
            self.chat.hand_over(conversation_id, request)
        except ConversationMoved as moved:  # someone else changed it a moment before
            log.info("no hand-over: %s", moved)

    def _act_on(self, conversation_id: str, name: str, signal: dict[str, Any]) -> None:
        """One of the signals in Rasa's reply (see `conversations.replies`)."""
        chat = self.chat
        if name == "feedback" and signal.get("article_id"):
            helpful = bool(signal.get("helpful"))
            chat.record(conversation_id, FeedbackGiven(str(signal["article_id"]), helpful))
            if not helpful:
                chat.gap(conversation_id, signal.get("question"), ANSWER_NOT_HELPFUL)
        elif name == "resolve":
            transition(
                chat.storage,
                conversation_id,
                Status.RESOLVED,
                expect=Status.BOT,
                reason="bot_answered",
                at=chat.now(),
            )
        elif name == "contact":
            chat.set_email(conversation_id, str(signal.get("email") or ""))
        elif name == "handoff":
            chat.hand_over(conversation_id, HandoffRequest.from_signal(signal))
        elif name == "ticket":
            chat.email_instead(conversation_id, HandoffRequest.from_signal(signal))
        elif name == "paused":
            request = HandoffRequest.from_signal(signal)
            paused = HandoverPaused(
                request.reason, request.skill, request.priority, request.question
            )
            chat.record(conversation_id, paused)
        elif name == "dropped":
            chat.record(conversation_id, HandoverDropped())
