from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handoff.sla import BusinessCalendar, CalendarError, Target

CAL = BusinessCalendar.parse("mon-fri 09:00-17:00", "UTC")
MON_16 = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (MON_16, 0.5, datetime(2026, 1, 5, 16, 30, tzinfo=UTC)),
        (MON_16, 2, datetime(2026, 1, 6, 10, 0, tzinfo=UTC)),  # carries over the night
        (
            datetime(2026, 1, 9, 16, 0, tzinfo=UTC),
            2,
            datetime(2026, 1, 12, 10, 0, tzinfo=UTC),
        ),  # over the weekend
        (
            datetime(2026, 1, 10, 12, 0, tzinfo=UTC),
            1,
            datetime(2026, 1, 12, 10, 0, tzinfo=UTC),
        ),  # filed on Saturday
        (
            datetime(2026, 1, 5, 7, 0, tzinfo=UTC),
            1,
            datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        ),  # before opening
    ],
)
def test_due_in_business_hours(start: datetime, hours: float, due: datetime) -> None:
    assert CAL.add(start, hours * 3600) == due
    assert CAL.elapsed(start, due) == pytest.approx(hours * 3600)


def test_states_warn_at_75_percent_then_breach() -> None:
    target = Target("first_response", MON_16, CAL.add(MON_16, 7200), 7200)  # due Tue 10:00
    assert target.due == datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
    assert target.state(datetime(2026, 1, 5, 16, 59, tzinfo=UTC), CAL) == "ok"
    assert (
        target.state(datetime(2026, 1, 5, 23, 0, tzinfo=UTC), CAL) == "ok"
    )  # the night doesn't count
    assert target.state(datetime(2026, 1, 6, 9, 29, tzinfo=UTC), CAL) == "ok"
    assert target.state(datetime(2026, 1, 6, 9, 30, tzinfo=UTC), CAL) == "warning"  # 90 of 120 min
    assert target.state(datetime(2026, 1, 6, 10, 0, tzinfo=UTC), CAL) == "breached"
    met = Target(
        "first_response", MON_16, target.due, 7200, met_at=datetime(2026, 1, 6, 9, 45, tzinfo=UTC)
    )
    assert met.state(datetime(2026, 1, 7, tzinfo=UTC), CAL) == "met"
    late = Target(
        "first_response", MON_16, target.due, 7200, met_at=datetime(2026, 1, 6, 11, 0, tzinfo=UTC)
    )
    assert late.state(datetime(2026, 1, 7, tzinfo=UTC), CAL) == "missed"


@pytest.mark.parametrize("spec", ["weekdays", "mon-fri 17:00-09:00", "mon-xyz 09:00-17:00"])
def test_bad_calendars_are_refused(spec: str) -> None:
    with pytest.raises(CalendarError):
        BusinessCalendar.parse(spec)


def test_always_open() -> None:
    always = BusinessCalendar.parse("always")
    assert always.add(datetime(2026, 1, 10, 23, 0, tzinfo=UTC), 7200) == datetime(
        2026, 1, 11, 1, 0, tzinfo=UTC
    )
