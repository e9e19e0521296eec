"""The customer's turn: store the message first, then route it to the conversation's owner.

While the status is `bot` the message goes to Rasa; any other status means a person owns the
conversation (or it became a ticket) and Rasa never sees it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from conversations.attempts import ASK_FOR_PERSON, BUTTONS_LOOKED_BACK, CHOOSE_ARTICLE
from conversations.bot_turn import BotTurn
from conversations.chat import Chat
from conversations.errors import ChatFull, ClientIdReused, ConversationMoved
from conversations.people import EMAIL_INSTEAD
from conversations.replies import BotMessage
from conversations.states import Status, transition
from core.choices import is_pick
from core.contact import declines, find_email, wants_email
from core.words import say

log = logging.getLogger(__name__)

# The widget's menu sends these payloads whatever the bot said last (-> the text of the title).
MENU_ITEMS = {ASK_FOR_PERSON: "chat.menu_person"}

_CSAT = re.compile(r'^/csat\{"score":\s*([1-5])\}$')
# A score typed in reply to the rating question instead of tapped: "4", "4/5", "4 stars", 「4点」,
# full-width digits too (read after NFKC).
_TYPED_SCORE = re.compile(r"^([1-5])\s*(?:/\s*5|stars?|点|つ星)?\s*[.!。！]?$", re.IGNORECASE)


def csat_score(text: str) -> int | None:
    """The score in a rating button's payload (`/csat{"score": 4}`), if this is one."""
    match = _CSAT.match(text.strip())
    return int(match.group(1)) if match else None


def typed_score(text: str) -> int | None:
    """The score in a message that is nothing but one ("5", "５", "4/5", "3 stars", 「4点」)."""
    match = _TYPED_SCORE.match(unicodedata.normalize("NFKC", text).strip())
    return int(match.group(1)) if match else None


def asks_for_rating(message: dict[str, Any] | None) -> bool:
    """Whether `message` is the rating question (it carries the rating buttons)."""
    buttons = (message or {}).get("buttons") or []
    return any(csat_score(button.get("payload", "")) is not None for button in buttons)


@dataclass(frozen=True)
class Turn:
    status: str
    messages: list[dict[str, Any]]


@dataclass(frozen=True)
class Retried:
    message: dict[str, Any]  # as the first call stored it


# How long a retried message waits for the first call's turn (a bot turn takes well under a
# second; the wait for Rasa is 15 s unless set otherwise), looking every 50 ms.
RETRY_WAITS_S = 35.0
RETRY_POLL_S = 0.05

# The most messages a customer writes in one chat: far past any real support chat (the demo's
# longest has a dozen), it keeps a script that writes on and on within the rate limits from
# growing one transcript without end (every agent who opens it, every hand-over package and
# transcript email carries it whole). The customer is told to start a new chat.
MAX_CUSTOMER_MESSAGES = 500


class CustomerTurn:
    def __init__(self, chat: Chat, bot_turn: BotTurn) -> None:
        self.chat = chat
        self.bot_turn = bot_turn

    async def take(self, conversation_id: str, text: str, *, client_id: str | None) -> Turn:
        """The customer's message and everything said after it: the bot's replies, and what a
        hand-over led to (an agent joining, a ticket filed).

        The event loop never waits on the database or the language detector: the message is
        stored (one transaction, committed before anyone else hears of it) and the rest of
        the turn is taken in worker threads, around the bot's answer."""
        stored = await asyncio.to_thread(self._store, conversation_id, text, client_id)
        if isinstance(stored, Retried):
            return await self._retried(conversation_id, stored.message)
        message, bot_text = stored
        await self.answer(conversation_id, message, bot_text)
        return await asyncio.to_thread(self._since, conversation_id, message)

    async def _retried(self, conversation_id: str, message: dict[str, Any]) -> Turn:
        """A message sent again (its `client_id` stored): the turn the first call gave, once
        that call (on this replica or another) has taken it, however the two overlapped."""
        store = self.chat.store
        deadline = asyncio.get_running_loop().time() + RETRY_WAITS_S
        while await asyncio.to_thread(store.awaits_turn, message["id"]):
            if asyncio.get_running_loop().time() > deadline:
                break  # the first call is stuck or gone: its turn is taken at the next start
            await asyncio.sleep(RETRY_POLL_S)
        return await asyncio.to_thread(
            lambda: Turn(
                store.get(conversation_id)["status"], [message, *store.replies_to(message["id"])]
            )
        )

    def _store(
        self, conversation_id: str, text: str, client_id: str | None
    ) -> Retried | tuple[dict[str, Any], str]:
        """Store the customer's message, marked as awaiting its turn, with the language it holds
        the conversation in (so a turn answered after a crash has it too), in one transaction;
        `Retried` when it was stored before (the same `client_id`)."""
        chat, store = self.chat, self.chat.store
        conversation = store.get(conversation_id)  # one that does not exist is said so
        duplicate = store.by_client_id(conversation_id, client_id)
        if duplicate is not None:
            # A button's payload is stored as the button's title; typed words as they came.
            if duplicate["text"] != text and (
                not text.startswith("/")
                or duplicate["text"] != self._button_press(conversation_id, text)[0]
            ):
                raise ClientIdReused(str(client_id))
            return Retried(duplicate)
        if store.customer_messages(conversation_id) >= MAX_CUSTOMER_MESSAGES:
            raise ChatFull(MAX_CUSTOMER_MESSAGES)
        shown_text, bot_text = self._button_press(conversation_id, text)
        language = chat.language_of(text)  # before the transaction: the detector takes a while
        if (
            language is not None
            and conversation["language_source"] == "locale"
            and language != conversation["language"]
            and chat.language_of(store.last_customer_text(conversation_id) or "")
            == conversation["language"]
        ):
            # The page said the customer's language and they wrote in it: one line in another
            # ("Order KM-20451, thank you!") does not change it; a second in a row does. (A
            # first message in another language does: the page's guess was wrong.)
            language = None
        with chat.storage.write():
            message, is_new = store.add_message(
                conversation_id,
                sender="customer",
                text=shown_text,
                client_id=client_id,
                at=chat.now(),
            )
            if is_new:  # stored and marked together: a crash from here on is picked up again
                store.await_turn(message, conversation_id, payload=bot_text)
                if language is not None:
                    store.set_language(conversation_id, language, at=chat.now())
        if not is_new:  # the same client_id raced in concurrently and won
            if message["text"] != shown_text:  # with other words: this one is not taken
                raise ClientIdReused(str(client_id))
            return Retried(message)
        return message, bot_text

    def _since(self, conversation_id: str, message: dict[str, Any]) -> Turn:
        store = self.chat.store
        return Turn(store.get(conversation_id)["status"], store.since(message))

    async def answer(self, conversation_id: str, message: dict[str, Any], text: str) -> None:
        """Take the turn of the customer's stored `message` (`text` is what was typed or the
        button's payload), then mark it taken. A turn that fails is taken all the same (the
        caller hears of the failure); one cut off by a shutdown or crash is not, and is
        answered at the next start-up."""
        try:
            taken = await self._answer(conversation_id, message, text)
        except Exception:
            await asyncio.to_thread(self.chat.store.turn_taken, message["id"])
            raise
        if not taken:
            await asyncio.to_thread(self.chat.store.turn_taken, message["id"])

    async def _answer(self, conversation_id: str, message: dict[str, Any], text: str) -> bool:
        """True when the turn was marked taken with what it changed (the bot's turn)."""
        conversation = await asyncio.to_thread(self._before_bot, conversation_id, message, text)
        if conversation is None:
            return False
        await self.bot_turn.take(conversation, message, text)
        return True

    def _before_bot(
        self, conversation_id: str, message: dict[str, Any], text: str
    ) -> dict[str, Any] | None:
        """What the message means while no bot is involved (a rating, a message while queued
        or on a ticket, a customer coming back); the conversation when the bot is to answer."""
        chat, store = self.chat, self.chat.store
        language = store.language(conversation_id)
        conversation = store.get(conversation_id)
        status = Status(conversation["status"])

        if status in (Status.RESOLVED, Status.TICKETED):
            rating = csat_score(text)
            if rating is None and (
                asks_for_rating(store.last_bot_message(conversation_id))
                or (status is Status.RESOLVED and self._rating_form_shown(conversation, message))
            ):
                rating = typed_score(text)  # the rating question was the last thing asked
            if rating is not None and status is Status.TICKETED:
                # A ticket is rated once it is solved; before then (it was opened again) a
                # score is a message on the ticket like any other.
                standing = chat.people.ticket_status(conversation["ticket_id"])
                rating = rating if standing in ("solved", "closed") else None
            if rating is not None:
                # A second press of a rating button is told so in the chat, not refused: the
                # first rating stands.
                rated = conversation["csat_score"] is not None
                if not rated:
                    chat.people.rate(conversation_id, rating, None)
                chat.say(
                    conversation_id,
                    BotMessage(say(language, "chat.csat_already" if rated else "chat.csat_thanks")),
                    reply_to=message["id"],
                    sender="system",
                )
                return None

        if status is Status.QUEUED and self._while_queued(conversation, message, text):
            return None
        if status is Status.ASSIGNED:
            # An address typed to the agent is kept, the latest winning (as on a ticket): a
            # ticket the agent files later replies to it without asking again.
            given = find_email(text)
            if given is not None and given != conversation["customer_email"]:
                chat.set_email(conversation_id, given)
        if status is Status.TICKETED:
            # The message goes on the ticket. Saying so once is enough: not after each message
            # of a burst, nor while it was the last thing said to the customer (a closed
            # ticket is told every time: nobody will read those messages).
            # An address given now is kept, the latest one given winning: the ticket's reply can
            # go by email after all, or to the address the customer corrected it to. The answer
            # names the address, so a wrong one shows.
            given = find_email(text)
            if given is None or given == conversation["customer_email"]:
                given = None
            else:
                chat.set_email(conversation_id, given)
            ticket = chat.people.customer_wrote_on_ticket(conversation_id, address=given)
            if ticket is not None and (
                ticket.closed or not self._said_last(conversation_id, ticket.told, message["id"])
            ):
                chat.say(
                    conversation_id,
                    BotMessage(ticket.told),
                    reply_to=message["id"],
                    sender="system",
                )
        reopened = status is Status.RESOLVED
        if status in (Status.RESOLVED, Status.ABANDONED):
            try:
                transition(
                    chat.storage,
                    conversation_id,
                    Status.BOT,
                    expect=status,
                    owner=conversation["assigned_agent_id"],
                    reason="customer_returned",
                    at=chat.now(),
                    fields={"assigned_agent_id": None},
                )
            except ConversationMoved as moved:  # another of their messages reopened it first
                log.info("%s", moved)
            conversation = store.get(conversation_id)
            status = Status(conversation["status"])
            # Reopened by this message: a mere thanks or goodbye leaves it resolved (bot_turn).
            conversation = {**conversation, "reopened": reopened}
        return conversation if status is Status.BOT else None

    async def resume(self, only: Collection[int] | None = None) -> int:
        """Answer the customer messages a crash or shutdown left without their turn (with
        `only`, those of these message ids), oldest first, through the same turn as when they
        arrived; returns how many."""
        store = self.chat.store
        left = store.unanswered(only=only)
        for conversation_id, message, text in left:
            if store.replies_to(message["id"]):  # answered, but not yet marked so
                store.turn_taken(message["id"])
                continue
            try:
                await self.answer(conversation_id, message, text)
            except Exception:  # one failed turn must not keep the others unanswered
                log.exception("answering message %s of %s failed", message["id"], conversation_id)
        return len(left)

    def _rating_form_shown(self, conversation: dict[str, Any], message: dict[str, Any]) -> bool:
        """A resolved chat not rated yet shows the widget's rating form (the bot's resolution
        too, whose last words carry no rating buttons) until the customer writes on: a score
        typed as their first message since ("5", 「4点」) answers it."""
        if conversation["csat_score"] is not None:
            return False
        last = self.chat.store.last_said_to_customer(conversation["id"], before=message["id"])
        written = self.chat.store.since(last) if last else []
        return last is not None and not any(
            m["sender"] == "customer" and m["id"] != message["id"] for m in written
        )

    def _said_last(self, conversation_id: str, text: str, before: int) -> bool:
        """Whether `text` is the last thing said to the customer before their message `before`."""
        last = self.chat.store.last_said_to_customer(conversation_id, before=before)
        return last is not None and last["text"] == text

    def _while_queued(
        self, conversation: dict[str, Any], message: dict[str, Any], text: str
    ) -> bool:
        """While waiting: "email me instead", the address it may need, and anything else the
        customer writes (kept for the agent). True if handled."""
        chat = self.chat
        conversation_id = conversation["id"]
        language = chat.store.language(conversation_id)
        # The button, or the same typed ("can you just email me instead?"), with or without the
        # address in it. A server that sends no email offers neither: the text waits for the
        # agent like any other.
        mails = chat.people.sends_email()
        email_button = {"title": say(language, "chat.email_instead"), "payload": EMAIL_INSTEAD}
        if mails and (
            text.strip() == EMAIL_INSTEAD
            or (conversation["awaiting"] != "email" and wants_email(text))
        ):
            if conversation["customer_email"] or chat.set_email(conversation_id, text):
                self._email_instead(conversation_id)
            else:
                with chat.storage.write() as db:
                    db.table("conversations").update(conversation_id, {"awaiting": "email"})
                chat.say(
                    conversation_id,
                    BotMessage(say(language, "chat.ask_email")),
                    reply_to=message["id"],
                    sender="system",
                )
            return True
        if conversation["awaiting"] == "email":
            if chat.set_email(conversation_id, text.strip()):
                self._email_instead(conversation_id)
                return True
            # "skip" ends the asking; otherwise it is asked again once, and a second reply with
            # no address ends it too (the customer keeps their place in the queue) rather than
            # repeating the same line at them.
            declined = declines(text)
            again = not declined and not self._said_last(
                conversation_id, say(language, "chat.not_an_email"), message["id"]
            )
            if not again:
                with chat.storage.write() as db:
                    db.table("conversations").update(conversation_id, {"awaiting": None})
            if declined:
                reply = BotMessage(say(language, "chat.email_declined"), buttons=[email_button])
            elif again:
                reply = BotMessage(say(language, "chat.not_an_email"))
            else:
                reply = BotMessage(say(language, "chat.email_not_given"), buttons=[email_button])
            chat.say(conversation_id, reply, reply_to=message["id"], sender="system")
            return True
        # Anything else waits for the agent who joins (they see the whole chat). The customer is
        # told so once, not after each message of a burst, rather than left to wonder whether
        # anyone read it.
        noted = say(language, "chat.queued_noted")
        if not self._said_last(conversation_id, noted, message["id"]):
            chat.say(
                conversation_id,
                BotMessage(noted, buttons=[email_button] if mails else []),
                reply_to=message["id"],
                sender="system",
            )
        return True

    def _email_instead(self, conversation_id: str) -> None:
        try:
            self.chat.email_instead(conversation_id)
        except ConversationMoved as moved:  # an agent took the chat a moment before
            log.info("%s", moved)

    def _button_press(self, conversation_id: str, text: str) -> tuple[str, str]:
        """A button's payload is shown in the transcript as the button's title (the chat
        menu's items too, which are not in any message). A choice of articles picked by its
        place ("the second one", 「2番目」) goes to the bot as that choice's button."""
        store = self.chat.store
        if text.startswith("/"):
            # The latest button with this payload: an older one pressed late is named too.
            for said in store.bot_messages(conversation_id, limit=BUTTONS_LOOKED_BACK):
                for button in said.get("buttons") or []:
                    if button["payload"] == text:
                        return button["title"], text
            if text in MENU_ITEMS:
                return say(store.language(conversation_id), MENU_ITEMS[text]), text
        elif (pick := is_pick(text)) is not None:  # shaped like a pick: is a choice on offer?
            choices = store.choices_on_offer(conversation_id)
            if choices:
                # A place the list does not have ("the fourth one" of three) is a choice the
                # bot could not read: it asks for one of the articles again.
                place = pick.index(len(choices))
                return text, CHOOSE_ARTICLE if place is None else choices[place]["payload"]
        return text, text
