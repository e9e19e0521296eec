"""Service levels in business hours: when a target falls due, and how far along it is.

The calendar is a setting ("mon-fri 09:00-17:00" in a time zone); targets are counted only in
those hours, as support teams promise them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WARNING_SHARE = 0.75  # a warning when this share of the target has passed


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class BusinessCalendar:
    days: frozenset[int]  # 0 = Monday
    opens: timedelta  # after midnight
    closes: timedelta  # after midnight; 24 h for the end of the day
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str = "UTC") -> BusinessCalendar:
        """`"mon-fri 09:00-17:00"`, `"mon,wed,fri 08:30-18:00"` or `"always"`."""
        if spec.strip().lower() == "always":
            return cls(frozenset(range(7)), timedelta(0), timedelta(hours=24), ZoneInfo(timezone))
        match = re.fullmatch(
            r"\s*([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", spec.lower()
        )
        if not match:
            raise CalendarError(f"business hours {spec!r}: expected e.g. 'mon-fri 09:00-17:00'")
        days: set[int] = set()
        for part in match.group(1).split(","):
            ends = part.split("-")
            if any(e not in DAYS for e in ends) or len(ends) > 2:
                raise CalendarError(f"business hours {spec!r}: unknown day in {part!r}")
            first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
            days.update(
                range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
            )
        opens = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        closes = timedelta(hours=int(match.group(4)), minutes=int(match.group(5)))
        if closes <= opens or closes > timedelta(hours=24):
            raise CalendarError(f"business hours {spec!r}: closing must be after opening")
        return cls(frozenset(days), opens, closes, ZoneInfo(timezone))

    def _day_window(self, day: datetime) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.days:
            return None
        midnight = datetime.combine(day.date(), time(0), self.zone)
        return midnight + self.opens, midnight + self.closes

    def is_open(self, moment: datetime) -> bool:
        window = self._day_window(moment.astimezone(self.zone))
        return window is not None and window[0] <= moment < window[1]

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of business time after `start`."""
        moment = start.astimezone(self.zone)
        left = timedelta(seconds=seconds)
        for _ in range(800):  # at most ~2 years of days; a calendar always has open days
            window = self._day_window(moment)
            if window is not None:
                opens, closes = window
                begin = max(moment, opens)
                if begin < closes:
                    if begin + left <= closes:
                        return (begin + left).astimezone(start.tzinfo)
                    left -= closes - begin
            moment = datetime.combine(moment.date() + timedelta(days=1), time(0), self.zone)
        raise CalendarError("no business hours found")

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Business seconds between two moments (0 if end is before start)."""
        if end <= start:
            return 0.0
        total = 0.0
        moment = start.astimezone(self.zone)
        finish = end.astimezone(self.zone)
        while moment < finish:
            window = self._day_window(moment)
            if window is not None:
                opens, closes = window
                begin, stop = max(moment, opens), min(finish, closes)
                if stop > begin:
                    total += (stop - begin).total_seconds()
            moment = datetime.combine(moment.date() + timedelta(days=1), time(0), self.zone)
        return total


@dataclass(frozen=True)
class Target:
    """One clock: first response or resolution."""

    metric: str
    started: datetime
    due: datetime
    target_s: float
    met_at: datetime | None = None

    def state(self, now: datetime, calendar: BusinessCalendar) -> str:
        """ok, warning (75 % gone), breached, met or missed (met, but late)."""
        if self.met_at is not None:
            return "met" if self.met_at <= self.due else "missed"
        if now >= self.due:
            return "breached"
        if calendar.elapsed(self.started, now) >= WARNING_SHARE * self.target_s:
            return "warning"
        return "ok"

    def view(self, now: datetime, calendar: BusinessCalendar) -> dict[str, object]:
        return {
            "due": self.due.isoformat(timespec="seconds"),
            "state": self.state(now, calendar),
            "remaining_business_s": None
            if self.met_at is not None
            else round(self.target_s - calendar.elapsed(self.started, now)),
        }
