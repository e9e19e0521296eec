"""Agents: who they are, what they know (skills with levels, the languages they chat in), how
much they can take; and their removal, which keeps them on record for the chats they handled."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from core.auth import Role, TokenStore
from core.clock import Clock, iso
from core.contact import StaffName
from core.db import Storage
from core.language import DEFAULT, LANGUAGES
from core.skills import skill_name
from handoff.errors import AgentNotFound


class AgentStatus(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


def _levels(skills: dict[str, int]) -> dict[str, int]:
    for skill, level in skills.items():
        skill_name(skill)
        if not 1 <= level <= 5:
            raise ValueError(f"skill {skill!r}: level must be 1 to 5, not {level}")
    return skills


def _languages(languages: list[str]) -> list[str]:
    """Codes of `core.language.LANGUAGES`, each once, in the order given."""
    unknown = [code for code in languages if code not in LANGUAGES]
    if unknown:
        raise ValueError(
            f"unknown language {unknown[0]!r}: Cascade speaks {', '.join(sorted(LANGUAGES))}"
        )
    return list(dict.fromkeys(languages))


Skills = Annotated[dict[str, int], AfterValidator(_levels)]
Languages = Annotated[
    list[str],
    Field(
        min_length=1,
        description="The languages the agent chats in (codes such as en, ja): only chats in"
        " one of them are offered to the agent.",
    ),
    AfterValidator(_languages),
]


class AgentIn(BaseModel):
    name: StaffName = Field(min_length=1, max_length=200)
    skills: Skills = Field(default_factory=dict)
    max_concurrent: int = Field(default=3, ge=1, le=50)
    languages: Languages = Field(default_factory=lambda: [DEFAULT])


class AgentUpdate(BaseModel):
    """What an admin may change about an agent; what is left out stays as it is."""

    name: StaffName | None = Field(default=None, min_length=1, max_length=200)
    skills: Skills | None = None
    max_concurrent: int | None = Field(default=None, ge=1, le=50)
    languages: Languages | None = None


class AgentOut(BaseModel):
    """An agent as the service and its routes show it (never its token)."""

    id: str
    name: str
    skills: dict[str, int]
    max_concurrent: int
    status: AgentStatus
    languages: list[str]
    last_seen: str | None = Field(
        default=None,
        description="When the agent's console last sent a heartbeat (null: never, an agent "
        "driven only through the API, whom presence does not watch)",
    )
    away_reason: Literal["no_heartbeat", "missed_offers"] | None = Field(
        default=None,
        description="Why the server set the agent away: their console sent no heartbeat, or they"
        " let two offers in a row run out (null: the agent chose their status)",
    )


def _stored_languages(raw: str | None) -> list[str]:
    """An agent's stored languages (JSON); an agent stored without them speaks English."""
    return json.loads(raw) if raw else [DEFAULT]


def agent_name(db: Any, agent_id: str | None) -> str | None:
    """The agent's name as customers see it; None for an id no agent has (or None: an admin)."""
    if agent_id is None:
        return None
    row = db.execute("select name from agents where id = ?", [agent_id]).fetchone()
    return row[0] if row else None


def agent_languages(db: Any, agent_id: str) -> list[str]:
    """The languages the agent chats in (English for an id no agent has)."""
    row = db.execute("select languages from agents where id = ?", [agent_id]).fetchone()
    return _stored_languages(row[0] if row else None)


def agent_view(row: dict[str, Any]) -> AgentOut:
    return AgentOut(
        id=row["id"],
        name=row["name"],
        skills=json.loads(row["skills"]),
        max_concurrent=row["max_concurrent"],
        status=row["status"],
        languages=_stored_languages(row.get("languages")),
        last_seen=row.get("last_seen"),
        away_reason=row.get("away_reason"),
    )


class AgentService:
    def __init__(self, *, storage: Storage, tokens: TokenStore, clock: Clock) -> None:
        self.storage = storage
        self.tokens = tokens
        self.clock = clock

    def create(
        self, agent: AgentIn, *, token_expires_at: datetime | None = None
    ) -> tuple[AgentOut, str]:
        """The agent, offline, and their API token (never expiring unless `token_expires_at`)."""
        now = iso(self.clock.now())
        agent_id = uuid.uuid4().hex[:12]
        with self.storage.write() as db:
            db.table("agents").insert(
                {
                    "id": agent_id,
                    "name": agent.name,
                    "skills": json.dumps(agent.skills),
                    "max_concurrent": agent.max_concurrent,
                    "languages": json.dumps(agent.languages),
                    "status": AgentStatus.OFFLINE.value,
                    "created_at": now,
                    "status_changed_at": now,
                }
            )
            token = self.tokens.issue(Role.AGENT, agent_id, at=now, expires_at=token_expires_at)
        return self.get(agent_id), token

    def issue_token(self, agent_id: str, *, expires_at: datetime | None) -> str:
        """Another API token for the agent (the one made with them may be lost or revoked)."""
        self.get(agent_id)
        return self.tokens.issue(
            Role.AGENT, agent_id, at=iso(self.clock.now()), expires_at=expires_at
        )

    def get(self, agent_id: str) -> AgentOut:
        """An agent at work; a removed one is not found (their row stays for history)."""
        rows = list(
            self.storage.db.query(
                "select * from agents where id = ? and removed_at is null", [agent_id]
            )
        )
        if not rows:
            raise AgentNotFound(agent_id)
        return agent_view(rows[0])

    def all(self) -> list[AgentOut]:
        return [
            agent_view(row)
            for row in self.storage.db.query(
                "select * from agents where removed_at is null order by name"
            )
        ]

    def remove(self, agent_id: str) -> None:
        """Mark the agent removed and offline, and revoke every token of theirs at once. The
        row stays: past chats, notes and tickets go on naming who handled them. Their offers
        and chats are the queue's to give back (`handoff.leaving`)."""
        self.get(agent_id)
        now = iso(self.clock.now())
        with self.storage.write() as db:
            db.table("agents").update(
                agent_id,
                {
                    "removed_at": now,
                    "status": AgentStatus.OFFLINE.value,
                    "status_changed_at": now,
                },
            )
        self.tokens.revoke_subject(Role.AGENT, agent_id)

    def update(self, agent_id: str, changes: AgentUpdate) -> AgentOut:
        """Change an agent's name, skills, capacity or languages; chats they have stay theirs."""
        self.get(agent_id)
        given = changes.model_dump(exclude_none=True)
        stored = {
            key: json.dumps(value) if key in ("skills", "languages") else value
            for key, value in given.items()
        }
        if stored:
            with self.storage.write() as db:
                db.table("agents").update(agent_id, stored)
        return self.get(agent_id)

    def set_status(self, agent_id: str, status: AgentStatus) -> AgentOut:
        """Going online is a sign of life too: a watched agent (one whose console beats) has
        the whole presence timeout from here until their console's next heartbeat."""
        agent = self.get(agent_id)
        now = iso(self.clock.now())
        changes = {"status": status.value, "status_changed_at": now, "away_reason": None}
        if status is AgentStatus.ONLINE:
            changes["idle_since"] = now
            if agent.last_seen is not None:
                changes["last_seen"] = now
        with self.storage.write() as db:
            db.table("agents").update(agent_id, changes)
        return self.get(agent_id)
