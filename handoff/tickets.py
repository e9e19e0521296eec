"""The ticket tier: a conversation that leaves the queue (or an agent) becomes a ticket carrying
the whole chat, the handoff package and the agents' notes; then its lifecycle, SLA clocks in
business hours, and the customer kept informed (in the chat, by email, and by webhooks that let
an external helpdesk mirror it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from conversations.events import TicketFiled
from conversations.states import Status, transition
from conversations.store import ConversationStore
from core.clock import Clock, iso
from core.db import Storage
from core.realtime import DESK_ROOM
from handoff.errors import HandoffError
from handoff.offers import NoPublisher, Publisher, withdraw_pending
from handoff.sla import WARNING_SHARE, BusinessCalendar, Target

REASON_TEXT = {
    "max_wait": "Everyone on our team is busy right now",
    "nobody_online": "No one from our team is available right now",
    "outside_hours": "Our team is away until business hours",
    "agent_escalated": "Our team needs a little more time on this",
    "customer_chose_email": "As you asked",
}


class TicketStatus:
    NEW, OPEN, PENDING, SOLVED, CLOSED = "new", "open", "pending", "solved", "closed"


TICKET_MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "pending", "solved", "closed"}),
    "open": frozenset({"pending", "solved", "closed"}),
    "pending": frozenset({"open", "solved", "closed"}),  # pending: waiting on the customer
    "solved": frozenset({"open", "closed"}),  # a customer reply reopens
    "closed": frozenset(),
}
CSAT_BUTTONS = [{"title": str(n), "payload": f'/csat{{"score": {n}}}'} for n in range(1, 6)]


class TicketError(HandoffError):
    pass


class TicketNotFound(TicketError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no ticket with id {ticket_id!r}")


class IllegalTicketMove(TicketError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a ticket that is '{current}' cannot become '{target}'")


class TicketSink(Protocol):
    def file(self, conversation_id: str, *, reason: str, note: str | None = None) -> str: ...


class Notifier(Protocol):
    """The outbox, seen from here: email to customers and signed webhooks."""

    def enqueue_email(self, *, to: str, subject: str, body: str, topic: str) -> int | None: ...

    def enqueue_webhook(self, *, topic: str, payload: dict[str, Any]) -> list[int]: ...


class NoNotifier:
    def enqueue_email(self, *, to: str, subject: str, body: str, topic: str) -> int | None:
        return None

    def enqueue_webhook(self, *, topic: str, payload: dict[str, Any]) -> list[int]:
        return []


@dataclass(frozen=True)
class Policy:
    calendar: BusinessCalendar
    first_response_min: dict[str, int] = field(default_factory=dict)
    resolution_min: dict[str, int] = field(default_factory=dict)
    queue_wait_s: float = 300.0

    def minutes(self, table: dict[str, int], priority: str) -> int:
        return table.get(priority) or table.get("normal") or 1440


class TicketStore:
    def __init__(
        self,
        *,
        storage: Storage,
        clock: Clock,
        policy: Policy | None = None,
        notifier: Notifier | None = None,
        publisher: Publisher | None = None,
    ) -> None:
        self.publisher: Publisher = publisher or NoPublisher()
        self.storage = storage
        self.clock = clock
        self.policy = policy or Policy(BusinessCalendar.parse("always"))
        self.notifier: Notifier = notifier or NoNotifier()
        self.conversations = ConversationStore(storage)

    # -- filing -------------------------------------------------------------------------------

    def file(self, conversation_id: str, *, reason: str, note: str | None = None) -> str:
        """File the ticket, move the conversation to `ticketed` and tell the customer, at once."""
        now = self.clock.now()
        at = iso(now)
        with self.storage.write() as db:
            conversation = self.conversations.get(conversation_id)
            number = (db.execute("select max(number) from tickets").fetchone()[0] or 1000) + 1
            ticket_id = f"T-{number}"
            notes = [
                {"agent_id": n["agent_id"], "text": n["text"], "created_at": n["created_at"]}
                for n in db.query(
                    "select * from notes where conversation_id = ? order by id", [conversation_id]
                )
            ]
            if note:
                notes.append({"agent_id": None, "text": note, "created_at": at})
            email = conversation["customer_email"]
            follow_up = (
                f"We'll reply by email to {email}."
                if email
                else "Keep this number; you can check on it in this chat."
            )
            self.conversations.add_message(
                conversation_id,
                sender="system",
                text=f"{REASON_TEXT.get(reason, 'We need a little more time')}, so we've filed "
                f"ticket {ticket_id} with everything you've told us. {follow_up}",
                at=at,
            )
            priority = conversation["priority"] or "normal"
            calendar = self.policy.calendar
            first_s = 60 * self.policy.minutes(self.policy.first_response_min, priority)
            resolve_s = 60 * self.policy.minutes(self.policy.resolution_min, priority)
            db.table("tickets").insert(
                {
                    "id": ticket_id,
                    "number": number,
                    "conversation_id": conversation_id,
                    "status": TicketStatus.NEW,
                    "priority": priority,
                    "skill": conversation["skill"] or "general",
                    "reason": reason,
                    "customer_email": email,
                    "transcript": json.dumps(self.conversations.messages(conversation_id)),
                    "handoff": conversation["handoff"],
                    "notes": json.dumps(notes),
                    "first_response_due": iso(calendar.add(now, first_s)),
                    "resolution_due": iso(calendar.add(now, resolve_s)),
                    "sla_state": json.dumps({}),
                    "created_at": at,
                    "updated_at": at,
                }
            )
            self._event(db, ticket_id, "ticket.created", {"reason": reason}, at)
            withdraw_pending(db, self.publisher, conversation_id, at=at)
            transition(
                self.storage,
                conversation_id,
                Status.TICKETED,
                reason=reason,
                at=at,
                also=(TicketFiled(ticket_id, reason),),
                fields={"ticket_id": ticket_id},
            )
            if email:
                self.notifier.enqueue_email(
                    to=email,
                    subject=f"[{ticket_id}] We've received your request",
                    body=f"Hello {conversation['customer_name'] or ''},\n\nWe've filed ticket "
                    f"{ticket_id} with everything you told us in the chat. We'll reply to this "
                    "address.\n",
                    topic="ticket.created",
                )
            self.notifier.enqueue_webhook(topic="ticket.created", payload=self.summary(ticket_id))
        return ticket_id

    # -- reading ------------------------------------------------------------------------------

    def _row(self, ticket_id: str) -> dict[str, Any]:
        rows = list(self.storage.db.query("select * from tickets where id = ?", [ticket_id]))
        if not rows:
            raise TicketNotFound(ticket_id)
        return rows[0]

    def targets(self, row: dict[str, Any]) -> list[Target]:
        created = datetime.fromisoformat(row["created_at"])
        first_due = datetime.fromisoformat(row["first_response_due"])
        resolve_due = datetime.fromisoformat(row["resolution_due"])
        calendar = self.policy.calendar
        return [
            Target(
                "first_response",
                created,
                first_due,
                calendar.elapsed(created, first_due),
                datetime.fromisoformat(row["first_responded_at"])
                if row["first_responded_at"]
                else None,
            ),
            Target(
                "resolution",
                created,
                resolve_due,
                calendar.elapsed(created, resolve_due),
                datetime.fromisoformat(row["solved_at"]) if row["solved_at"] else None,
            ),
        ]

    def sla(self, row: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        return {t.metric: t.view(now, self.policy.calendar) for t in self.targets(row)}

    def clocks(self, ticket_id: str) -> dict[str, Any]:
        """Each SLA clock's instants: started, warning (75 % of the target in business time),
        due, and met. A console can change colour at those moments without asking again."""
        row = self._row(ticket_id)
        now = self.clock.now()
        calendar = self.policy.calendar
        return {
            t.metric: {
                "started": iso(t.started),
                "warning_at": iso(calendar.add(t.started, WARNING_SHARE * t.target_s)),
                "due": iso(t.due),
                "met_at": iso(t.met_at) if t.met_at else None,
                "state": t.state(now, calendar),
            }
            for t in self.targets(row)
        }

    def summary(self, ticket_id: str) -> dict[str, Any]:
        """What lists, webhooks and the CLI show: the ticket without its contents."""
        row = self._row(ticket_id)
        keep = ("id", "status", "priority", "skill", "reason", "assignee_agent_id")
        return {
            **{key: row[key] for key in keep},
            "conversation_id": row["conversation_id"],
            "customer_email": row["customer_email"],
            "sla": self.sla(row),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }

    def get(self, ticket_id: str) -> dict[str, Any]:
        """The whole ticket: the summary plus the transcript (always the whole chat, including
        what the customer wrote after filing), the handoff package, notes and events."""
        row = self._row(ticket_id)
        return {
            **self.summary(ticket_id),
            "transcript": self.conversations.messages(row["conversation_id"]),
            "handoff": json.loads(row["handoff"]) if row["handoff"] else None,
            "notes": json.loads(row["notes"]),
            "events": self.events(ticket_id),
        }

    def events(self, ticket_id: str) -> list[dict[str, Any]]:
        return [
            {"name": r["name"], "data": json.loads(r["data"]), "created_at": r["created_at"]}
            for r in self.storage.db.query(
                "select * from ticket_events where ticket_id = ? order by id", [ticket_id]
            )
        ]

    def find(
        self,
        *,
        status: str | None = None,
        priority: str | None = None,
        skill: str | None = None,
        assignee: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        where, params = [], []
        for column, value in (
            ("status", status),
            ("priority", priority),
            ("skill", skill),
            ("assignee_agent_id", assignee),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "select id from tickets" + (" where " + " and ".join(where) if where else "")
        rows = self.storage.db.execute(sql + " order by number desc limit ?", [*params, limit])
        return [self.summary(ticket_id) for (ticket_id,) in rows.fetchall()]

    def for_conversation(self, conversation_id: str) -> str | None:
        row = self.storage.db.execute(
            "select id from tickets where conversation_id = ? order by number desc limit 1",
            [conversation_id],
        ).fetchone()
        return row[0] if row else None

    # -- the lifecycle ------------------------------------------------------------------------

    def _event(self, db: Any, ticket_id: str, name: str, data: dict[str, Any], at: str) -> None:
        db.table("ticket_events").insert(
            {"ticket_id": ticket_id, "name": name, "data": json.dumps(data), "created_at": at}
        )
        # Every ticket change passes here: agents' and ops' inboxes hear of it at once.
        self.publisher.publish(DESK_ROOM, "ticket", {"ticket_id": ticket_id, "event": name})

    def update(
        self,
        ticket_id: str,
        *,
        actor: str | None,
        status: str | None = None,
        assignee_agent_id: str | None = None,
        priority: str | None = None,
        skill: str | None = None,
    ) -> dict[str, Any]:
        """Change status (checked against the lifecycle), assignee, priority or skill group."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = self._row(ticket_id)
            changes: dict[str, Any] = {}
            if status is not None and status != row["status"]:
                if status not in TICKET_MOVES.get(row["status"], frozenset()):
                    raise IllegalTicketMove(row["status"], status)
                changes["status"] = status
                if status == TicketStatus.SOLVED:
                    changes["solved_at"] = at
            for column, value in (
                ("assignee_agent_id", assignee_agent_id),
                ("priority", priority),
                ("skill", skill),
            ):
                if value is not None and value != row[column]:
                    changes[column] = value
            if not changes:
                return self.summary(ticket_id)
            db.table("tickets").update(ticket_id, {**changes, "updated_at": at})
            self._event(db, ticket_id, "ticket.updated", {"by": actor, **changes}, at)
            solved = changes.get("status") == TicketStatus.SOLVED
            if solved:
                self._tell_solved(row, at)
            self.notifier.enqueue_webhook(
                topic="ticket.solved" if solved else "ticket.updated",
                payload=self.summary(ticket_id),
            )
        return self.summary(ticket_id)

    def _tell_solved(self, row: dict[str, Any], at: str) -> None:
        conversation_id = row["conversation_id"]
        self.conversations.add_message(
            conversation_id,
            sender="system",
            text=f"Ticket {row['id']} is solved. How would you rate the help you got?",
            buttons=CSAT_BUTTONS,
            at=at,
        )
        if row["customer_email"]:
            self.notifier.enqueue_email(
                to=row["customer_email"],
                subject=f"[{row['id']}] Your request is solved",
                body=f"Your request {row['id']} is solved. If anything is still wrong, reply in "
                "the chat and we'll pick it up again.\n",
                topic="ticket.solved",
            )

    def add_note(self, ticket_id: str, *, agent_id: str | None, text: str) -> dict[str, Any]:
        """An internal note: agents see it, the customer never does."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = self._row(ticket_id)
            notes = json.loads(row["notes"])
            note = {"agent_id": agent_id, "text": text, "created_at": at}
            notes.append(note)
            db.table("tickets").update(ticket_id, {"notes": json.dumps(notes), "updated_at": at})
            self._event(db, ticket_id, "ticket.note", {"by": agent_id}, at)
        return note

    def reply(self, ticket_id: str, *, agent_id: str | None, text: str) -> dict[str, Any]:
        """A public reply: it reaches the customer in the chat and by email, and counts as the
        first response. The ticket then waits on the customer (pending)."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = self._row(ticket_id)
            if row["status"] == TicketStatus.CLOSED:
                raise IllegalTicketMove(row["status"], "replied to")
            message, _ = self.conversations.add_message(
                row["conversation_id"], sender="agent", text=text, at=at
            )
            changes: dict[str, Any] = {"updated_at": at}
            if not row["first_responded_at"]:
                changes["first_responded_at"] = at
            if row["status"] in (TicketStatus.NEW, TicketStatus.OPEN):
                changes["status"] = TicketStatus.PENDING
            db.table("tickets").update(ticket_id, changes)
            self._event(db, ticket_id, "ticket.replied", {"by": agent_id}, at)
            if row["customer_email"]:
                self.notifier.enqueue_email(
                    to=row["customer_email"],
                    subject=f"[{ticket_id}] A reply from our team",
                    body=f"{text}\n\nReply in the chat to answer.\n",
                    topic="ticket.updated",
                )
            self.notifier.enqueue_webhook(topic="ticket.updated", payload=self.summary(ticket_id))
        return message

    def customer_replied(self, conversation_id: str) -> str | None:
        """The customer wrote in a ticketed chat: a pending or solved ticket opens again."""
        ticket_id = self.for_conversation(conversation_id)
        if ticket_id is None:
            return None
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = self._row(ticket_id)
            if row["status"] in (TicketStatus.PENDING, TicketStatus.SOLVED):
                db.table("tickets").update(
                    ticket_id, {"status": TicketStatus.OPEN, "solved_at": None, "updated_at": at}
                )
                self._event(db, ticket_id, "ticket.reopened", {"by": "customer"}, at)
                self.notifier.enqueue_webhook(
                    topic="ticket.updated", payload=self.summary(ticket_id)
                )
        return ticket_id

    # -- SLA watch ----------------------------------------------------------------------------

    def check_slas(self) -> list[tuple[str, str, str]]:
        """Record each warning (at 75 % of a target) and breach once, for open tickets and for
        chats waiting in the queue. Returns the new (ticket or conversation id, metric, state)."""
        now = self.clock.now()
        at = iso(now)
        found: list[tuple[str, str, str]] = []
        with self.storage.write() as db:
            for row in db.query("select * from tickets where status not in ('solved', 'closed')"):
                seen = json.loads(row["sla_state"] or "{}")
                for target in self.targets(row):
                    state = target.state(now, self.policy.calendar)
                    if state in ("warning", "breached") and seen.get(target.metric) != state:
                        if state == "breached" and seen.get(target.metric) is None:
                            self._event(db, row["id"], "sla.warning", {"metric": target.metric}, at)
                        seen[target.metric] = state
                        self._event(db, row["id"], f"sla.{state}", {"metric": target.metric}, at)
                        found.append((row["id"], target.metric, state))
                db.table("tickets").update(row["id"], {"sla_state": json.dumps(seen)})
            warn_at = iso(now - timedelta(seconds=WARNING_SHARE * self.policy.queue_wait_s))
            breach_at = iso(now - timedelta(seconds=self.policy.queue_wait_s))
            for conversation_id, queued_at in db.execute(
                "select id, queued_at from conversations where status = 'queued' and queued_at <= ?",
                [warn_at],
            ).fetchall():
                states = ["warning"] + (["breached"] if queued_at <= breach_at else [])
                for state in states:
                    already = db.execute(
                        "select 1 from events where conversation_id = ? and name = ?"
                        " and created_at >= ?",
                        [conversation_id, f"sla.{state}", queued_at],
                    ).fetchone()
                    if already is None:
                        db.table("events").insert(
                            {
                                "conversation_id": conversation_id,
                                "name": f"sla.{state}",
                                "data": json.dumps({"metric": "queue_wait"}),
                                "created_at": at,
                            }
                        )
                        found.append((conversation_id, "queue_wait", state))
        return found
