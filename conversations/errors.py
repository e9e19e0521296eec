"""Conversation errors; the API layer chooses their HTTP status codes."""

from __future__ import annotations


class ConversationError(Exception):
    """Root of every conversation-side error."""


class ConversationNotFound(ConversationError):
    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"no conversation with id {conversation_id!r}")


class IllegalTransition(ConversationError):
    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(f"a conversation that is '{current}' cannot become '{target}'")


class NotAssigned(ConversationError):
    """Someone tried to act on a conversation another agent (or the bot) owns."""

    def __init__(self, conversation_id: str, status: str) -> None:
        super().__init__(f"conversation {conversation_id} is {status} and not assigned to you")
