"""HTTP route for the line of chats waiting for a person, for supervisors and ops: what the
console's Team view shows of the queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from core.auth import Principal, Role
from core.deps import require
from handoff.api_common import QueueDep

router = APIRouter(prefix="/api/queue", tags=["agents"])

SupervisorOrOps = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.OPS))]


class InLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    conversation_id: str
    customer_name: str | None
    language: str
    skill: str
    priority: str
    reason: str | None = Field(description="Why the chat was handed over")
    queued_at: str
    waited_s: int = Field(description="Seconds it has waited in line this time")
    position: int | None = Field(
        description="Its place among chats in its language needing the same skill"
    )
    estimated_wait_s: int | None = Field(
        description="The wait its customer is shown, in seconds: 0 while it is on offer, null"
        " when nobody online may take it"
    )
    offered_to: dict[str, str | None] | None = Field(
        description="The agent it is on offer to now (id and name), if any"
    )
    passed_on_by: list[dict[str, str | None]] = Field(
        description="Agents who declined it, let its offer lapse or transferred it away while"
        " it waits"
    )


@router.get("", summary="The chats waiting for a person now, in queue order")
def line(queue: QueueDep, _: SupervisorOrOps) -> list[InLineOut]:
    return [InLineOut.model_validate(chat) for chat in queue.line()]
