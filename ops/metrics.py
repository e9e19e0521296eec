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
    SkillResolutions,
    Summary,
)
from ops.returns import Customer, Returns

Events = list[tuple[str, dict[str, Any]]]


# Why the bot resolved a chat (the reasons of its move to resolved in the event log).
CONFIRMED = "bot_answered"  # the customer said the answer helped
ASSUMED = "assumed_resolved"  # an answer, then silence past the idle limit


@dataclass(frozen=True)
class Contact:
    id: str
    customer: Customer
    started: datetime
    status: str
    topic: str | None
    handed_over: bool
    ticketed: bool
    resolution: str | None  # the reason of the last move to resolved, if it stayed resolved
    resolved_at: datetime | None = None
    came_back: bool = False  # the same customer, same topic or same chat, within the FCR window
    reopened: bool = False  # the same customer again within the durable window of resolving
    settled: bool = False  # the durable window after the resolution is over
    events: Events = field(default_factory=list, compare=False, repr=False)

    @property
    def resolved(self) -> bool:
        """Resolved and still so: an abandoned (or reopened) chat never counts."""
        return self.status == "resolved" and self.resolution is not None

    @property
    def resolved_by_bot(self) -> bool:
        return self.resolved and self.resolution in (CONFIRMED, ASSUMED) and not self.handed_over

    @property
    def confirmed(self) -> bool:
        return self.resolved_by_bot and self.resolution == CONFIRMED

    @property
    def assumed(self) -> bool:
        return self.resolved_by_bot and self.resolution == ASSUMED

    @property
    def durable(self) -> bool:
        """Resolved, the window is over and the customer did not come back."""
        return self.resolved and self.settled and not self.reopened

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
    def __init__(
        self,
        *,
        storage: Storage,
        now: datetime,
        fcr_window_days: float = 7.0,
        durable_window_h: float = 72.0,
    ) -> None:
        self.storage = storage
        self.now = now
        self.returns = Returns(
            storage=storage,
            fcr_window=timedelta(days=fcr_window_days),
            durable_window=timedelta(hours=durable_window_h),
        )

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
        db = self.storage.db
        rows = db.execute(
            f"""
            select skill from articles
            union select skill from conversations
            union select skill from tickets
            union select j.key from agents, {db.json_keys("agents.skills")} j
            union select {db.json_field("data", "skill")} from events where name = ?
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
            select c.id, c.customer_email, c.visitor_id, c.user_id, c.created_at, c.status,
                   c.skill from conversations c
            where c.created_at >= ? and c.created_at < ?
              and exists(select 1 from messages m where m.conversation_id = c.id
                         and m.sender = 'customer')
            order by c.created_at
            """,
            [since, until],
        ).fetchall()
        events = self._events([row[0] for row in rows])
        moves = self.returns.moves([row[0] for row in rows])
        window = self.returns.durable_window
        contacts = []
        for cid, email, visitor_id, user_id, created, status, conv_skill in rows:
            names = [name for name, _ in events[cid]]
            shown = [data.get("skill") for name, data in events[cid] if name == ArticleShown.name]
            topic = conv_skill or next((s for s in shown if s), None)
            if skill is not None and topic != skill:
                continue
            customer = Customer(visitor_id, (email or "").lower() or None, user_id)
            contact = Contact(
                id=cid,
                customer=customer,
                started=datetime.fromisoformat(created),
                status=status,
                topic=topic,
                handed_over=HandedOver.name in names,
                ticketed=TicketFiled.name in names,
                resolution=moves[cid].resolution() if status == "resolved" else None,
                resolved_at=moves[cid].resolved_at() if status == "resolved" else None,
                events=events[cid],
            )
            if contact.resolved and contact.resolved_at is not None:
                contact = replace(
                    contact,
                    # Back on the same topic in a new chat, or writing again in this one.
                    came_back=self.returns.same_topic_again(
                        cid, customer, started=contact.started, topic=topic
                    )
                    or moves[cid].reopened_within(self.returns.fcr_window),
                    reopened=self.returns.came_back(cid, customer, moves=moves[cid]),
                    settled=self.now >= contact.resolved_at + window,
                )
            contacts.append(contact)
        return contacts

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
        written: dict[str, str] = {}
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
                f"select handoff from conversations where id in ({marks}) and handoff is not null"
                " order by created_at, id",
                ids,
            ).fetchall():
                package = json.loads(raw)
                question = first_customer_question(package.get("transcript", []))
                if package.get("reason") in HANDOVER_REASONS_FOR_GAPS and question:
                    # Counted together whatever the case; shown as first written.
                    key = " ".join(question.split()).casefold()
                    gaps[key] += 1
                    written.setdefault(key, question.strip())
        resolved_first_time = sum(c.resolved_first_time for c in contacts)
        contained = sum(c.resolved_by_bot for c in contacts)
        handed_over = sum(c.handed_over for c in contacts)
        ticketed = sum(c.ticketed for c in contacts)
        abandoned = sum(c.status == "abandoned" for c in contacts)
        outcomes = Counter(c.outcome for c in contacts)
        resolved = sum(c.resolved for c in contacts)
        confirmed = sum(c.confirmed for c in contacts)
        assumed = sum(c.assumed for c in contacts)
        durable = sum(c.durable for c in contacts)
        reopened = sum(c.resolved and c.reopened for c in contacts)
        return Summary(
            contacts=total,
            first_contact_resolution=share(resolved_first_time, total),
            bot_containment=share(contained, total),
            handoff_rate=share(handed_over, total),
            handoffs_by_reason=dict(handoff_reasons.most_common()),
            ticket_rate=share(ticketed, total),
            wait_avg_s=mean(waits),
            wait_p90_s=p90(waits),
            queue_waits=len(waits),
            handle_time_avg_s=mean(handles),
            abandonment_rate=share(abandoned, total),
            csat_avg=round(sum(scores) / len(scores), 2) if scores else None,
            csat_responses=len(scores),
            sla_warnings=sla_warnings,
            sla_breaches=sla_breaches,
            knowledge_gaps=[
                KnowledgeGap(question=written[q], count=n)
                for q, n in sorted(gaps.items(), key=lambda gap: (-gap[1], gap[0]))[:10]
            ],
            resolved_first_time=resolved_first_time,
            bot_contained=contained,
            handed_over=handed_over,
            ticketed=ticketed,
            abandoned=abandoned,
            knowledge_gap_questions=sum(gaps.values()),
            outcomes=Outcomes(**{name: outcomes[name] for name in OUTCOMES}),
            resolved=resolved,
            bot_resolved_confirmed=confirmed,
            bot_resolved_assumed=assumed,
            confirmed_resolution_rate=share(confirmed, total),
            assumed_resolution_rate=share(assumed, total),
            durable_resolutions=durable,
            durable_resolution_rate=share(durable, total),
            reopened=reopened,
            reopen_rate=share(reopened, resolved),
            awaiting_window=resolved - durable - reopened,
        )

    @staticmethod
    def by_skill(contacts: list[Contact]) -> list[SkillResolutions]:
        """The resolution figures of each skill, most contacts first."""
        groups: dict[str | None, list[Contact]] = {}
        for contact in contacts:
            groups.setdefault(contact.topic, []).append(contact)
        rows = []
        for skill, group in groups.items():
            resolved = sum(c.resolved for c in group)
            reopened = sum(c.resolved and c.reopened for c in group)
            rows.append(
                SkillResolutions(
                    skill=skill,
                    contacts=len(group),
                    resolved=resolved,
                    bot_resolved_confirmed=sum(c.confirmed for c in group),
                    bot_resolved_assumed=sum(c.assumed for c in group),
                    durable_resolutions=sum(c.durable for c in group),
                    reopened=reopened,
                    reopen_rate=share(reopened, resolved),
                )
            )
        return sorted(rows, key=lambda row: (-row.contacts, row.skill or "\uffff"))

    def figures(self, *, since: str, until: str, skill: str | None = None) -> Figures:
        """The figures for contacts started from `since` up to (not including) `until`."""
        contacts = self.contacts(since, until, skill=skill)
        return self._figures(contacts, since=since, until=until, skill=skill)

    def _figures(
        self, contacts: list[Contact], *, since: str, until: str, skill: str | None
    ) -> Figures:
        return Figures(
            since=since,
            until=until,
            skill=skill,
            **dict(self.summarize(contacts)),
            by_skill=self.by_skill(contacts),
        )

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
            total=self._figures(contacts, since=span.since, until=span.until, skill=skill),
        )
