"""HTTP routes of the live-agent tier, and the status code each handoff error answers with.

The routers live by subject: `agents_api` (agents, their offers and chats), `desk_api` (an
agent's actions on a chat), `canned_api`, `tickets_api` and `queue_api` (the line, for
supervisors).
"""

from __future__ import annotations

from handoff.agents_api import router
from handoff.canned_api import router as canned_router
from handoff.desk_api import router as desk_router
from handoff.errors import (
    AgentNotFound,
    CannedNotFound,
    IllegalTicketMove,
    NoCapacity,
    NotOffered,
    OfferGone,
    RatingNotAllowed,
    TicketNotFound,
    TransferRefused,
)
from handoff.queue_api import router as queue_router
from handoff.tickets_api import router as tickets_router

__all__ = ["ERRORS", "ROUTERS"]

# In the order the app matches them.
ROUTERS = (router, desk_router, canned_router, tickets_router, queue_router)

ERRORS: dict[type[Exception], int] = {
    AgentNotFound: 404,
    OfferGone: 409,
    NoCapacity: 409,
    NotOffered: 403,
    CannedNotFound: 404,
    RatingNotAllowed: 409,
    TransferRefused: 409,
    TicketNotFound: 404,
    IllegalTicketMove: 409,
}
