"""What an agent does with a chat they own: notes, canned replies, transfer, resolve, hand back
to the bot, escalate to a ticket; and the customer's rating afterwards."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from conversations.errors import ConversationMoved, NotAssigned
from conversations.events import Transferred
from conversations.states import Status, transition
from conversations.store import ConversationStore
from core.clock import Clock, iso
from core.db import Storage
from core.language import DEFAULT, NAMES
from core.words import say
from handoff.agents import agent_name
from handoff.errors import AgentNotFound, CannedNotFound, RatingNotAllowed, TransferRefused
from handoff.offers import make_offer, mark_passed
from handoff.queue import Queue, queue_rank
from handoff.routing import GENERAL, level
from handoff.states import UNFINISHED
from handoff.stints import end_stint
from handoff.ticket_words import CSAT_BUTTONS
from handoff.tickets import TicketStore

__all__ = ["CannedNotFound", "Desk", "RatingNotAllowed", "TransferRefused"]


@dataclass(frozen=True)
class Note:
    """A private note on a chat: agents see it, the customer never does."""

    id: int
    agent_id: str | None
    text: str
    created_at: str


@dataclass(frozen=True)
class Canned:
    shortcut: str
    text: str  # {customer_name} is filled in when it is used; for a language without its own
    texts: dict[str, str] = field(default_factory=dict)  # its text in other languages, by code

    def in_language(self, language: str) -> str:
        return self.texts.get(language) or self.text


def _insert_note(db: Any, conversation_id: str, agent_id: str | None, text: str, at: str) -> Note:
    cursor = db.execute(
        "insert into notes (conversation_id, agent_id, text, created_at) values (?, ?, ?, ?)"
        " returning id",
        [conversation_id, agent_id, text, at],
    )
    return Note(cursor.fetchone()[0], agent_id, text, at)


class Desk:
    def __init__(
        self, *, storage: Storage, clock: Clock, queue: Queue, tickets: TicketStore
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.queue = queue
        self.tickets = tickets
        self.conversations = ConversationStore(storage)

    def _owned(self, conversation_id: str, agent_id: str | None) -> dict[str, Any]:
        """The conversation, if `agent_id` owns it (None: an admin, who may act on any chat an
        agent has). Read it inside the transaction that acts on it, so it is still so."""
        row = self.conversations.get(conversation_id, lock=True)
        if row["status"] != Status.ASSIGNED.value:
            raise ConversationMoved(
                conversation_id,
                status=row["status"],
                owner=row["assigned_agent_id"],
                expected=(Status.ASSIGNED.value,),
                expected_owner=agent_id,
            )
        if agent_id is not None and row["assigned_agent_id"] != agent_id:
            raise NotAssigned(conversation_id, row["status"])
        return row

    # -- notes and canned responses -----------------------------------------------------------

    def add_note(self, conversation_id: str, agent_id: str | None, text: str) -> Note:
        self.conversations.get(conversation_id)
        at = iso(self.clock.now())
        with self.storage.write() as db:
            return _insert_note(db, conversation_id, agent_id, text, at)

    def notes(self, conversation_id: str) -> list[Note]:
        self.conversations.get(conversation_id)
        rows = self.storage.db.execute(
            "select id, agent_id, text, created_at from notes where conversation_id = ?"
            " order by id",
            [conversation_id],
        ).fetchall()
        return [Note(*row) for row in rows]

    def save_canned(self, shortcut: str, text: str, language: str = DEFAULT) -> Canned:
        """Set the canned response's text (`DEFAULT`'s, which any language without its own
        gets) or its text in another language; a new one's first text serves every language."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            old = next(iter(self.canned(shortcut)), None)
            texts = dict(old.texts) if old else {}
            if language != DEFAULT:
                texts[language] = text
            default = old.text if old and language != DEFAULT else text
            db.table("canned").upsert(
                {
                    "shortcut": shortcut,
                    "text": default,
                    "texts": json.dumps(texts),
                    "created_at": at,
                },
                pk="shortcut",
            )
        return Canned(shortcut, default, texts)

    def delete_canned(self, shortcut: str) -> None:
        """Remove a canned response (every language's text); CannedNotFound if none has it."""
        with self.storage.write() as db:
            gone = db.execute("delete from canned where shortcut = ?", [shortcut]).rowcount
        if not gone:
            raise CannedNotFound(shortcut)

    def canned(self, shortcut: str | None = None) -> list[Canned]:
        """Every canned response, or the one with `shortcut` (an empty list if none has it)."""
        where, args = ("where shortcut = ?", [shortcut]) if shortcut is not None else ("", [])
        rows = self.storage.db.execute(
            f"select shortcut, text, texts from canned {where} order by shortcut", args
        ).fetchall()
        return [Canned(s, text, json.loads(texts) if texts else {}) for s, text, texts in rows]

    def expand_canned(self, shortcut: str, conversation_id: str) -> str:
        """The canned response in the conversation's language, with the customer's first name
        (or the language's word for a customer with none) filled in."""
        shortcut = shortcut.removeprefix("/")  # as the console shows it, "/hello", works too
        canned = next(iter(self.canned(shortcut)), None)
        if canned is None:
            raise CannedNotFound(shortcut)
        row = self.conversations.get(conversation_id)
        language = self.conversations.language(conversation_id)
        text = canned.in_language(language)
        name = (row["customer_name"] or "").split()
        if name:
            return text.replace("{customer_name}", name[0])
        # No name: "{customer_name}様" would read お客様様; the word for a customer stands alone.
        nobody = say(language, "chat.canned_no_name")
        return text.replace("{customer_name}様", nobody).replace("{customer_name}", nobody)

    # -- ending or passing on a chat ----------------------------------------------------------

    def resolve(self, conversation_id: str, agent_id: str | None) -> None:
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = self._owned(conversation_id, agent_id)
            end_stint(db, row, "resolved", at)
            transition(
                self.storage,
                conversation_id,
                Status.RESOLVED,
                expect=Status.ASSIGNED,
                owner=row["assigned_agent_id"],
                reason="agent_resolved",
                at=at,
            )
            rated = row["csat_score"] is not None  # a chat is rated once: not asked again
            self.conversations.add_message(
                conversation_id,
                sender="system",
                text=say(
                    self.conversations.language(conversation_id),
                    "chat.agent_resolved_rated" if rated else "chat.csat_question",
                ),
                buttons=None if rated else CSAT_BUTTONS,
                at=at,
            )
        self.queue.publish_conversation(conversation_id)
        self.queue.route()

    def hand_back(self, conversation_id: str, agent_id: str | None) -> None:
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = self._owned(conversation_id, agent_id)
            end_stint(db, row, "handed_back", at)
            transition(
                self.storage,
                conversation_id,
                Status.BOT,
                expect=Status.ASSIGNED,
                owner=row["assigned_agent_id"],
                reason="agent_handed_back",
                at=at,
                fields={"assigned_agent_id": None},
            )
            self.conversations.add_message(
                conversation_id,
                sender="bot",
                text=say(self.conversations.language(conversation_id), "chat.handback"),
                at=at,
            )
        self.queue.publish_conversation(conversation_id)
        self.queue.route()

    def transfer(
        self,
        conversation_id: str,
        agent_id: str | None,
        *,
        skill: str | None,
        to_agent_id: str | None,
        note: str | None,
    ) -> None:
        """Back to the queue for another skill, or offered straight to a named agent."""
        now = self.clock.now()
        at = iso(now)
        with self.storage.write() as db:
            row = self._owned(conversation_id, agent_id)
            new_skill = skill or row["skill"] or GENERAL
            if skill not in (None, GENERAL, row["skill"]) and not any(
                level(agent, new_skill) > 0 for agent in self.queue.agent_states()
            ):  # it would wait for nobody until the skill wait widens it
                raise TransferRefused(
                    f"no agent has the skill {new_skill}: pick a skill an agent has, or general"
                )
            if to_agent_id is not None:
                target = next((a for a in self.queue.agent_states() if a.id == to_agent_id), None)
                if target is None:
                    raise AgentNotFound(to_agent_id)
                if to_agent_id == row["assigned_agent_id"]:
                    raise TransferRefused("a chat cannot be transferred to the agent who has it")
                if target.status != "online" or target.free <= 0:
                    raise TransferRefused(
                        f"{agent_name(db, to_agent_id)} is {target.status} with {target.load} of"
                        f" {target.max_concurrent} chats: pick another colleague, or a skill"
                    )
            else:
                # Back in the queue with nobody to offer it to, the chat would become a ticket at
                # once: the agent is told, and keeps it.
                language = self.conversations.language(conversation_id)
                if not any(
                    language in agent.languages and agent.id != row["assigned_agent_id"]
                    for agent in self.queue.agent_states(online_only=True)
                ):
                    raise TransferRefused(
                        f"nobody else online chats in {NAMES.get(language, language)}, the"
                        " customer's language: keep the chat, or escalate it to a ticket"
                    )
            end_stint(db, row, "transferred", at)
            handoff = json.loads(row["handoff"]) if row["handoff"] else {}
            handoff["skill"] = new_skill
            transition(
                self.storage,
                conversation_id,
                Status.QUEUED,
                expect=Status.ASSIGNED,
                owner=row["assigned_agent_id"],
                reason="transferred",
                at=at,
                also=(Transferred(row["assigned_agent_id"], new_skill, to_agent_id, note),),
                fields={
                    "assigned_agent_id": None,
                    "skill": new_skill,
                    "queued_at": at,
                    "queue_rank": queue_rank(row["priority"] or "normal"),
                    "handoff": json.dumps(handoff),
                },
            )
            if note:
                _insert_note(
                    db, conversation_id, row["assigned_agent_id"], f"Transfer note: {note}", at
                )
            # The agent who passed it on is not offered it again in this stint.
            mark_passed(db, conversation_id, row["assigned_agent_id"], at=at)
            if to_agent_id is not None:
                expires_at = iso(now + timedelta(seconds=self.queue.limits.offer_timeout_s))
                make_offer(
                    db, conversation_id, to_agent_id, widened=False, at=at, expires_at=expires_at
                )
            self.conversations.add_message(
                conversation_id,
                sender="system",
                text=say(self.conversations.language(conversation_id), "chat.transferred"),
                at=at,
            )
        if to_agent_id is not None:
            self.queue.publish_offer(conversation_id, to_agent_id)
        self.queue.publish_conversation(conversation_id)
        self.queue.route()

    def escalate(
        self,
        conversation_id: str,
        agent_id: str | None,
        *,
        note: str | None,
        keep: bool = False,
        actor: str | None = None,
    ) -> str:
        """The agent cannot finish it here: file a ticket carrying the whole chat, in the shared
        inbox, or (`keep`) assigned to the chat's agent, who follows it up."""
        at = iso(self.clock.now())
        with self.storage.write() as db:
            row = self._owned(conversation_id, agent_id)
            end_stint(db, row, "escalated", at)
            ticket_id = self.tickets.file(
                conversation_id,
                reason="agent_escalated",
                note=note,
                expect=Status.ASSIGNED,
                owner=row["assigned_agent_id"],
            )
            if keep:
                self.tickets.update(
                    ticket_id, actor=actor, assignee_agent_id=row["assigned_agent_id"]
                )
        self.queue.publish_conversation(conversation_id)
        self.queue.route()
        return ticket_id

    # -- the customer's rating ----------------------------------------------------------------

    def rate(self, conversation_id: str, score: int, comment: str | None) -> None:
        row = self.conversations.get(conversation_id)
        if row["status"] not in (Status.RESOLVED.value, Status.TICKETED.value):
            raise RatingNotAllowed("a conversation can be rated once it is resolved")
        if (
            row["status"] == Status.TICKETED.value
            and self.tickets.status(row["ticket_id"]) in UNFINISHED
        ):
            # Rated once, a ticket's chat could not be rated for the help that solves it.
            raise RatingNotAllowed(
                "a conversation that became a ticket can be rated once the ticket is solved"
            )
        if row["csat_score"] is not None:
            raise RatingNotAllowed("this conversation has already been rated")
        self.conversations.rate(
            conversation_id, score=score, comment=comment, at=iso(self.clock.now())
        )
