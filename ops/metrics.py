"""The ops figures DESIGN.md defines, computed from the append-only event log.

Contacts are conversations in which the customer wrote at least once, started in the range.
Every figure is defined once, in `Metrics.summarize`, over a list of contacts: the figures for
a range, for each day of it and for one skill are that same function over different lists.

Ops owns no table and writes nothing: these are reporting queries that read the event log
(conversations' `events`, tickets' `ticket_events`) and the rows it refers to (conversations,
messages, tickets, and agents' and articles' skills) read-only, in SQL, rather than asking each
owner row by row.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from conversations.events import (
    Accepted,
    ArticleShown,
    ChatHandled,
    CsatGiven,
    HandedOver,
    SlaBreached,
    SlaWarning,
    StatusChanged,
    TicketFiled,
)
from conversations.gaps import HANDOVER_REASONS_FOR_GAPS
from conversations.transcript import first_customer_question
from core.db import Storage
from ops.days import DayRange
from ops.errors import UnknownSkill
from ops.figures import (
    OUTCOMES,
    Daily,
    DayFigures,
    Figures,
    KnowledgeGap,
    Outcomes,
    Summary,
)

Events = list[tuple[str, dict[str, Any]]]


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
    came_back: bool = False  # the same customer, same topic, within the FCR window
    events: Events = field(default_factory=list, compare=False, repr=False)

    @property
    def resolved_first_time(self) -> bool:
        return self.resolved and not self.ticketed and not self.came_back

    @property
    def outcome(self) -> str:
        if self.ticketed:
            return "ticket"
        if self.resolved_by_bot:
            return "bot"
        if self.resolved:
            return "agent"
        return "abandoned" if self.status == "abandoned" else "open"


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

    def _events(self, ids: list[str]) -> dict[str, Events]:
        found: dict[str, Events] = {cid: [] for cid in ids}
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

    def skills(self) -> list[str]:
        """Every skill the figures can be asked for: those of articles, agents, chats and
        tickets, and of the articles the bot showed."""
        rows = self.storage.db.execute(
            """
            select skill from articles
            union select skill from conversations
            union select skill from tickets
            union select j.key from agents, json_each(agents.skills) j
            union select json_extract(data, '$.skill') from events where name = ?
            """,
            [ArticleShown.name],
        ).fetchall()
        return sorted({row[0] for row in rows if isinstance(row[0], str) and row[0].strip()})

    def check_skill(self, skill: str | None) -> None:
        if skill is not None and skill not in (known := self.skills()):
            raise UnknownSkill(skill, known)

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
            shown = [data.get("skill") for name, data in events[cid] if name == ArticleShown.name]
            topic = conv_skill or next((s for s in shown if s), None)
            if skill is not None and topic != skill:
                continue
            moves = [data for name, data in events[cid] if name == StatusChanged.name]
            contact = Contact(
                id=cid,
                email=(email or "").lower() or None,
                started=datetime.fromisoformat(created),
                status=status,
                topic=topic,
                handed_over=HandedOver.name in names,
                ticketed=TicketFiled.name in names,
                resolved_by_bot=any(m["reason"] == "bot_answered" for m in moves)
                and HandedOver.name not in names,
                resolved=any(m["status"] == "resolved" for m in moves),
                events=events[cid],
            )
            contacts.append(
                replace(contact, came_back=self._repeat(contact))
                if contact.resolved and not contact.ticketed
                else contact
            )
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
                   and e.name = ? and json_extract(e.data, '$.skill') = ?))
            limit 1
            """,
            [
                contact.email,
                contact.id,
                contact.started.isoformat(timespec="milliseconds"),
                (contact.started + self.fcr_window).isoformat(timespec="milliseconds"),
                contact.topic,
                ArticleShown.name,
                contact.topic,
            ],
        ).fetchone()
        return row is not None

    def summarize(self, contacts: list[Contact]) -> Summary:
        """Every figure, over these contacts. The one definition of each."""
        ids = [c.id for c in contacts]
        total = len(contacts)
        handoff_reasons: Counter[str] = Counter()
        waits: list[float] = []
        handles: list[float] = []
        scores: list[int] = []
        sla_warnings = sla_breaches = 0
        gaps: Counter[str] = Counter()
        for contact in contacts:
            for name, data in contact.events:
                if name == HandedOver.name:
                    handoff_reasons[data["reason"]] += 1
                elif name == Accepted.name:
                    waits.append(float(data["wait_s"]))
                elif name == ChatHandled.name:
                    handles.append(float(data["handle_s"]))
                elif name == CsatGiven.name:
                    scores.append(int(data["score"]))
                elif name == SlaWarning.name:
                    sla_warnings += 1
                elif name == SlaBreached.name:
                    sla_breaches += 1
        if ids:
            marks = ",".join("?" for _ in ids)
            for name, count in self.storage.db.execute(
                f"select e.name, count(*) from ticket_events e join tickets t on t.id = e.ticket_id"
                f" where t.conversation_id in ({marks}) and e.name in (?, ?) group by e.name",
                [*ids, SlaWarning.name, SlaBreached.name],
            ).fetchall():
                if name == SlaWarning.name:
                    sla_warnings += count
                elif name == SlaBreached.name:
                    sla_breaches += count
            for (raw,) in self.storage.db.execute(
                f"select handoff from conversations where id in ({marks}) and handoff is not null",
                ids,
            ).fetchall():
                package = json.loads(raw)
                question = first_customer_question(package.get("transcript", []))
                if package.get("reason") in HANDOVER_REASONS_FOR_GAPS and question:
                    gaps[question.strip().lower()] += 1
        resolved_first_time = sum(c.resolved_first_time for c in contacts)
        contained = sum(c.resolved_by_bot for c in contacts)
        handed_over = sum(c.handed_over for c in contacts)
        ticketed = sum(c.ticketed for c in contacts)
        abandoned = sum(c.status == "abandoned" for c in contacts)
        outcomes = Counter(c.outcome for c in contacts)
        return Summary(
            contacts=total,
            first_contact_resolution=share(resolved_first_time, total),
            bot_containment=share(contained, total),
            handoff_rate=share(handed_over, total),
            handoffs_by_reason=dict(handoff_reasons.most_common()),
            ticket_rate=share(ticketed, total),
            wait_avg_s=mean(waits),
            wait_p90_s=p90(waits),
            handle_time_avg_s=mean(handles),
            abandonment_rate=share(abandoned, total),
            csat_avg=round(sum(scores) / len(scores), 2) if scores else None,
            csat_responses=len(scores),
            sla_warnings=sla_warnings,
            sla_breaches=sla_breaches,
            knowledge_gaps=[
                KnowledgeGap(question=q, count=n)
                for q, n in sorted(gaps.items(), key=lambda gap: (-gap[1], gap[0]))[:10]
            ],
            resolved_first_time=resolved_first_time,
            bot_contained=contained,
            handed_over=handed_over,
            ticketed=ticketed,
            abandoned=abandoned,
            knowledge_gap_questions=sum(gaps.values()),
            outcomes=Outcomes(**{name: outcomes[name] for name in OUTCOMES}),
        )

    def figures(self, *, since: str, until: str, skill: str | None = None) -> Figures:
        """The figures for contacts started from `since` up to (not including) `until`."""
        summary = self.summarize(self.contacts(since, until, skill=skill))
        return Figures(since=since, until=until, skill=skill, **dict(summary))

    def daily(self, span: DayRange, *, skill: str | None = None) -> Daily:
        """The figures for each calendar day of `span` and for all of it (not a sum of the
        days: shares, averages and p90 do not add up)."""
        contacts = self.contacts(span.since, span.until, skill=skill)
        by_day: dict[str, list[Contact]] = {day.isoformat(): [] for day in span.days()}
        for contact in contacts:
            by_day[span.day_of(contact.started).isoformat()].append(contact)
        return Daily(
            since=span.first.isoformat(),
            until=span.last.isoformat(),
            timezone=span.zone.key,
            skill=skill,
            days=[
                DayFigures(day=day, **dict(self.summarize(group))) for day, group in by_day.items()
            ],
            total=Figures(
                since=span.since, until=span.until, skill=skill, **dict(self.summarize(contacts))
            ),
        )
