"""The ops figures over HTTP: for a date range, for each day of it, as CSV; optionally for one
skill. Days are calendar days in the business time zone (`CASCADE_BUSINESS_TIMEZONE`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from core.auth import Principal, Role
from core.db import Storage
from core.deps import ClockDep, SettingsDep, provided, require
from ops.days import DayRange
from ops.errors import OpsError, UnknownArticle
from ops.export import filename, to_csv
from ops.figures import Daily, Figures
from ops.metrics import Metrics

router = APIRouter(tags=["ops"])

# The status each of ops' errors answers with (the app registers them as exception handlers).
ERRORS: dict[type[Exception], int] = {OpsError: 422, UnknownArticle: 404}

Ops = Annotated[Principal, Depends(require(Role.OPS))]
Since = Annotated[
    str | None, Query(description="First day, YYYY-MM-DD; default 30 days before until")
]
Until = Annotated[str | None, Query(description="Last day, inclusive, YYYY-MM-DD; default today")]
Skill = Annotated[
    str | None, Query(max_length=64, description="Only contacts about this skill (topic)")
]
MAX_DAYS = 366  # one row per day: a year at a time
CSV = "text/csv"


class RangeFigures(Figures):
    timezone: str = Field(description="The business time zone the days were taken in")


class Filters(BaseModel):
    skills: list[str]
    timezone: str
    today: str = Field(description="YYYY-MM-DD in the business time zone")
    max_days: int = Field(description="The longest range /api/metrics/daily answers for")
    durable_window_h: float = Field(
        description="A resolution is durable when the customer is not back within this many hours"
    )


class CSVResponse(Response):
    media_type = CSV


StorageDep = Annotated[Storage, Depends(provided(Storage))]


def _metrics(storage: StorageDep, settings: SettingsDep, clock: ClockDep) -> Metrics:
    return Metrics(
        storage=storage,
        now=clock.now(),
        fcr_window_days=settings.fcr_window_days,
        durable_window_h=settings.durable_window_h,
    )


MetricsDep = Annotated[Metrics, Depends(_metrics)]


def _zone(settings: SettingsDep) -> ZoneInfo:
    return ZoneInfo(settings.business_timezone)


Zone = Annotated[ZoneInfo, Depends(_zone)]


def _daily(
    metrics: MetricsDep,
    zone: Zone,
    clock: ClockDep,
    since: Since = None,
    until: Until = None,
    skill: Skill = None,
) -> Daily:
    """The daily figures the query asks for: a dependency, so JSON and CSV routes share it."""
    skill = skill or None
    span = DayRange.from_query(since, until, zone=zone, now=clock.now(), max_days=MAX_DAYS)
    metrics.check_skill(skill)
    return metrics.daily(span, skill=skill)


DailyDep = Annotated[Daily, Depends(_daily)]


def _csv(daily: Daily) -> CSVResponse:
    return CSVResponse(
        to_csv(daily),
        headers={"Content-Disposition": f'attachment; filename="{filename(daily)}"'},
    )


@router.get(
    "/api/metrics",
    summary="FCR, confirmed / assumed / durable resolutions, containment, hand-overs, tickets, "
    "waits, CSAT, SLAs, gaps",
)
def metrics(
    metrics: MetricsDep,
    zone: Zone,
    clock: ClockDep,
    _: Ops,
    since: Since = None,
    until: Until = None,
    skill: Skill = None,
) -> RangeFigures:
    skill = skill or None
    span = DayRange.from_query(since, until, zone=zone, now=clock.now())
    metrics.check_skill(skill)
    found = metrics.figures(since=span.since, until=span.until, skill=skill)
    return RangeFigures(**dict(found), timezone=span.zone.key)


@router.get(
    "/api/metrics/daily",
    summary="The same figures for each day, and for the whole range",
    response_model=Daily,
    responses={200: {"content": {CSV: {}}, "description": "JSON, or CSV with format=csv"}},
)
def daily(
    _: Ops,
    found: DailyDep,
    format: Annotated[Literal["json", "csv"], Query(description="csv: a download")] = "json",
) -> Any:
    return _csv(found) if format == "csv" else found


@router.get(
    "/api/metrics.csv",
    summary="The daily figures as CSV: one row per day and a total row",
    response_class=CSVResponse,
    responses={200: {"content": {CSV: {}}}},
)
def metrics_csv(_: Ops, found: DailyDep) -> CSVResponse:
    return _csv(found)


@router.get("/api/metrics/filters", summary="What the figures can be filtered by, and today")
def filters(
    metrics: MetricsDep, zone: Zone, clock: ClockDep, settings: SettingsDep, _: Ops
) -> Filters:
    return Filters(
        skills=metrics.skills(),
        timezone=zone.key,
        today=clock.now().astimezone(zone).date().isoformat(),
        max_days=MAX_DAYS,
        durable_window_h=settings.durable_window_h,
    )
