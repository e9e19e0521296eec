"""The line as a supervisor sees it: every chat waiting for a person now, in queue order, with
how long it has waited, its place and estimated wait as its customer is shown them, the agent it
is on offer to, and who passed it on. Read only: nothing here changes the queue or what a
customer has been told."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from conversations.store import ConversationStore
from core.clock import Clock, iso
from handoff.agents import agent_name
from handoff.estimates import Estimates
from handoff.lineup import Lineup, passed_by


@dataclass(frozen=True)
class InLine:
    conversation_id: str
    customer_name: str | None
    language: str
    skill: str
    priority: str
    reason: str | None  # the hand-over's reason
    queued_at: str
    waited_s: int
    position: int | None  # among chats in its language needing the same skill
    estimated_wait_s: int | None  # None: nobody online may take it; 0: on offer now
    offered_to: dict[str, str | None] | None = None  # id and name
    passed_on_by: list[dict[str, str | None]] = field(default_factory=list)


def line_now(
    *, clock: Clock, lineup: Lineup, estimates: Estimates, conversations: ConversationStore
) -> list[InLine]:
    now = clock.now()
    db = lineup.storage.db
    offered_to = dict(
        db.execute(
            "select conversation_id, agent_id from offers where status = 'pending'"
        ).fetchall()
    )
    chats = [chat for chat, _ in lineup.waiting(now, offered=frozenset(offered_to))]
    if not chats:
        return []
    places = estimates.places()
    passes = lineup.passes(since=iso(min(chat.queued_at for chat in chats)))
    names: dict[str, str | None] = {}

    def named(agent_id: str) -> dict[str, str | None]:
        if agent_id not in names:
            names[agent_id] = agent_name(db, agent_id)
        return {"id": agent_id, "name": names[agent_id]}

    line = []
    for chat in chats:
        row = conversations.get(chat.id)
        handoff = json.loads(row["handoff"]) if row["handoff"] else {}
        place = places.get(chat.id)
        agent = offered_to.get(chat.id)
        line.append(
            InLine(
                conversation_id=chat.id,
                customer_name=row["customer_name"],
                language=chat.language,
                skill=chat.skill,
                priority=chat.priority,
                reason=handoff.get("reason"),
                queued_at=iso(chat.queued_at),
                waited_s=max(0, int((now - chat.queued_at).total_seconds())),
                position=place.position if place else None,
                estimated_wait_s=place.estimated_wait_s if place else None,
                offered_to=named(agent) if agent else None,
                passed_on_by=[  # but the agent it is back on offer to (a transfer given back)
                    named(a) for a in sorted(passed_by(chat, passes).excluded) if a != agent
                ],
            )
        )
    return line
