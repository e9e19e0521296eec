"""Calendar days in the business time zone: the unit of every ops range.

A day runs from local midnight to the next, so "Monday" on the dashboard is Monday where the
support team works (setting `CASCADE_BUSINESS_TIMEZONE`, UTC unless set).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.clock import iso
from ops.errors import BadRange

EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 30)
DEFAULT_DAYS = 30


def parse_day(text: str | None, *, name: str) -> date | None:
    """A query parameter as a date, or a message that says what was wrong with it."""
    if text is None or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise BadRange(f"{name} {text.strip()!r} is no day of the calendar") from None
        raise BadRange(f"{name} must be a date written YYYY-MM-DD, not {text!r}") from None
    if not EARLIEST <= day <= LATEST:
        raise BadRange(f"{name} must lie between {EARLIEST} and {LATEST}")
    return day


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date  # inclusive
    zone: ZoneInfo

    @classmethod
    def from_query(
        cls,
        since: str | None,
        until: str | None,
        *,
        zone: ZoneInfo,
        now: datetime,
        max_days: int | None = None,
    ) -> DayRange:
        """`until` defaults to today (in `zone`), `since` to 30 days before `until`."""
        last = parse_day(until, name="until") or now.astimezone(zone).date()
        first = parse_day(since, name="since") or max(
            EARLIEST, last - timedelta(days=DEFAULT_DAYS - 1)
        )
        if first > last:
            raise BadRange(f"since ({first}) must not be after until ({last})")
        span = cls(first, last, zone)
        if max_days is not None and span.length > max_days:
            raise BadRange(
                f"at most {max_days} days at a time; {first} to {last} is {span.length} days"
            )
        return span

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, time.min, self.zone)

    @property
    def since(self) -> str:
        """The first instant of the range, as stored timestamps are written (UTC ISO)."""
        return iso(self.start_of(self.first))

    @property
    def until(self) -> str:
        """The first instant after the range."""
        return iso(self.start_of(self.last + timedelta(days=1)))

    def days(self) -> Iterator[date]:
        for offset in range(self.length):
            yield self.first + timedelta(days=offset)

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()
