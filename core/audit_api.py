"""`GET /api/audit` (admin): the audit log of staff actions, newest first, filtered, a page at a
time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from core.audit import AuditLog
from core.auth import Principal, Role
from core.clock import iso
from core.db import MAX_ID
from core.deps import provided, require

router = APIRouter(prefix="/api/audit", tags=["auth"])

AuditDep = Annotated[AuditLog, Depends(provided(AuditLog))]


class AuditEntry(BaseModel):
    id: int
    at: str = Field(description="When, ISO 8601 in UTC")
    role: str = Field(description='"admin", or the role(s) of the token used')
    subject: str = Field(description="The agent's id, the staff member's name, or \"admin\"")
    method: str
    route: str = Field(description="The route's template, e.g. /api/tickets/{ticket_id}")
    targets: dict[str, str] = Field(description="The ids in the path, by parameter name")
    status: int = Field(description="The HTTP status the request was answered with")


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_before: int | None = Field(
        description="Pass as `before` for the next, older page; null on the last page"
    )


def _instant(value: str | None, name: str) -> str | None:
    """An ISO date or date-time (UTC when it names no zone), as the log writes instants."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name} must be an ISO 8601 date or date-time") from None
    try:
        return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except OverflowError:  # 0001-01-01T00:00+01:00 is a moment before year 1 in UTC
        raise HTTPException(422, f"{name} is out of range") from None


@router.get("", summary="Staff actions, newest first (admin)")
def audit(
    log: AuditDep,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
    who: Annotated[
        str | None, Query(max_length=200, description='An agent id, a staff name or "admin"')
    ] = None,
    role: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=40, description="From this instant")] = None,
    until: Annotated[str | None, Query(max_length=40, description="Up to this instant")] = None,
    method: Annotated[str | None, Query(max_length=10)] = None,
    route: Annotated[
        str | None, Query(max_length=200, description="Part of the route's template")
    ] = None,
    target: Annotated[
        str | None, Query(max_length=200, description="An id in the path: a ticket, a chat")
    ] = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only entries older than this id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    rows = log.find(
        who=who,
        role=role,
        since=_instant(since, "since"),
        until=_instant(until, "until"),
        method=method,
        route=route,
        target=target,
        before=before,
        limit=limit + 1,
    )
    page = [AuditEntry.model_validate(row) for row in rows[:limit]]
    return AuditPage(entries=page, next_before=page[-1].id if len(rows) > limit else None)
