"""The SLA watch, run on a timer: each warning (at 75 % of a target) and each breach is
recorded once, for open tickets (in the ticket's log) and for chats waiting in the queue (in
the conversation's events, as the `queue_wait` clock)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from conversations.events import Event, SlaBreached, SlaWarning, record
from conversations.store import ConversationStore
from core.clock import iso
from core.db import Storage
from handoff.sla import WARNING_SHARE
from handoff.states import UNFINISHED
from handoff.ticket_sla import Policy, targets

SLA_EVENTS: dict[str, type[SlaWarning] | type[SlaBreached]] = {
    "warning": SlaWarning,
    "breached": SlaBreached,
}
TicketLog = Callable[[Any, str, Event, str], None]  # (db, ticket id, event, at)


def check_slas(
    storage: Storage,
    conversations: ConversationStore,
    *,
    policy: Policy,
    now: datetime,
    log: TicketLog,
) -> list[tuple[str, str, str]]:
    """Returns the new (ticket or conversation id, metric, state).

    Runs every second: a read finds whether any clock changed state, and only then is the
    write lock taken (and only the tickets that changed are written)."""
    reading = storage.db
    due = _tickets(reading, policy=policy, now=now, log=log, apply=False)
    if not due and not _queued_chats(reading, conversations, policy=policy, now=now, apply=False):
        return []
    with storage.write() as db:
        found = _tickets(db, policy=policy, now=now, log=log, apply=True)
        found += _queued_chats(db, conversations, policy=policy, now=now, apply=True)
    return found


def _tickets(
    db: Any, *, policy: Policy, now: datetime, log: TicketLog, apply: bool
) -> list[tuple[str, str, str]]:
    """The tickets' clocks that changed state; recorded when `apply`."""
    at = iso(now)
    found: list[tuple[str, str, str]] = []
    statuses = sorted(status.value for status in UNFINISHED)
    marks = ", ".join("?" for _ in statuses)
    sql = f"select * from tickets where status in ({marks}) order by number"
    for row in db.query(sql, statuses):
        seen = json.loads(row["sla_state"] or "{}")
        for target in targets(row, policy.calendar):
            state = target.state(now, policy.calendar)
            if state in SLA_EVENTS and seen.get(target.metric) != state:
                if apply and state == "breached" and seen.get(target.metric) is None:
                    log(db, row["id"], SlaWarning(target.metric), at)
                seen[target.metric] = state
                if apply:
                    log(db, row["id"], SLA_EVENTS[state](target.metric), at)
                found.append((row["id"], target.metric, state))
        if apply and found and found[-1][0] == row["id"]:  # only what changed is written
            db.table("tickets").update(row["id"], {"sla_state": json.dumps(seen)})
    return found


def _queued_chats(
    db: Any, conversations: ConversationStore, *, policy: Policy, now: datetime, apply: bool
) -> list[tuple[str, str, str]]:
    """A chat waiting past 75 % of the queue-wait target warns, past all of it breaches, once
    for each time it joins the queue."""
    at = iso(now)
    found: list[tuple[str, str, str]] = []
    warn_at = iso(now - timedelta(seconds=WARNING_SHARE * policy.queue_wait_s))
    breach_at = iso(now - timedelta(seconds=policy.queue_wait_s))
    for conversation_id, _, _, queued_at, _ in list(conversations.queued(before=warn_at)):
        states = ["warning"] + (["breached"] if queued_at <= breach_at else [])
        for state in states:
            kind = SLA_EVENTS[state]
            if not conversations.has_event(conversation_id, kind, since=queued_at):
                if apply:
                    record(db, conversation_id, kind("queue_wait"), at=at)
                found.append((conversation_id, "queue_wait", state))
    return found
