"""HTTP route for the outbox's backlog, for admins (the same as `cascade outbox list`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from core.deps import provided
from handoff.api_common import Admin
from handoff.outbox import Outbox

router = APIRouter(prefix="/api/outbox", tags=["outbox"])


class OutboxItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    topic: str
    recipient: str
    subject: str | None
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str


@router.get("", summary="Emails and webhooks not sent yet (pending), and dead letters")
def outbox_list(
    outbox: Annotated[Outbox, Depends(provided(Outbox))],
    _: Admin,
    dead: Annotated[bool, Query(description="Only the dead letters")] = False,
) -> list[OutboxItemOut]:
    """Their bodies are left out; `cascade outbox retry` sends dead letters again."""
    return [OutboxItemOut.model_validate(item) for item in outbox.listing(dead_only=dead)]
