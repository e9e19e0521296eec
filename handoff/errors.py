"""Handoff errors; the API layer chooses their HTTP status codes."""

from __future__ import annotations


class HandoffError(Exception):
    """Root of every handoff-side error."""


class ConversationNotFound(HandoffError):
    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"no conversation with id {conversation_id!r}")


class IllegalTransition(HandoffError):
    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(f"a conversation that is '{current}' cannot become '{target}'")


class ConversationClosed(HandoffError):
    def __init__(self, conversation_id: str, status: str) -> None:
        self.status = status
        super().__init__(
            f"conversation {conversation_id} is {status}; start a new conversation to write again"
        )


class AgentNotFound(HandoffError):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"no agent with id {agent_id!r}")


class NotAssigned(HandoffError):
    """An agent tried to act on a conversation another agent (or the bot) owns."""

    def __init__(self, conversation_id: str, status: str) -> None:
        super().__init__(f"conversation {conversation_id} is {status} and not assigned to you")
