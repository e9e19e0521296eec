"""The moves every turn of a conversation is made of: say something in it, record an event,
report a content gap, hand it over to people, keep the customer's email address."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError

from conversations.events import ArticleShown, Event, record
from conversations.gaps import HANDOVER_REASONS_FOR_GAPS, GapRecorder
from conversations.people import HandoffRequest, People
from conversations.replies import BotMessage
from conversations.states import Status
from conversations.store import ConversationStore
from conversations.transcript import first_customer_question
from core.choices import is_pick
from core.clock import Clock, iso
from core.contact import deliverable, find_email
from core.db import Storage
from core.language import detect


class Chat:
    def __init__(
        self, *, storage: Storage, clock: Clock, people: People, gaps: GapRecorder | None
    ) -> None:
        self.storage = storage
        self.store = ConversationStore(storage)
        self.clock = clock
        self.people = people
        self.gaps = gaps

    def now(self) -> str:
        return iso(self.clock.now())

    def say(
        self,
        conversation_id: str,
        message: BotMessage,
        *,
        reply_to: int | None,
        sender: str = "bot",
    ) -> dict[str, Any]:
        stored, _ = self.store.add_message(
            conversation_id,
            sender=sender,
            text=message.text,
            buttons=message.buttons,
            article_id=message.article_id,
            reply_to=reply_to,
            at=self.now(),
        )
        if message.article_id:
            self.record(
                conversation_id,
                ArticleShown(
                    message.article_id,
                    message.meta.get("title"),
                    message.meta.get("score"),
                    message.meta.get("skill"),
                ),
            )
        return stored

    @staticmethod
    def language_of(text: str) -> str | None:
        """The language a customer's typed message holds the conversation in from now on, when
        it is decided surely in a language Cascade speaks: the first such message sets it, and
        a customer who changes language is answered in the new one. Short or unsure messages
        ("ok", "no") and buttons decide none (None)."""
        found = detect(text)
        return found.language if found.read and found.sure and found.language else None

    def record(self, conversation_id: str, event: Event) -> None:
        with self.storage.write() as db:
            record(db, conversation_id, event, at=self.now())

    def gap(self, conversation_id: str, question: str | None, reason: str) -> None:
        """A question the bot could not answer, for editors' content-gap report. A pick from a
        list ("the second one", "option 4") is no question an article answers: the first one
        the customer typed stands for it, or no gap is kept."""
        if self.gaps is None:
            return
        if not question or is_pick(question):
            question = first_customer_question(self.store.messages(conversation_id))
        if question and not is_pick(question):
            self.gaps.record(question, conversation_id=conversation_id, reason=reason)

    def hand_over(
        self, conversation_id: str, request: HandoffRequest, *, route: bool = True
    ) -> None:
        """To people; a hand-over for want of a good answer is a content gap too."""
        if request.reason in HANDOVER_REASONS_FOR_GAPS:
            self.gap(conversation_id, request.question, request.reason)
        self.people.hand_over(conversation_id, request, route=route)

    def email_instead(self, conversation_id: str, request: HandoffRequest | None = None) -> str:
        """The customer would rather be emailed than chat: a ticket, at once."""
        if self.store.get(conversation_id)["status"] == Status.BOT.value:
            self.hand_over(
                conversation_id,
                request or HandoffRequest(reason="customer_chose_email"),
                route=False,
            )
        return self.people.email_instead(conversation_id)

    def file_paused(self, conversation_id: str, request: HandoffRequest) -> str:
        """A hand-over the bot paused to ask for an address, left unfinished (the customer went
        quiet in the middle): a ticket now, carrying what they asked, rather than nothing.
        Filed at once, not queued: a customer gone this long cannot chat with whoever is on."""
        self.hand_over(conversation_id, request, route=False)
        return self.people.email_instead(conversation_id, reason="nobody_online")

    def set_email(self, conversation_id: str, email: str) -> bool:
        """Keep the customer's address if the text holds one ("my email is …" too; checked
        again here: never trust a bot)."""
        valid = find_email(email)
        if valid is None:
            return False
        with self.storage.write() as db:
            db.table("conversations").update(
                conversation_id, {"customer_email": valid, "awaiting": None}
            )
        return True


def email_address(text: str) -> str | None:
    """The address in its normal form, or None if `text` is not one."""
    try:
        return deliverable(text)
    except EmailNotValidError:
        return None
