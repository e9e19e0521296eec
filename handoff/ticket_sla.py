"""A ticket's SLA clocks (first response and resolution), counted in business hours: the
targets a ticket is filed with, and how each clock stands now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from core.clock import iso
from handoff.sla import WARNING_SHARE, BusinessCalendar, Target


class SlaState(BaseModel):
    """How a clock stands now, as a ticket shows it."""

    due: str
    state: str  # ok, warning, breached, met, missed, or stopped (ended unmet: solved or closed)
    remaining_business_s: int | None  # None once met or stopped


class SlaClock(BaseModel):
    """A clock's instants, so a console can change colour at those moments without asking."""

    started: str
    warning_at: str  # 75 % of the target, counted in business hours
    due: str
    met_at: str | None
    state: str


@dataclass(frozen=True)
class Policy:
    calendar: BusinessCalendar
    first_response_min: dict[str, int] = field(default_factory=dict)
    resolution_min: dict[str, int] = field(default_factory=dict)
    queue_wait_s: float = 300.0  # a queued chat's clock (`queue_wait`)

    def minutes(self, table: dict[str, int], priority: str) -> int:
        return table.get(priority) or table.get("normal") or 1440

    def due_dates(self, start: datetime, priority: str) -> tuple[datetime, datetime]:
        """When the first response and the resolution fall due for a ticket filed at `start`."""
        first_s = 60 * self.minutes(self.first_response_min, priority)
        resolve_s = 60 * self.minutes(self.resolution_min, priority)
        return self.calendar.add(start, first_s), self.calendar.add(start, resolve_s)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def targets(row: dict[str, Any], calendar: BusinessCalendar) -> list[Target]:
    """A ticket row's two clocks."""
    created = datetime.fromisoformat(row["created_at"])
    first_due = datetime.fromisoformat(row["first_response_due"])
    resolve_due = datetime.fromisoformat(row["resolution_due"])
    return [
        Target(
            "first_response",
            created,
            first_due,
            calendar.elapsed(created, first_due),
            _moment(row["first_responded_at"]),
        ),
        Target(
            "resolution",
            created,
            resolve_due,
            calendar.elapsed(created, resolve_due),
            _moment(row["solved_at"]),
        ),
    ]


# A clock not met when its ticket was solved or closed (a first response never given, a ticket
# closed without being solved) runs no more: "stopped", neither counting down nor breaching.
STOPPED = "stopped"


def _stopped(row: dict[str, Any], t: Target) -> bool:
    return t.met_at is None and row["status"] in ("solved", "closed")


def sla_view(row: dict[str, Any], calendar: BusinessCalendar, now: datetime) -> dict[str, SlaState]:
    """Each clock's due date, state and business seconds left, as a ticket shows them."""
    return {
        t.metric: SlaState.model_validate(
            {**t.view(now, calendar), "state": STOPPED, "remaining_business_s": None}
            if _stopped(row, t)
            else t.view(now, calendar)
        )
        for t in targets(row, calendar)
    }


def clock_instants(
    row: dict[str, Any], calendar: BusinessCalendar, now: datetime
) -> dict[str, SlaClock]:
    """Each SLA clock's instants: started, warning (75 % of the target in business time),
    due, and met. A console can change colour at those moments without asking again."""
    return {
        t.metric: SlaClock(
            started=iso(t.started),
            warning_at=iso(calendar.add(t.started, WARNING_SHARE * t.target_s)),
            due=iso(t.due),
            met_at=iso(t.met_at) if t.met_at else None,
            state=STOPPED if _stopped(row, t) else t.state(now, calendar),
        )
        for t in targets(row, calendar)
    }
