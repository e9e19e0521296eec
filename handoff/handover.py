"""The hand-over from the bot to people, and what else a conversation asks of this tier: the
customer's place in the queue, "email me instead", the rating of a finished chat, a reply on a
ticketed chat. This is `conversations.people.People`, wired into the conversation by the app."""

from __future__ import annotations

import json

from conversations.events import HandedOver
from conversations.people import EMAIL_INSTEAD, HandoffRequest, Place, TicketState
from conversations.states import Status, transition
from conversations.store import ConversationStore
from core.clock import Clock, iso
from core.db import Storage
from core.language import DEFAULT
from core.words import say
from handoff import ticket_words
from handoff.agents import agent_name
from handoff.desk import Desk
from handoff.package import build_package
from handoff.queue import Queue, queue_rank
from handoff.tickets import TicketStatus, TicketStore


def waiting_text(place: Place, *, language: str | None) -> str:
    wait = place.estimated_wait_s
    if wait is None:
        when = say(language, "chat.wait_unknown")
    elif wait < 60:
        when = say(language, "chat.wait_soon")
    else:
        minutes = round(wait / 60)
        key = "chat.wait_minutes" if wait >= 90 else "chat.wait_one_minute"
        when = say(language, key, minutes=minutes)
    return say(language, "chat.queue_place", position=place.position, when=when)


class Handover:
    def __init__(
        self, *, storage: Storage, clock: Clock, queue: Queue, desk: Desk, tickets: TicketStore
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.queue = queue
        self.desk = desk
        self.tickets = tickets
        self.store = ConversationStore(storage)

    def hand_over(
        self, conversation_id: str, request: HandoffRequest, *, route: bool = True
    ) -> None:
        """Bot to queue, with the package a person needs to carry on."""
        conversation = self.store.get(conversation_id)
        attempts = (
            request.attempts
            or self.store.knowledge_attempts(conversation_id, request.question)
            or self.store.offered_choices(conversation_id)
        )
        skill = request.skill
        # With no skill said, the article the bot last tried in vain for this matter tells.
        unhelped = [a for a in attempts if a.get("helpful") is not True]
        if skill == "general" and unhelped:
            skill = str(unhelped[-1].get("skill") or "general")
        request = HandoffRequest(
            reason=request.reason,
            skill=skill,
            priority=request.priority,
            question=request.question,
            attempts=attempts,
            sentiment=request.sentiment,
            detail=request.detail,
        )
        now = iso(self.clock.now())
        package = build_package(
            request,
            customer={
                "name": conversation["customer_name"],
                "email": conversation["customer_email"],
            },
            page_url=conversation["page_url"],
            transcript=self.store.messages(conversation_id),
            language=conversation["language"] or DEFAULT,
            at=now,
        )
        # The move and the webhook announcing it in one transaction: neither without the other.
        with self.storage.write():
            transition(
                self.storage,
                conversation_id,
                Status.QUEUED,
                expect=Status.BOT,
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
            language = self.store.language(conversation_id)
            email = {"title": say(language, "chat.email_instead"), "payload": EMAIL_INSTEAD}
            self.store.add_message(
                conversation_id,
                sender="system",
                text=waiting_text(place, language=language),
                buttons=[email] if self.sends_email() else None,
                at=iso(self.clock.now()),
            )

    def email_instead(self, conversation_id: str, *, reason: str = "customer_chose_email") -> str:
        ticket_id = self.tickets.file(conversation_id, reason=reason)
        self.queue.publish_conversation(conversation_id)
        self.queue.publish_positions()
        return ticket_id

    def sends_email(self) -> bool:
        return self.tickets.notifier.sends_email

    def place_in_queue(self, conversation_id: str) -> Place | None:
        return self.queue.position(conversation_id)

    def agent_name(self, agent_id: str) -> str | None:
        return agent_name(self.storage.db, agent_id)

    def ticket_status(self, ticket_id: str) -> str | None:
        return self.tickets.status(ticket_id)

    def rate(self, conversation_id: str, score: int, comment: str | None) -> None:
        self.desk.rate(conversation_id, score, comment)

    def customer_wrote_on_ticket(
        self, conversation_id: str, *, address: str | None = None
    ) -> TicketState | None:
        ticket_id = self.tickets.customer_replied(conversation_id, address=address)
        if ticket_id is None:
            return None
        ticket = self.tickets.summary(ticket_id)
        closed = ticket.status == TicketStatus.CLOSED
        told = ticket_words.on_ticket_text(
            ticket_id,
            closed=closed,
            email=ticket.customer_email,
            mails=self.tickets.notifier.sends_email,
            language=ticket.language,
        )
        return TicketState(ticket_id, closed=closed, told=told)

    def can_chat_now(self, language: str = DEFAULT) -> bool:
        return self.queue.can_chat_now(language)

    def expand_canned(self, shortcut: str, conversation_id: str) -> str:
        return self.desk.expand_canned(shortcut, conversation_id)

    def agent_has_chat(self, conversation_id: str, agent_id: str) -> bool:
        return self.queue.has_chat(conversation_id, agent_id)
