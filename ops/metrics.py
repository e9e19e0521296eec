"""The ops figures DESIGN.md defines, computed from the append-only event log.

Contacts are conversations in which the customer wrote at least once, started in the range.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cascade.db import Storage
from handoff.package import first_customer_question

GAP_REASONS = ("no_answer", "low_nlu_confidence", "clarification_declined", "unhelpful_answers")


@dataclass(frozen=True)
class Contact:
    id: str
    email: str | None
    started: datetime
    status: str
    topic: str | None
    handed_over: bool
    ticketed: bool
    resolved_by_bot: bool
    resolved: bool


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)], 1)


def mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


class Metrics:
    def __init__(self, *, storage: Storage, fcr_window_days: float = 7.0) -> None:
        self.storage = storage
        self.fcr_window = timedelta(days=fcr_window_days)

    def _events(self, ids: list[str]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        found: dict[str, list[tuple[str, dict[str, Any]]]] = {cid: [] for cid in ids}
        if not ids:
            return found
        marks = ",".join("?" for _ in ids)
        for cid, name, data in self.storage.db.execute(
            f"select conversation_id, name, data from events where conversation_id in ({marks})"
            " order by id",
            ids,
        ).fetchall():
            found[cid].append((name, json.loads(data)))
        return found

    def contacts(self, since: str, until: str, *, skill: str | None = None) -> list[Contact]:
        rows = self.storage.db.execute(
            """
            select c.id, c.customer_email, c.created_at, c.status, c.skill from conversations c
            where c.created_at >= ? and c.created_at < ?
              and exists(select 1 from messages m where m.conversation_id = c.id
                         and m.sender = 'customer')
            order by c.created_at
            """,
            [since, until],
        ).fetchall()
        events = self._events([row[0] for row in rows])
        contacts = []
        for cid, email, created, status, conv_skill in rows:
            names = [name for name, _ in events[cid]]
            shown = [data.get("skill") for name, data in events[cid] if name == "kb.article_shown"]
            topic = conv_skill or next((s for s in shown if s), None)
            moves = [data for name, data in events[cid] if name == "conversation.status_changed"]
            contacts.append(
                Contact(
                    id=cid,
                    email=(email or "").lower() or None,
                    started=datetime.fromisoformat(created),
                    status=status,
                    topic=topic,
                    handed_over="conversation.handed_over" in names,
                    ticketed="ticket.filed" in names,
                    resolved_by_bot=any(m["reason"] == "bot_answered" for m in moves)
                    and "conversation.handed_over" not in names,
                    resolved=any(m["status"] == "resolved" for m in moves),
                )
            )
        if skill is not None:
            contacts = [c for c in contacts if c.topic == skill]
        return contacts

    def _repeat(self, contact: Contact) -> bool:
        """The same customer came back on the same topic within the FCR window."""
        if contact.email is None or contact.topic is None:
            return False
        row = self.storage.db.execute(
            """
            select 1 from conversations c where lower(c.customer_email) = ? and c.id != ?
              and c.created_at > ? and c.created_at <= ?
              and exists(select 1 from messages m where m.conversation_id = c.id
                         and m.sender = 'customer')
              and (c.skill = ? or exists(select 1 from events e where e.conversation_id = c.id
                   and e.name = 'kb.article_shown' and json_extract(e.data, '$.skill') = ?))
            limit 1
            """,
            [
                contact.email,
                contact.id,
                contact.started.isoformat(timespec="milliseconds"),
                (contact.started + self.fcr_window).isoformat(timespec="milliseconds"),
                contact.topic,
                contact.topic,
            ],
        ).fetchone()
        return row is not None

    def figures(self, *, since: str, until: str, skill: str | None = None) -> dict[str, Any]:
        contacts = self.contacts(since, until, skill=skill)
        ids = [c.id for c in contacts]
        events = self._events(ids)
        total = len(contacts)
        handoff_reasons: Counter[str] = Counter()
        waits: list[float] = []
        handles: list[float] = []
        scores: list[int] = []
        sla_warnings = sla_breaches = 0
        gaps: Counter[str] = Counter()
        for cid in ids:
            for name, data in events[cid]:
                if name == "conversation.handed_over":
                    handoff_reasons[data["reason"]] += 1
                elif name == "agent.accepted":
                    waits.append(float(data["wait_s"]))
                elif name == "agent.chat_handled":
                    handles.append(float(data["handle_s"]))
                elif name == "conversation.csat":
                    scores.append(int(data["score"]))
                elif name == "sla.warning":
                    sla_warnings += 1
                elif name == "sla.breached":
                    sla_breaches += 1
        if ids:
            marks = ",".join("?" for _ in ids)
            for name, count in self.storage.db.execute(
                f"select e.name, count(*) from ticket_events e join tickets t on t.id = e.ticket_id"
                f" where t.conversation_id in ({marks}) and e.name like 'sla.%' group by e.name",
                ids,
            ).fetchall():
                if name == "sla.warning":
                    sla_warnings += count
                elif name == "sla.breached":
                    sla_breaches += count
            for (raw,) in self.storage.db.execute(
                f"select handoff from conversations where id in ({marks}) and handoff is not null",
                ids,
            ).fetchall():
                package = json.loads(raw)
                question = first_customer_question(package.get("transcript", []))
                if package.get("reason") in GAP_REASONS and question:
                    gaps[question.strip().lower()] += 1
        first_contact = [
            c for c in contacts if c.resolved and not c.ticketed and not self._repeat(c)
        ]
        return {
            "since": since,
            "until": until,
            "skill": skill,
            "contacts": total,
            "first_contact_resolution": share(len(first_contact), total),
            "bot_containment": share(sum(c.resolved_by_bot for c in contacts), total),
            "handoff_rate": share(sum(c.handed_over for c in contacts), total),
            "handoffs_by_reason": dict(handoff_reasons.most_common()),
            "ticket_rate": share(sum(c.ticketed for c in contacts), total),
            "wait_avg_s": mean(waits),
            "wait_p90_s": p90(waits),
            "handle_time_avg_s": mean(handles),
            "abandonment_rate": share(sum(c.status == "abandoned" for c in contacts), total),
            "csat_avg": round(sum(scores) / len(scores), 2) if scores else None,
            "csat_responses": len(scores),
            "sla_warnings": sla_warnings,
            "sla_breaches": sla_breaches,
            "knowledge_gaps": [{"question": q, "count": n} for q, n in gaps.most_common(10)],
        }
