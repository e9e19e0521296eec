"""The end of an agent's stint with a chat: its handle time recorded (the figures and the wait
estimates read it), and the agent idle from then on when they stay to take another."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conversations.events import ChatHandled, record


def record_handled(db: Any, row: dict[str, Any], outcome: str, at: str) -> None:
    """Record how long the assigned agent had the chat (`row`, the conversation), ending `at`."""
    started = datetime.fromisoformat(row["assigned_at"] or at)
    handled = (datetime.fromisoformat(at) - started).total_seconds()
    record(db, row["id"], ChatHandled(row["assigned_agent_id"], handled, outcome), at=at)


def end_stint(db: Any, row: dict[str, Any], outcome: str, at: str) -> None:
    """Record the handle time and free the agent (who is idle from now on)."""
    record_handled(db, row, outcome, at)
    db.table("agents").update(row["assigned_agent_id"], {"idle_since": at})
