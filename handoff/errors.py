"""Handoff errors; the API layer chooses their HTTP status codes (`handoff.api.ERRORS`)."""

from __future__ import annotations


class HandoffError(Exception):
    """Root of every handoff-side error."""


class AgentNotFound(HandoffError):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"no agent with id {agent_id!r}")


class OfferGone(HandoffError):
    """The chat was taken by someone else, or left the queue."""


class NoCapacity(HandoffError):
    """The agent is not online, or has no free slot."""


class NotOffered(HandoffError):
    """An agent tried to take a waiting chat that is not offered to them."""


class CannedNotFound(HandoffError):
    def __init__(self, shortcut: str) -> None:
        super().__init__(f"no canned response {shortcut!r}")


class RatingNotAllowed(HandoffError):
    pass


class TransferRefused(HandoffError):
    pass


class TicketError(HandoffError):
    pass


class TicketNotFound(TicketError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no ticket with id {ticket_id!r}")


class IllegalTicketMove(TicketError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a ticket that is '{current}' cannot become '{target}'")
