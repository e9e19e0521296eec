"""Handoff errors; the API layer chooses their HTTP status codes."""

from __future__ import annotations


class HandoffError(Exception):
    """Root of every handoff-side error."""


class AgentNotFound(HandoffError):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"no agent with id {agent_id!r}")
