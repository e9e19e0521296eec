"""Staff who are not agents: editors (the knowledge base), ops (the figures) and supervisors
(every agent's chats and tickets: `docs/production/access.md`).

Each gets a token holding only their role; the token's subject is their name, which is what an
article's history shows as the author of a change. Agents are created under /api/agents.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from core.auth import Principal, Role
from core.clock import iso
from core.deps import ClockDep, TokensDep, require

router = APIRouter(prefix="/api/staff", tags=["auth"])


class StaffIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    role: Literal["editor", "ops", "supervisor"]


class StaffOut(BaseModel):
    name: str
    role: Literal["editor", "ops", "supervisor"]
    token: str = Field(description="Shown once: only its hash is kept")


@router.post(
    "",
    status_code=201,
    summary="Issue a token for an editor, an ops member or a supervisor (admin)",
)
def add_staff(
    body: StaffIn,
    tokens: TokensDep,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> StaffOut:
    token = tokens.issue(Role(body.role), body.name.strip(), at=iso(clock.now()))
    return StaffOut(name=body.name.strip(), role=body.role, token=token)
