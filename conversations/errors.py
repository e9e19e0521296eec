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


class ClientIdReused(ConversationError):
    """A `client_id` sent again with other words: a retry repeats its message, so this is a
    second message under the first one's id, which would otherwise be dropped unseen."""

    def __init__(self, client_id: str) -> None:
        super().__init__(
            f"client_id {client_id[:100]!r} was already used for another message in this"
            " conversation: give each message its own client_id"
        )


class ChatFull(ConversationError):
    """The customer has written as many messages in this chat as one chat takes."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"this chat holds the most messages from the customer one chat takes ({limit}):"
            " start a new chat to go on"
        )


class NotAssigned(ConversationError):
    """Someone tried to act on a conversation another agent (or the bot) owns."""

    def __init__(self, conversation_id: str, status: str) -> None:
        super().__init__(f"conversation {conversation_id} is {status} and not assigned to you")


class ConversationMoved(ConversationError):
    """The conversation is no longer as the caller found it: another change (an agent's accept,
    the idle limit, the customer) came first. Nothing was changed."""

    def __init__(
        self,
        conversation_id: str,
        *,
        status: str,
        owner: str | None,
        expected: tuple[str, ...],
        expected_owner: str | None,
    ) -> None:
        self.conversation_id = conversation_id
        self.status = status
        self.owner = owner
        if status not in expected:
            wanted = " or ".join(f"'{one}'" for one in expected)
            now = f"is '{status}' now, not {wanted}"
        else:
            now = f"is with {_agent(owner)} now, not {_agent(expected_owner)}"
        super().__init__(f"conversation {conversation_id} {now}, so nothing was changed")


def _agent(agent_id: str | None) -> str:
    return f"agent {agent_id}" if agent_id else "no agent"
