"""What filing a ticket and notifying a customer look like to the rest of the tier: the
queue and the desk file tickets through `TicketSink`, tickets notify through `Notifier` (the
outbox)."""

from __future__ import annotations

from typing import Any, Protocol

from conversations.states import Status


class TicketSink(Protocol):
    def file(
        self,
        conversation_id: str,
        *,
        reason: str,
        note: str | None = None,
        expect: Status = Status.QUEUED,
        owner: str | None = None,
    ) -> str: ...


class Notifier(Protocol):
    """The outbox, seen from here: email to customers and signed webhooks."""

    @property
    def sends_email(self) -> bool:
        """False when this server has no SMTP server: nothing may promise the customer email."""
        ...

    def enqueue_email(self, *, to: str, subject: str, body: str, topic: str) -> int | None: ...

    def enqueue_webhook(self, *, topic: str, payload: dict[str, Any]) -> list[int]: ...


class NoNotifier:
    sends_email = False

    def enqueue_email(self, *, to: str, subject: str, body: str, topic: str) -> int | None:
        return None

    def enqueue_webhook(self, *, topic: str, payload: dict[str, Any]) -> list[int]:
        return []
