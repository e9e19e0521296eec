"""The ticket tier: a conversation that leaves the queue (or an agent) becomes a ticket carrying
the whole chat, the handoff package and the agents' notes; then its life cycle, with the
customer kept informed (in the chat, by email, and by webhooks that let an external helpdesk
mirror it).

The status machine is `handoff.states`, the SLA clocks `handoff.ticket_sla` and their watch
`handoff.sla_checks`, and the customer's wording `handoff.ticket_words`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from conversations.events import (
    Event,
    TicketCreated,
    TicketFiled,
    TicketNoted,
    TicketReopened,
    TicketReplied,
    TicketUpdated,
)
from conversations.links import ChatLinks, NoLinks
from conversations.locks import for_update
from conversations.states import Status, transition
from conversations.store import ConversationStore
from conversations.view import Message
from core.clock import Clock, iso
from core.db import Storage
from core.language import DEFAULT
from core.realtime import DESK_ROOM
from handoff import states, ticket_pushes, ticket_words
from handoff.agents import agent_languages, agent_name
from handoff.errors import IllegalTicketMove, TicketNotFound
from handoff.offers import AfterCommit, NoPublisher, Publisher, withdraw_pending
from handoff.sla import BusinessCalendar
from handoff.sla_checks import check_slas
from handoff.states import TicketStatus
from handoff.ticket_sinks import NoNotifier, Notifier, TicketSink
from handoff.ticket_sla import Policy, SlaClock, SlaState, clock_instants, sla_view
from handoff.ticket_views import Ticket, TicketEvent, TicketNote, TicketSummary

__all__ = ["Policy", "TicketSink", "TicketStatus", "TicketStore"]  # as others import them


class TicketStore:
    def __init__(
        self,
        *,
        storage: Storage,
        clock: Clock,
        policy: Policy | None = None,
        notifier: Notifier | None = None,
        publisher: Publisher | None = None,
        links: ChatLinks | None = None,
    ) -> None:
        # Pushes made inside a transaction (a ticket's event, say) go out once it commits.
        self.publisher: Publisher = AfterCommit(publisher or NoPublisher(), storage)
        self.storage = storage
        self.clock = clock
        self.policy = policy or Policy(BusinessCalendar.parse("always"))
        self.notifier: Notifier = notifier or NoNotifier()
        self.conversations = ConversationStore(storage)
        self.links: ChatLinks = links or NoLinks()  # emails' links back to the chat

    # -- filing -------------------------------------------------------------------------------

    def file(
        self,
        conversation_id: str,
        *,
        reason: str,
        note: str | None = None,
        expect: Status = Status.QUEUED,
        owner: str | None = None,
    ) -> str:
        """File the ticket, move the conversation to `ticketed` and tell the customer, at once.

        The conversation must still be as the caller found it: waiting in the queue, or
        (`expect` assigned) with the agent `owner`; else `ConversationMoved`, and nothing is
        filed."""
        at = iso(now := self.clock.now())
        with self.storage.write() as db:
            conversation = self.conversations.get(conversation_id, lock=True)
            number = (db.execute("select max(number) from tickets").fetchone()[0] or 1000) + 1
            ticket_id = f"T-{number}"
            notes = [
                {"agent_id": n["agent_id"], "text": n["text"], "created_at": n["created_at"]}
                for n in db.query(
                    "select * from notes where conversation_id = ? order by id", [conversation_id]
                )
            ]
            if note:
                notes.append({"agent_id": owner, "text": note, "created_at": at})  # who escalated
            email, language = conversation["customer_email"], conversation["language"]
            mails = self.notifier.sends_email
            filed = ticket_words.filed_text(
                ticket_id, reason=reason, email=email, mails=mails, language=language
            )
            self.conversations.add_message(conversation_id, sender="system", text=filed, at=at)
            priority = conversation["priority"] or "normal"
            first_due, resolution_due = self.policy.due_dates(now, priority)
            db.table("tickets").insert(
                {
                    "id": ticket_id,
                    "number": number,
                    "conversation_id": conversation_id,
                    "status": TicketStatus.NEW.value,
                    "priority": priority,
                    "skill": conversation["skill"] or "general",
                    "reason": reason,
                    "customer_email": email,
                    "transcript": json.dumps(self.conversations.messages(conversation_id)),
                    "handoff": conversation["handoff"],
                    "notes": json.dumps(notes),
                    "first_response_due": iso(first_due),
                    "resolution_due": iso(resolution_due),
                    "sla_state": json.dumps({}),
                    "created_at": at,
                    "updated_at": at,
                }
            )
            self._log(db, ticket_id, TicketCreated(reason), at)
            withdraw_pending(db, self.publisher, conversation_id, at=at)
            transition(
                self.storage,
                conversation_id,
                Status.TICKETED,
                expect=expect,
                owner=owner,
                reason=reason,
                at=at,
                also=(TicketFiled(ticket_id, reason),),
                fields={"ticket_id": ticket_id},
            )
            if email:
                link = self.links.to(conversation_id)
                mail = ticket_words.filed_email(ticket_id, conversation, link=link)
                self.notifier.enqueue_email(
                    to=email, subject=mail.subject, body=mail.body, topic="ticket.created"
                )
            self.notifier.enqueue_webhook(
                topic="ticket.created", payload=self.summary(ticket_id).model_dump()
            )
        return ticket_id

    # -- reading ------------------------------------------------------------------------------

    def _row(self, ticket_id: str, *, lock: bool = False) -> dict[str, Any]:
        """The ticket's row; `lock`: read to decide a change on it, held until that commits."""
        db = self.storage.db
        sql = "select * from tickets where id = ?" + (for_update(db) if lock else "")
        for row in db.query(sql, [ticket_id]):
            return row
        raise TicketNotFound(ticket_id)

    def status(self, ticket_id: str) -> str | None:
        found = self.storage.db.execute("select status from tickets where id = ?", [ticket_id])
        return next(iter(found.fetchone() or []), None)

    def sla(self, row: dict[str, Any]) -> dict[str, SlaState]:
        return sla_view(row, self.policy.calendar, self.clock.now())

    def clocks(self, ticket_id: str) -> dict[str, SlaClock]:
        """Each SLA clock's instants (`handoff.ticket_sla.clock_instants`)."""
        return clock_instants(self._row(ticket_id), self.policy.calendar, self.clock.now())

    def summary(self, ticket_id: str) -> TicketSummary:
        """What lists, webhooks and the CLI show: the ticket without its contents."""
        return self._summaries([self._row(ticket_id)])[0]

    def _summaries(self, rows: list[dict[str, Any]]) -> list[TicketSummary]:
        opening = self.conversations.openings({row["conversation_id"] for row in rows})
        return [
            TicketSummary.of(row, sla=self.sla(row), opening=opening[row["conversation_id"]])
            for row in rows
        ]

    def get(self, ticket_id: str) -> Ticket:
        """The whole ticket: the summary plus the transcript (always the whole chat, including
        what the customer wrote after filing), the handoff package, notes and events."""
        row = self._row(ticket_id)
        messages = self.conversations.messages(row["conversation_id"])
        return Ticket(
            **dict(self._summaries([row])[0]),
            transcript=[Message.model_validate(m) for m in messages],
            handoff=json.loads(row["handoff"]) if row["handoff"] else None,
            notes=json.loads(row["notes"]),
            events=self.events(ticket_id),
            emailed=bool(row["customer_email"]) and self.notifier.sends_email,
        )

    def events(self, ticket_id: str) -> list[TicketEvent]:
        return [
            TicketEvent(name=r["name"], data=json.loads(r["data"]), created_at=r["created_at"])
            for r in self.storage.db.query(
                "select * from ticket_events where ticket_id = ? order by id", [ticket_id]
            )
        ]

    def find(
        self,
        *,
        status: str | list[str] | None = None,
        priority: str | None = None,
        skill: str | None = None,
        assignee: str | None = None,
        before: int | None = None,
        limit: int = 100,
        visible_to: str | None = None,
    ) -> list[TicketSummary]:
        """`before`: a ticket's number, for the page after the one that ended with it;
        `visible_to`: an agent's id, for only theirs and the unassigned ones in a language they
        chat in (an English-only agent's inbox holds no Japanese ticket nobody has taken; one
        they are given is theirs whatever its language)."""
        where: list[str] = []
        params: list[str | int] = []
        if visible_to is not None:
            speaks = agent_languages(self.storage.db, visible_to)
            where.append(
                "(assignee_agent_id = ? or (assignee_agent_id is null and coalesce((select"
                " c.language from conversations c where c.id = tickets.conversation_id), ?)"
                f" in ({', '.join('?' * len(speaks))})))"
            )
            params += [visible_to, DEFAULT, *speaks]
        statuses = [status] if isinstance(status, str) else status or []
        if statuses:
            where.append(f"status in ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        for condition, value in (
            ("priority = ?", priority),
            ("skill = ?", skill),
            ("assignee_agent_id = ?", assignee),
            ("number < ?", before),
        ):
            if value is not None:
                where.append(condition)
                params.append(value)
        sql = "select * from tickets" + (" where " + " and ".join(where) if where else "")
        return self._summaries(
            list(self.storage.db.query(sql + " order by number desc limit ?", [*params, limit]))
        )

    def for_conversation(self, conversation_id: str) -> str | None:
        row = self.storage.db.execute(
            "select id from tickets where conversation_id = ? order by number desc limit 1",
            [conversation_id],
        ).fetchone()
        return row[0] if row else None

    # -- the life cycle -----------------------------------------------------------------------

    def _log(self, db: Any, ticket_id: str, event: Event, at: str) -> None:
        states.record(db, ticket_id, event, at=at)
        self._announce(ticket_id, event)

    def _announce(self, ticket_id: str, event: Event) -> None:
        # Every ticket change passes here: agents' and ops' inboxes hear of it at once.
        ticket_pushes.to_desk(self.publisher, ticket_id, event.name)

    def _change(self, ticket_id: str, fields: dict[str, Any], event: Event, at: str) -> None:
        """Change a ticket's columns (its status, if any, through `states.transition`)."""
        if "status" in fields:
            others = {k: v for k, v in fields.items() if k != "status"}
            target = TicketStatus(fields["status"])
            states.transition(self.storage, ticket_id, target, at=at, event=event, fields=others)
            self._announce(ticket_id, event)
            ticket_pushes.to_customer(self.publisher, self.storage.db, ticket_id)
            return
        with self.storage.write() as db:
            db.table("tickets").update(ticket_id, {**fields, "updated_at": at})
            self._log(db, ticket_id, event, at)

    def update(
        self,
        ticket_id: str,
        *,
        actor: str | None,
        status: str | None = None,
        assignee_agent_id: str | None = None,
        priority: str | None = None,
        skill: str | None = None,
    ) -> TicketSummary:
        """Change status (life cycle checked), assignee ("": none), priority or skill group."""
        at = iso(self.clock.now())
        with self.storage.write():
            row = self._row(ticket_id, lock=True)
            changes: dict[str, Any] = {}
            if status is not None and status != row["status"]:
                changes["status"] = status
                if status == TicketStatus.SOLVED:
                    changes["solved_at"] = at
            for column, value in (
                ("assignee_agent_id", assignee_agent_id),
                ("priority", priority),
                ("skill", skill),
            ):
                if value is not None and (value or None) != row[column]:
                    changes[column] = value or None
            if not changes:
                return self.summary(ticket_id)
            dues = {}
            if "priority" in changes:  # the SLA targets of the new priority, from the filing
                filed = datetime.fromisoformat(row["created_at"])
                first, resolution = self.policy.due_dates(filed, changes["priority"])
                dues = {"first_response_due": iso(first), "resolution_due": iso(resolution)}
            self._change(ticket_id, {**changes, **dues}, TicketUpdated(actor, changes), at)
            solved = changes.get("status") == TicketStatus.SOLVED
            if solved:
                ticket_words.tell_solved(self.conversations, self.notifier, row, at, self.links)
            self.notifier.enqueue_webhook(
                topic="ticket.solved" if solved else "ticket.updated",
                payload=self.summary(ticket_id).model_dump(),
            )
        return self.summary(ticket_id)

    def add_note(self, ticket_id: str, *, agent_id: str | None, text: str) -> TicketNote:
        """An internal note: agents see it, the customer never does."""
        at = iso(self.clock.now())
        with self.storage.write():
            row = self._row(ticket_id, lock=True)
            notes = json.loads(row["notes"])
            note = {"agent_id": agent_id, "text": text, "created_at": at}
            notes.append(note)
            self._change(ticket_id, {"notes": json.dumps(notes)}, TicketNoted(agent_id), at)
        return TicketNote.model_validate(note)

    def reply(self, ticket_id: str, *, agent_id: str | None, text: str) -> Message:
        """A public reply: it reaches the customer in the chat and by email, and counts as the
        first response. The ticket then waits on the customer (pending); an unassigned one is
        the replying agent's from then on (the customer's answer comes back to them)."""
        at = iso(self.clock.now())
        with self.storage.write():
            row = self._row(ticket_id, lock=True)
            if row["status"] == TicketStatus.CLOSED:
                raise IllegalTicketMove(row["status"], "replied to")
            author = agent_name(self.storage.db, agent_id)
            said, _ = self.conversations.add_message(
                row["conversation_id"], sender="agent", text=text, at=at, author=author
            )
            changes: dict[str, Any] = {}
            if agent_id and not row["assignee_agent_id"]:
                changes["assignee_agent_id"] = agent_id
            if not row["first_responded_at"]:
                changes["first_responded_at"] = at
            if row["status"] in (TicketStatus.NEW, TicketStatus.OPEN):
                changes["status"] = TicketStatus.PENDING
            self._change(ticket_id, changes, TicketReplied(agent_id), at)
            if row["customer_email"]:
                ticket_words.email_reply(self.conversations, self.notifier, row, said, self.links)
            self.notifier.enqueue_webhook(
                topic="ticket.updated", payload=self.summary(ticket_id).model_dump()
            )
        return Message.model_validate(said)

    def customer_replied(self, conversation_id: str, *, address: str | None) -> str | None:
        """The customer wrote in a ticketed chat: a pending or solved ticket opens again; an
        `address` they gave in it becomes the ticket's."""
        ticket_id = self.for_conversation(conversation_id)
        if ticket_id is None:
            return None
        at = iso(self.clock.now())
        with self.storage.write():
            row = self._row(ticket_id, lock=True)
            given = bool(address) and address != row["customer_email"]
            if given:
                changes = {"customer_email": address}
                self._change(ticket_id, changes, TicketUpdated("customer", changes), at)
            reopens = row["status"] in (TicketStatus.PENDING, TicketStatus.SOLVED)
            if reopens:
                self._change(
                    ticket_id,
                    {"status": TicketStatus.OPEN, "solved_at": None},
                    TicketReopened(by="customer"),
                    at,
                )
            if given or reopens:
                self.notifier.enqueue_webhook(
                    topic="ticket.updated", payload=self.summary(ticket_id).model_dump()
                )
        if not (given or reopens):  # no change announced it: a console showing it hears of it
            self.publisher.publish(
                DESK_ROOM, "ticket", {"ticket_id": ticket_id, "event": "message"}
            )
        return ticket_id

    # -- SLA watch ----------------------------------------------------------------------------

    def check_slas(self) -> list[tuple[str, str, str]]:
        """Record each warning (at 75 % of a target) and breach once, for open tickets and for
        chats waiting in the queue. Returns the new (ticket or conversation id, metric, state)."""
        return check_slas(
            self.storage,
            self.conversations,
            policy=self.policy,
            now=self.clock.now(),
            log=self._log,
        )
