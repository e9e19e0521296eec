"""The ops figures over HTTP: for a date range, for each day of it, as CSV; optionally for one
skill. Days are calendar days in the business time zone (`CASCADE_BUSINESS_TIMEZONE`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from cascade.services import ServicesDep
from core.auth import Principal, Role
from core.deps import require
from ops.days import DayRange
from ops.errors import OpsError
from ops.export import filename, to_csv
from ops.metrics import Metrics

router = APIRouter(tags=["ops"])

Ops = Annotated[Principal, Depends(require(Role.OPS))]
Since = Annotated[
    str | None, Query(description="First day, YYYY-MM-DD; default 30 days before until")
]
Until = Annotated[str | None, Query(description="Last day, inclusive, YYYY-MM-DD; default today")]
Skill = Annotated[
    str | None, Query(max_length=64, description="Only contacts about this skill (topic)")
]
MAX_DAYS = 366  # one row per day: a year at a time


def _metrics(services: ServicesDep) -> Metrics:
    return Metrics(storage=services.storage, fcr_window_days=services.settings.fcr_window_days)


def _zone(services: ServicesDep) -> ZoneInfo:
    return ZoneInfo(services.settings.business_timezone)


def _daily(
    services: ServicesDep, since: str | None, until: str | None, skill: str | None
) -> dict[str, Any]:
    metrics = _metrics(services)
    skill = skill or None
    try:
        span = DayRange.from_query(
            since, until, zone=_zone(services), now=services.clock.now(), max_days=MAX_DAYS
        )
        metrics.check_skill(skill)
    except OpsError as exc:
        raise HTTPException(422, str(exc)) from None
    return metrics.daily(span, skill=skill)


def _csv(daily: dict[str, Any]) -> Response:
    return Response(
        to_csv(daily),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename(daily)}"'},
    )


@router.get(
    "/api/metrics", summary="FCR, containment, hand-overs, tickets, waits, CSAT, SLAs, gaps"
)
def metrics(
    services: ServicesDep, _: Ops, since: Since = None, until: Until = None, skill: Skill = None
) -> dict[str, Any]:
    metrics = _metrics(services)
    skill = skill or None
    try:
        span = DayRange.from_query(since, until, zone=_zone(services), now=services.clock.now())
        metrics.check_skill(skill)
    except OpsError as exc:
        raise HTTPException(422, str(exc)) from None
    return {
        **metrics.figures(since=span.since, until=span.until, skill=skill),
        "timezone": span.zone.key,
    }


@router.get("/api/metrics/daily", summary="The same figures for each day, and for the whole range")
def daily(
    services: ServicesDep,
    _: Ops,
    since: Since = None,
    until: Until = None,
    skill: Skill = None,
    format: Annotated[Literal["json", "csv"], Query(description="csv: a download")] = "json",
) -> Any:
    found = _daily(services, since, until, skill)
    return _csv(found) if format == "csv" else found


@router.get(
    "/api/metrics.csv",
    summary="The daily figures as CSV: one row per day and a total row",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def metrics_csv(
    services: ServicesDep, _: Ops, since: Since = None, until: Until = None, skill: Skill = None
) -> Response:
    return _csv(_daily(services, since, until, skill))


@router.get("/api/metrics/filters", summary="What the figures can be filtered by, and today")
def filters(services: ServicesDep, _: Ops) -> dict[str, Any]:
    zone = _zone(services)
    return {
        "skills": _metrics(services).skills(),
        "timezone": zone.key,
        "today": services.clock.now().astimezone(zone).date().isoformat(),
        "max_days": MAX_DAYS,
    }
