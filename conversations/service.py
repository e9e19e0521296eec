"""A conversation's turns: store the customer's message first, then route it to its owner.

While the status is `bot` the message goes to Rasa; any other status means a person owns the
conversation and Rasa never sees it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email

from conversations.errors import NotAssigned
from conversations.events import ArticleShown, Event, FeedbackGiven, HandedOver, record
from conversations.replies import BotMessage, parse_replies
from conversations.states import Status, transition
from conversations.store import ConversationStore
from conversations.transcript import EmailOff, NoEmailAddress, as_text
from conversations.triggers import frustration
from core.auth import Role, TokenStore
from core.clock import Clock, iso
from core.db import Storage
from handoff.desk import Desk
from handoff.package import HandoffRequest, build_package, first_customer_question
from handoff.queue import Queue, queue_rank
from handoff.tickets import Notifier, TicketStore
from knowledge_base.gaps import GapLog

log = logging.getLogger(__name__)

BOT_DOWN_TEXT = (
    "Our assistant is not available right now, so I've passed your message to our team. "
    "Someone will reply here as soon as possible."
)
FRUSTRATION_TEXT = (
    "I'm sorry this has been frustrating. I'm bringing in a member of our team now; "
    "they'll see everything we've talked about."
)


CSAT_THANKS = "Thank you for your feedback!"
GAP_REASONS = frozenset(
    {"no_answer", "low_nlu_confidence", "clarification_declined", "unhelpful_answers"}
)
EMAIL_INSTEAD = "/email_me"
ASK_EMAIL = "What email address should we reply to?"
EMAIL_OFF = "this server does not send email (no SMTP server is configured)"


def waiting_text(place: dict[str, Any]) -> str:
    wait = place["estimated_wait_s"]
    if wait is None:
        when = "We'll connect you as soon as someone is free."
    elif wait < 60:
        when = "Someone should be with you in a moment."
    else:
        when = f"The wait is about {round(wait / 60)} minute{'s' if wait >= 90 else ''}."
    return f"You're number {place['position']} in line. {when}"


_CSAT = re.compile(r'^/csat\{"score":\s*([1-5])\}$')


def csat_score(text: str) -> int | None:
    """The score in a rating button's payload (`/csat{"score": 4}`), if this is one."""
    match = _CSAT.match(text.strip())
    return int(match.group(1)) if match else None


class Bot(Protocol):
    """The bot tier as this service sees it (Rasa's client is one, wired by the app).

    `send` raises `ConnectionError` when the bot cannot be reached."""

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]: ...

    async def is_up(self) -> bool: ...


@dataclass(frozen=True)
class Turn:
    status: str
    messages: list[dict[str, Any]]


class ConversationService:
    def __init__(
        self,
        *,
        storage: Storage,
        bot: Bot,
        tokens: TokenStore,
        clock: Clock,
        welcome: str,
        queue: Queue,
        desk: Desk,
        tickets: TicketStore,
        gaps: GapLog | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.notifier = notifier
        self.queue = queue
        self.tickets = tickets
        self.gaps = gaps
        self.desk = desk
        self.storage = storage
        self.store = ConversationStore(storage)
        self.bot = bot
        self.tokens = tokens
        self.clock = clock
        self.welcome = welcome

    def _now(self) -> str:
        return iso(self.clock.now())

    # -- reading ------------------------------------------------------------------------------

    def view(self, conversation_id: str) -> dict[str, Any]:
        row = self.store.get(conversation_id)
        view: dict[str, Any] = {
            "id": row["id"],
            "status": row["status"],
            "customer": {"name": row["customer_name"], "email": row["customer_email"]},
            "page_url": row["page_url"],
            "priority": row["priority"],
            "created_at": row["created_at"],
            "messages": self.store.messages(conversation_id),
        }
        if row["handoff"]:
            view["handoff"] = json.loads(row["handoff"])
        if row["status"] == Status.QUEUED.value:
            view["queue"] = self.queue.position(conversation_id)
        if row["assigned_agent_id"]:
            agent = self.storage.db.execute(
                "select name from agents where id = ?", [row["assigned_agent_id"]]
            ).fetchone()
            view["assigned_agent"] = {
                "id": row["assigned_agent_id"],
                "name": agent[0] if agent else None,
            }
        if row["csat_score"] is not None:
            view["csat"] = {"score": row["csat_score"], "comment": row["csat_comment"]}
        if row["ticket_id"]:
            view["ticket_id"] = row["ticket_id"]
        return view

    # -- customer side ------------------------------------------------------------------------

    def start(
        self, *, customer: dict[str, Any], page_url: str | None
    ) -> tuple[dict[str, Any], str]:
        now = self._now()
        conversation_id = self.store.create(customer=customer, page_url=page_url, at=now)
        token = self.tokens.issue(Role.CUSTOMER, conversation_id, at=now)
        self.store.add_message(conversation_id, sender="bot", text=self.welcome, at=now)
        return self.view(conversation_id), token

    async def customer_says(
        self, conversation_id: str, text: str, *, client_id: str | None
    ) -> Turn:
        conversation = self.store.get(conversation_id)
        duplicate = self.store.by_client_id(conversation_id, client_id)
        if duplicate is not None:
            return Turn(
                conversation["status"], [duplicate, *self.store.replies_to(duplicate["id"])]
            )
        status = Status(conversation["status"])
        shown_text, bot_text = self._button_press(conversation_id, text)
        message, is_new = self.store.add_message(
            conversation_id, sender="customer", text=shown_text, client_id=client_id, at=self._now()
        )
        if not is_new:  # the same client_id raced in concurrently and won
            return Turn(self.store.get(conversation_id)["status"], [message])

        rating = csat_score(bot_text)
        if rating is not None and status in (Status.RESOLVED, Status.TICKETED):
            self.desk.rate(conversation_id, rating, None)
            self._say(
                conversation_id, BotMessage(CSAT_THANKS), reply_to=message["id"], sender="system"
            )
            return Turn(status.value, self.store.since(message))

        if status is Status.QUEUED and self._queued_turn(conversation, message, bot_text):
            return Turn(self.store.get(conversation_id)["status"], self.store.since(message))
        if status is Status.TICKETED:
            ticket_id = self.tickets.customer_replied(conversation_id)
            if ticket_id and self.tickets.summary(ticket_id)["status"] == "closed":
                self._say(
                    conversation_id,
                    BotMessage(
                        f"Ticket {ticket_id} is closed, so no one will see this here. "
                        "If you still need help, please start a new chat."
                    ),
                    reply_to=message["id"],
                    sender="system",
                )
        if status in (Status.RESOLVED, Status.ABANDONED):
            transition(
                self.storage,
                conversation_id,
                Status.BOT,
                reason="customer_returned",
                at=self._now(),
                fields={"assigned_agent_id": None},
            )
            status = Status.BOT
        if status is Status.BOT:
            await self._bot_turn(conversation, message, bot_text)
        # Everything said after the customer's message: the bot's replies, and what a
        # hand-over led to (an agent joining, a ticket filed).
        return Turn(self.store.get(conversation_id)["status"], self.store.since(message))

    def _queued_turn(
        self, conversation: dict[str, Any], message: dict[str, Any], text: str
    ) -> bool:
        """While waiting: "email me instead", and the address it may need. True if handled."""
        conversation_id = conversation["id"]
        if text.strip() == EMAIL_INSTEAD:
            if conversation["customer_email"]:
                self.email_instead(conversation_id)
            else:
                with self.storage.write() as db:
                    db.table("conversations").update(conversation_id, {"awaiting": "email"})
                self._say(
                    conversation_id, BotMessage(ASK_EMAIL), reply_to=message["id"], sender="system"
                )
            return True
        if conversation["awaiting"] == "email":
            if self.set_email(conversation_id, text.strip()):
                self.email_instead(conversation_id)
            else:
                self._say(
                    conversation_id,
                    BotMessage("That doesn't look like an email address. Could you check it?"),
                    reply_to=message["id"],
                    sender="system",
                )
            return True
        return False

    def _button_press(self, conversation_id: str, text: str) -> tuple[str, str]:
        """A button's payload is shown in the transcript as the button's title."""
        if text.startswith("/"):
            last = self.store.last_bot_message(conversation_id)
            for button in (last or {}).get("buttons", []):
                if button["payload"] == text:
                    return button["title"], text
        return text, text

    async def _bot_turn(
        self, conversation: dict[str, Any], message: dict[str, Any], text: str
    ) -> list[dict[str, Any]]:
        conversation_id = conversation["id"]
        sign = frustration(text, self.store.customer_texts(conversation_id, before=message["id"]))
        if sign is not None:
            reply = self._say(conversation_id, BotMessage(FRUSTRATION_TEXT), reply_to=message["id"])
            self.hand_over(
                conversation_id,
                HandoffRequest(
                    reason="frustration",
                    priority="high",
                    sentiment="negative",
                    detail=f"Sign of frustration: {sign}.",
                ),
            )
            return [reply]
        try:
            raw = await self.bot.send(
                conversation_id,
                text,
                metadata={
                    "page_url": conversation["page_url"],
                    "customer_name": conversation["customer_name"],
                    # The bot asks for an email before a hand-over that would become a ticket.
                    "customer_email": self.store.get(conversation_id)["customer_email"],
                    "agents_available": self.queue.can_chat_now(),
                },
            )
        except ConnectionError as exc:
            log.warning("%s", exc)
            reply = self._say(
                conversation_id, BotMessage(BOT_DOWN_TEXT), reply_to=message["id"], sender="system"
            )
            self.hand_over(conversation_id, HandoffRequest(reason="bot_unavailable"))
            return [reply]

        if self.store.get(conversation_id)["status"] != Status.BOT.value:
            # Someone else took the chat while Rasa was thinking: its reply no longer applies.
            log.info("dropping Rasa's late reply to %s", conversation_id)
            return []
        turn = parse_replies(raw)
        produced = [self._say(conversation_id, m, reply_to=message["id"]) for m in turn.messages]
        for name, signal in turn.signals:
            if name == "feedback" and signal.get("article_id"):
                helpful = bool(signal.get("helpful"))
                self._record(conversation_id, FeedbackGiven(str(signal["article_id"]), helpful))
                if not helpful:
                    self._gap(conversation_id, signal.get("question"), "answer_unhelpful")
            elif name == "resolve":
                transition(
                    self.storage,
                    conversation_id,
                    Status.RESOLVED,
                    reason="bot_answered",
                    at=self._now(),
                )
            elif name == "contact":
                self.set_email(conversation_id, str(signal.get("email") or ""))
            elif name == "handoff":
                self.hand_over(conversation_id, HandoffRequest.from_signal(signal))
            elif name == "ticket":
                self.email_instead(conversation_id, HandoffRequest.from_signal(signal))
        return produced

    def set_email(self, conversation_id: str, email: str) -> bool:
        """Keep the customer's address if it is one (checked again here: never trust a bot)."""
        try:
            valid = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            return False
        with self.storage.write() as db:
            db.table("conversations").update(
                conversation_id, {"customer_email": valid, "awaiting": None}
            )
        return True

    def email_transcript(self, conversation_id: str, to: str | None = None) -> str:
        """Queue the whole chat as an email to `to`, or to the address the conversation has.

        A new address given here is kept on the conversation, as one typed into the chat is."""
        if self.notifier is None:
            raise EmailOff(EMAIL_OFF)
        if to is not None and not self.set_email(conversation_id, to):
            raise NoEmailAddress(f"{to!r} is not an email address")
        view = self.view(conversation_id)
        address = view["customer"]["email"]
        if not address:
            raise NoEmailAddress("give the email address to send the transcript to")
        agent = (view.get("assigned_agent") or {}).get("name")
        queued = self.notifier.enqueue_email(
            to=address,
            subject="Your chat transcript",
            body=as_text(view["messages"], agent_name=agent),
            topic="conversation.transcript",
        )
        if queued is None:
            raise EmailOff(EMAIL_OFF)
        return address

    def email_instead(self, conversation_id: str, request: HandoffRequest | None = None) -> str:
        """The customer would rather be emailed than chat: a ticket, at once."""
        if self.store.get(conversation_id)["status"] == Status.BOT.value:
            self.hand_over(
                conversation_id,
                request or HandoffRequest(reason="customer_chose_email"),
                route=False,
            )
        ticket_id = self.tickets.file(conversation_id, reason="customer_chose_email")
        self.queue.publish_conversation(conversation_id)
        self.queue.publish_positions()
        return ticket_id

    def _say(
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
            at=self._now(),
        )
        if message.article_id:
            self._record(
                conversation_id,
                ArticleShown(
                    message.article_id,
                    message.meta.get("title"),
                    message.meta.get("score"),
                    message.meta.get("skill"),
                ),
            )
        return stored

    def _gap(self, conversation_id: str, question: str | None, reason: str) -> None:
        """A question the bot could not answer, for editors' content-gap report."""
        if self.gaps is None:
            return
        if not question:
            question = first_customer_question(self.store.messages(conversation_id))
        if question:
            self.gaps.record(question, conversation_id=conversation_id, reason=reason)

    def _record(self, conversation_id: str, event: Event) -> None:
        with self.storage.write() as db:
            record(db, conversation_id, event, at=self._now())

    # -- agent side ---------------------------------------------------------------------------

    def agent_says(
        self, conversation_id: str, text: str, *, agent_id: str | None, client_id: str | None
    ) -> Turn:
        """A live agent's reply; `agent_id` None means an admin, who may reply to any chat a
        person owns."""
        conversation = self.store.get(conversation_id)
        status = Status(conversation["status"])
        owned = status is Status.ASSIGNED and conversation["assigned_agent_id"] == agent_id
        if not (owned or (agent_id is None and status in (Status.QUEUED, Status.ASSIGNED))):
            raise NotAssigned(conversation_id, status.value)
        message, _ = self.store.add_message(
            conversation_id, sender="agent", text=text, client_id=client_id, at=self._now()
        )
        return Turn(status.value, [message])

    # -- handing over -------------------------------------------------------------------------

    def hand_over(
        self, conversation_id: str, request: HandoffRequest, *, route: bool = True
    ) -> None:
        """Bot to queue, with the package a person needs to carry on."""
        conversation = self.store.get(conversation_id)
        attempts = request.attempts or self.store.knowledge_attempts(conversation_id)
        skill = request.skill
        if skill == "general" and attempts:
            skill = str(attempts[0].get("skill") or "general")
        if request.reason in GAP_REASONS:
            self._gap(conversation_id, request.question, request.reason)
        request = HandoffRequest(
            reason=request.reason,
            skill=skill,
            priority=request.priority,
            question=request.question,
            attempts=attempts,
            sentiment=request.sentiment,
            detail=request.detail,
        )
        now = self._now()
        package = build_package(
            request,
            customer={
                "name": conversation["customer_name"],
                "email": conversation["customer_email"],
            },
            page_url=conversation["page_url"],
            transcript=self.store.messages(conversation_id),
            at=now,
        )
        transition(
            self.storage,
            conversation_id,
            Status.QUEUED,
            reason=request.reason,
            at=now,
            also=(HandedOver(request.reason, request.skill, request.priority),),
            fields={
                "handoff": json.dumps(package),
                "skill": request.skill,
                "priority": request.priority,
                "queued_at": now,
                "queue_rank": queue_rank(request.priority),
            },
        )
        self.tickets.notifier.enqueue_webhook(
            topic="handoff.queued",
            payload={
                "conversation_id": conversation_id,
                **{k: v for k, v in package.items() if k != "transcript"},
            },
        )
        if not route:
            return
        self.queue.route()
        place = self.queue.position(conversation_id)
        if place is not None:  # still waiting: say where they stand, and offer email instead
            self.store.add_message(
                conversation_id,
                sender="system",
                text=waiting_text(place),
                buttons=[{"title": "Email me instead", "payload": EMAIL_INSTEAD}],
                at=self._now(),
            )
