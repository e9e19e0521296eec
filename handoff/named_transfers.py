"""A chat transferred to a colleague by name: who sent it, to whom, and how that colleague let
it go if they did. The routing pass gives such a chat back to the agent who sent it before it
becomes a ticket, and the offers it is offered in say so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conversations.events import Transferred
from conversations.store import ConversationStore
from handoff.agents import agent_name


@dataclass(frozen=True)
class Transfer:
    """Who transferred the chat to this offer's queue, and the note they left."""

    from_agent: dict[str, str | None]  # id and name
    note: str | None
    to_agent: dict[str, str | None] | None = None  # the colleague it was sent to by name, if any
    # How that colleague let it go, if they did: declined, expired (no answer) or withdrawn
    # (they went away or offline before answering).
    passed_on: str | None = None


def _named_offer(db: Any, conversation_id: str, agent_id: str, *, since: str) -> Any:
    """The latest offer of the chat to `agent_id` since `since` (not a pass mark): (id, status)."""
    return db.execute(
        "select id, status from offers where conversation_id = ? and agent_id = ?"
        " and created_at >= ? and expires_at is not null order by id desc limit 1",
        [conversation_id, agent_id, since],
    ).fetchone()


def named_offer_outcome(db: Any, conversation_id: str, agent_id: str, *, since: str) -> str | None:
    """How the colleague a chat was transferred to by name let it go since `since` (declined,
    expired or withdrawn), or None while it is on offer to them or once they took it."""
    row = _named_offer(db, conversation_id, agent_id, since=since)
    return row[1] if row and row[1] in ("declined", "expired", "withdrawn") else None


def give_back_to(db: Any, conversation_id: str, moved: dict[str, Any], *, since: str) -> str | None:
    """The agent who transferred the chat by name (`moved`, its latest transfer) to a
    colleague who then did not take it, if it has not been offered back to them since: nobody
    else left to offer it to, it goes back to them rather than becoming a ticket."""
    to = moved["to_agent_id"]
    named = None if to is None else _named_offer(db, conversation_id, to, since=since)
    if named is None or named[1] not in ("declined", "expired", "withdrawn"):
        return None
    by: str = moved["from_agent_id"]
    offered_back = db.execute(
        "select 1 from offers where conversation_id = ? and agent_id = ? and id > ?"
        " and expires_at is not null",
        [conversation_id, by, named[0]],
    ).fetchone()
    return None if offered_back else by


def transfer_of(
    db: Any, conversations: ConversationStore, conversation_id: str, *, since: str
) -> Transfer | None:
    """Who transferred the chat to the queue it waits in since `since`, if anyone."""
    moved = conversations.latest_event(conversation_id, Transferred, since=since)
    if moved is None:
        return None
    by, to = moved["from_agent_id"], moved["to_agent_id"]
    if to is None:
        return Transfer({"id": by, "name": agent_name(db, by)}, moved["note"])
    return Transfer(
        {"id": by, "name": agent_name(db, by)},
        moved["note"],
        {"id": to, "name": agent_name(db, to)},
        passed_on=named_offer_outcome(db, conversation_id, to, since=since),
    )
