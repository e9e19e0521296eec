"""What `GET /health` reports: the database, free disk in the data directory, the outbox's
backlog, and Rasa.

`status` is "ok" when nothing needs an operator, "degraded" when something does (little free
disk, dead letters in the outbox); the answer is HTTP 200 either way, so load balancers keep
sending traffic to an app that still serves. When the database does not answer the app can
serve nothing: the answer is then HTTP 503 (still this shape), so a load balancer takes it out.
Rasa down does not degrade the status: chats go to people then, as designed; `rasa` says so.
"""

from __future__ import annotations

import shutil
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from core.db import Storage
from core.settings import Settings
from handoff.outbox import Outbox

MB = 1024 * 1024


class Disk(BaseModel):
    free_bytes: int = Field(description="Free space on the data directory's disk")
    low: bool = Field(description="Less than CASCADE_FREE_DISK_WARNING_MB is free")


class OutboxBacklog(BaseModel):
    pending: int = Field(description="Emails and webhooks waiting to go out")
    due: int = Field(description="Of those, the ones whose time has come")
    dead: int = Field(description="Given up on: `cascade outbox retry` sends them again")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    rasa: Literal["up", "down"]
    database: Literal["ok", "error"] = "ok"
    disk: Disk | None = Field(default=None, description="Null when it cannot be read")
    outbox: OutboxBacklog | None = Field(
        default=None, description="Null when the database does not answer"
    )
    problems: list[str] = Field(
        default_factory=list, description="What makes the status degraded, in words"
    )


def check(*, storage: Storage, outbox: Outbox, settings: Settings, rasa_up: bool) -> Health:
    """Every check but Rasa's (given), each on its own: one failing never hides the others."""
    problems: list[str] = []
    database: Literal["ok", "error"] = "ok"
    backlog = None
    try:
        storage.db.execute("select 1").fetchone()
        found = outbox.backlog()
        backlog = OutboxBacklog(pending=found.pending, due=found.due, dead=found.dead)
    except SQLAlchemyError as exc:
        database = "error"
        # The driver's own words (disk I/O error, connection refused), without the statement.
        problems.append(f"the database does not answer: {getattr(exc, 'orig', None) or exc}")
    if backlog is not None and backlog.dead:
        problems.append(f"{backlog.dead} outbox messages are dead (`cascade outbox list --dead`)")
    disk = None
    try:
        free = shutil.disk_usage(settings.data_dir).free
        disk = Disk(free_bytes=free, low=free < settings.free_disk_warning_mb * MB)
        if disk.low:
            problems.append(f"{free // MB} MB free in {settings.data_dir}")
    except OSError as exc:
        problems.append(f"free disk unknown: {exc}")
    return Health(
        status="degraded" if problems else "ok",
        rasa="up" if rasa_up else "down",
        database=database,
        disk=disk,
        outbox=backlog,
        problems=problems,
    )
