"""Agents: who they are, what they know (skills with levels), how much they can take."""

from __future__ import annotations

import json
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from core.auth import Role, TokenStore
from core.clock import Clock, iso
from core.db import Storage
from handoff.errors import AgentNotFound


class AgentStatus(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class AgentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    skills: dict[str, int] = Field(default_factory=dict)
    max_concurrent: int = Field(default=3, ge=1, le=50)

    @field_validator("skills")
    @classmethod
    def _levels(cls, skills: dict[str, int]) -> dict[str, int]:
        for skill, level in skills.items():
            if not skill.strip():
                raise ValueError("skill names must not be blank")
            if not 1 <= level <= 5:
                raise ValueError(f"skill {skill!r}: level must be 1 to 5, not {level}")
        return skills


class AgentOut(BaseModel):
    """An agent as the service and its routes show it (never its token)."""

    id: str
    name: str
    skills: dict[str, int]
    max_concurrent: int
    status: AgentStatus


def agent_view(row: dict[str, Any]) -> AgentOut:
    return AgentOut(
        id=row["id"],
        name=row["name"],
        skills=json.loads(row["skills"]),
        max_concurrent=row["max_concurrent"],
        status=row["status"],
    )


class AgentService:
    def __init__(self, *, storage: Storage, tokens: TokenStore, clock: Clock) -> None:
        self.storage = storage
        self.tokens = tokens
        self.clock = clock

    def create(self, agent: AgentIn) -> tuple[AgentOut, str]:
        now = iso(self.clock.now())
        agent_id = uuid.uuid4().hex[:12]
        with self.storage.write() as db:
            db.table("agents").insert(
                {
                    "id": agent_id,
                    "name": agent.name,
                    "skills": json.dumps(agent.skills),
                    "max_concurrent": agent.max_concurrent,
                    "status": AgentStatus.OFFLINE.value,
                    "created_at": now,
                    "status_changed_at": now,
                }
            )
            token = self.tokens.issue(Role.AGENT, agent_id, at=now)
        return self.get(agent_id), token

    def get(self, agent_id: str) -> AgentOut:
        rows = list(self.storage.db.query("select * from agents where id = ?", [agent_id]))
        if not rows:
            raise AgentNotFound(agent_id)
        return agent_view(rows[0])

    def all(self) -> list[AgentOut]:
        return [
            agent_view(row) for row in self.storage.db.query("select * from agents order by name")
        ]

    def set_status(self, agent_id: str, status: AgentStatus) -> AgentOut:
        self.get(agent_id)
        now = iso(self.clock.now())
        changes = {"status": status.value, "status_changed_at": now}
        if status is AgentStatus.ONLINE:
            changes["idle_since"] = now
        with self.storage.write() as db:
            db.table("agents").update(agent_id, changes)
        return self.get(agent_id)
