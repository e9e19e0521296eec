"""GET /api/metrics: the ops figures for a date range, optionally for one skill."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from cascade.auth import Principal, Role
from cascade.clock import iso
from cascade.deps import ServicesDep, require
from ops.metrics import Metrics

router = APIRouter(prefix="/api/metrics", tags=["ops"])


@router.get("", summary="FCR, containment, hand-overs, tickets, waits, CSAT, SLAs, gaps")
def metrics(
    services: ServicesDep,
    _: Annotated[Principal, Depends(require(Role.OPS))],
    since: Annotated[date | None, Query(description="First day (UTC), default 30 days ago")] = None,
    until: Annotated[
        date | None, Query(description="Last day (UTC), inclusive; default today")
    ] = None,
    skill: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    for given in (since, until):
        if given is not None and not date(2000, 1, 1) <= given <= date(2999, 12, 30):
            raise HTTPException(422, "dates must lie between 2000-01-01 and 2999-12-30")
    today = services.clock.now().astimezone(UTC).date()
    last = until or today
    first = since or last - timedelta(days=29)
    if first > last:
        raise HTTPException(422, "since must not be after until")
    start = datetime.combine(first, datetime.min.time(), UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    figures = Metrics(
        storage=services.storage, fcr_window_days=services.settings.fcr_window_days
    ).figures(since=iso(start), until=iso(end), skill=skill)
    return figures
