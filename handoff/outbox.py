"""The notification outbox: customer email and signed webhooks, stored first and delivered later.

A change and the notification announcing it are written in one transaction, so neither exists
without the other. A worker calls `deliver_due()` on a timer; failures are retried with
exponential backoff and end in the dead-letter (status `dead`), where an operator can `retry()`.
Delivery is at least once: receivers tell repeats apart by the `X-Cascade-Delivery` header.

Each webhook attempt is signed afresh with the moment it is sent, as Stripe and Slack sign
theirs: `X-Cascade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The
timestamp is inside what is signed, so a receiver that refuses old timestamps refuses replays
(`verify_signature`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import smtplib
import ssl
import time
from dataclasses import dataclass, fields
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from conversations.links import ChatLinks, NoLinks
from conversations.locks import for_update
from core.clock import Clock, iso
from core.contact import ascii_address
from core.db import Database, Storage
from core.settings import Settings
from handoff.errors import HandoffError

log = logging.getLogger(__name__)

TICKET_SUBJECT = re.compile(r"\[(T-\d+)\] ")  # the ticket emails' subjects begin so


def thread_emails(message: EmailMessage, row: dict[str, Any], settings: Settings) -> None:
    """A ticket's emails in one thread of the customer's mail program: the first (filed) is
    the thread's start, with a Message-ID made from the ticket and this deployment's sender;
    the reply and solved emails point at it (In-Reply-To, References), as helpdesks do."""
    ticket = TICKET_SUBJECT.match(row["subject"] or "")
    if ticket is None:
        return
    seed = f"{settings.smtp_from}|{settings.public_url}|{ticket[1]}".encode()
    domain = settings.smtp_from.rpartition("@")[2] or "cascade.invalid"
    start = f"<ticket-{ticket[1]}.{hashlib.sha256(seed).hexdigest()[:16]}@{domain}>"
    if row["topic"] == "ticket.created":
        message.replace_header("Message-ID", start)
    else:
        message["In-Reply-To"] = start
        message["References"] = start


TIMEOUT_S = 10.0
# A claimed row is not picked up again for this long, so two workers never send it at once;
# a worker that dies mid-delivery only delays the row, it does not lose it.
LEASE_S = 300.0
SIGNATURE_VERSION = "v1"
# How old a signature's timestamp may be (or how far ahead of the receiver's clock) by default.
TOLERANCE_S = 300


class OutboxError(HandoffError):
    pass


class OutboxItemNotFound(OutboxError):
    def __init__(self, outbox_id: int) -> None:
        super().__init__(f"no outbox message with id {outbox_id}")


class NotDeadLetter(OutboxError):
    """Only a dead message can be retried; a sent one would go out twice."""

    def __init__(self, outbox_id: int, status: str) -> None:
        self.status = status
        super().__init__(f"outbox message {outbox_id} is {status}, not dead")


@dataclass(frozen=True)
class OutboxItem:
    """An email or webhook in the outbox, as an operator looks at it."""

    id: int
    kind: str  # email or webhook
    topic: str
    recipient: str  # an email address or a webhook URL
    subject: str | None
    body: str
    status: str  # pending, sent or dead
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    sent_at: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxItem:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class Backlog:
    pending: int  # waiting to go out (or to be tried again)
    due: int  # of those, the ones whose time has come
    dead: int  # given up on: `cascade outbox retry` sends them again


class DeliveryFailed(Exception):
    """Raised inside a delivery attempt; recorded on the row, never seen by callers."""


def sign(body: bytes, secret: str, *, timestamp: int) -> str:
    """The `X-Cascade-Signature` header for `body` sent at `timestamp` (Unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},{SIGNATURE_VERSION}={digest}"


def verify_signature(
    body: bytes,
    header: str,
    secret: str,
    *,
    tolerance_s: float = TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """For receivers: is `header` (X-Cascade-Signature) a signature of exactly these bytes,
    made within `tolerance_s` of `now` (Unix seconds; the receiver's clock by default)? An
    old one is a replay, refused even though its signature is good."""
    pairs = [part.strip().partition("=") for part in header.split(",")]
    timestamps = [value for key, _, value in pairs if key == "t"]
    signatures = [value for key, _, value in pairs if key == SIGNATURE_VERSION]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(body, secret, timestamp=timestamp).rpartition("=")[2]
    return any(hmac.compare_digest(expected.encode(), given.encode()) for given in signatures)


def short_error(exc: BaseException) -> str:
    text = str(exc).strip()
    kind = type(exc).__name__
    description = text if isinstance(exc, DeliveryFailed) else f"{kind}: {text}" if text else kind
    return description[:300]


class Outbox:
    def __init__(
        self, *, storage: Storage, clock: Clock, settings: Settings, links: ChatLinks | None = None
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.settings = settings
        self.links: ChatLinks = links or NoLinks()  # made as an email is sent, not before
        self._warned_unsigned = False

    # -- enqueueing (inside the caller's transaction, if any) ---------------------------------

    @property
    def sends_email(self) -> bool:
        return bool(self.settings.smtp_host)

    def enqueue_email(self, *, to: str, subject: str, body: str, topic: str) -> int | None:
        """Queue a plain-text email; None when no SMTP server is configured (email is off)."""
        if not self.sends_email:
            return None
        now = iso(self.clock.now())
        with self.storage.write() as db:
            return self._insert(db, self._row("email", topic, to, now, subject=subject, body=body))

    def enqueue_webhook(self, *, topic: str, payload: dict[str, Any]) -> list[int]:
        """Queue one signed POST per configured URL. The JSON body is fixed here, so every
        retry sends the same bytes (signed again with the time of that attempt)."""
        if not self.settings.webhook_urls:
            return []
        if self.settings.webhook_secret is None:
            if not self._warned_unsigned:
                log.warning("webhook_urls is set but webhook_secret is not; webhooks are off")
                self._warned_unsigned = True
            return []
        now = iso(self.clock.now())
        ids: list[int] = []
        with self.storage.write() as db:
            for url in self.settings.webhook_urls:
                row = self._row("webhook", topic, url, now, subject=None, body="")
                outbox_id = self._insert(db, row)
                event = {"event": topic, "id": outbox_id, "created_at": now, "data": payload}
                db.table("outbox").update(outbox_id, {"body": json.dumps(event)})
                ids.append(outbox_id)
        return ids

    @staticmethod
    def _insert(db: Database, row: dict[str, Any]) -> int:
        outbox_id = db.table("outbox").insert(row).last_pk
        assert isinstance(outbox_id, int)  # the integer primary key is always assigned
        return outbox_id

    @staticmethod
    def _row(
        kind: str, topic: str, recipient: str, now: str, *, subject: str | None, body: str
    ) -> dict[str, Any]:
        return {
            "kind": kind,
            "topic": topic,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "created_at": now,
            "sent_at": None,
        }

    # -- delivering -----------------------------------------------------------------------------

    def deliver_due(self) -> dict[str, int]:
        """Try every pending message that is due. Network I/O happens outside any transaction;
        each outcome is written on its own, so one slow receiver never holds the write lock."""
        counts = {"sent": 0, "retried": 0, "dead": 0}
        for row in self._claim_due():
            try:
                if row["kind"] == "email":
                    self._send_email(row)
                else:
                    self._post_webhook(row)
            except Exception as exc:  # any failure of one message is recorded, never raised
                counts[self._failed(row, exc)] += 1
            else:
                self._sent(row)
                counts["sent"] += 1
        return counts

    def _claim_due(self) -> list[dict[str, Any]]:
        now = self.clock.now()
        due = self.storage.db.execute(  # the timer's pass when nothing is due takes no lock
            "select exists(select 1 from outbox where status = 'pending' and next_attempt_at <= ?)",
            [iso(now)],
        ).fetchone()[0]
        if not due:
            return []
        with self.storage.write() as db:  # each worker claims the rows no other one holds
            rows = list(
                db.query(
                    "select * from outbox where status = 'pending' and next_attempt_at <= ?"
                    " order by next_attempt_at, id" + for_update(db, skip_locked=True),
                    [iso(now)],
                )
            )
            if rows:
                lease_until = iso(now + timedelta(seconds=LEASE_S))
                marks = ",".join("?" * len(rows))
                db.execute(
                    f"update outbox set next_attempt_at = ? where id in ({marks})",
                    [lease_until, *(row["id"] for row in rows)],
                )
        return rows

    def _send_email(self, row: dict[str, Any]) -> None:
        settings = self.settings
        if not settings.smtp_host:
            raise DeliveryFailed("smtp_host is not set")
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = ascii_address(row["recipient"])
        message["Subject"] = row["subject"] or ""
        message["Date"] = formatdate(self.clock.now().timestamp(), usegmt=True)
        domain = settings.smtp_from.rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=domain)
        thread_emails(message, row, settings)
        message.set_content(self.links.filled(row["body"]))
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = settings.smtp_password
                smtp.login(settings.smtp_username, password.get_secret_value() if password else "")
            smtp.send_message(message)

    def _post_webhook(self, row: dict[str, Any]) -> None:
        secret = self.settings.webhook_secret
        if secret is None:
            raise DeliveryFailed("webhook_secret is not set; webhooks are only sent signed")
        body = row["body"].encode()
        response = httpx.post(
            row["recipient"],
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Cascade-Event": row["topic"],
                "X-Cascade-Delivery": str(row["id"]),
                "X-Cascade-Signature": sign(
                    body,
                    secret.get_secret_value(),
                    timestamp=int(self.clock.now().timestamp()),
                ),
            },
            timeout=TIMEOUT_S,
        )
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} from {row['recipient']}")

    def _sent(self, row: dict[str, Any]) -> None:
        with self.storage.write() as db:
            db.execute(
                "update outbox set status = 'sent', sent_at = ? where id = ? and status = 'pending'",
                [iso(self.clock.now()), row["id"]],
            )

    def _failed(self, row: dict[str, Any], exc: Exception) -> str:
        """Record a failed attempt; returns "dead" or "retried" for the counts."""
        now = self.clock.now()
        attempts = row["attempts"] + 1
        error = short_error(exc)
        changes: dict[str, Any] = {"attempts": attempts, "last_error": error}
        outcome = "dead" if attempts >= self.settings.outbox_max_attempts else "retried"
        if outcome == "dead":
            changes["status"] = "dead"
            log.warning("outbox %s to %s is dead: %s", row["id"], row["recipient"], error)
        else:
            delay = self.settings.outbox_backoff_s * 2 ** (attempts - 1)
            changes["next_attempt_at"] = iso(now + timedelta(seconds=delay))
        assignments = ", ".join(f'"{column}" = :{column}' for column in changes)
        with self.storage.write() as db:  # only a row still pending (not sent meanwhile)
            db.execute(
                f"update outbox set {assignments} where id = :_id and status = 'pending'",
                {**changes, "_id": row["id"]},
            )
        return outcome

    # -- for operators --------------------------------------------------------------------------

    def newest(self) -> int:
        """The id of the newest message, sent or not (0: none yet)."""
        return int(self.storage.db.execute("select coalesce(max(id), 0) from outbox").fetchone()[0])

    def forget_pending(self, *, after: int) -> int:
        """Drop the messages queued since `after` (an id) and not yet sent: the demo's simulated
        fortnight, whose mail went to made-up customers, is not sent when the demo starts. How
        many."""
        with self.storage.write() as db:
            return db.execute(
                "delete from outbox where status = 'pending' and id > ?", [after]
            ).rowcount

    def _items(self, status: str) -> list[OutboxItem]:
        rows = self.storage.db.query("select * from outbox where status = ? order by id", [status])
        return [OutboxItem.from_row(row) for row in rows]

    def pending(self) -> list[OutboxItem]:
        return self._items("pending")

    def dead_letters(self) -> list[OutboxItem]:
        return self._items("dead")

    def listing(self, *, dead_only: bool = False) -> list[OutboxItem]:
        """What has not gone out: the pending messages and the dead letters (or only those)."""
        return self.dead_letters() if dead_only else self.pending() + self.dead_letters()

    def backlog(self) -> Backlog:
        """How many messages wait, how many of them are due now, and how many are dead."""
        row = self.storage.db.execute(
            "select count(*) filter (where status = 'pending'),"
            " count(*) filter (where status = 'pending' and next_attempt_at <= ?),"
            " count(*) filter (where status = 'dead') from outbox",
            [iso(self.clock.now())],
        ).fetchone()
        return Backlog(pending=row[0], due=row[1], dead=row[2])

    def retry_dead(self) -> list[int]:
        """Every dead letter gets a fresh set of attempts; their ids."""
        ids = [item.id for item in self.dead_letters()]
        for outbox_id in ids:
            self.retry(outbox_id)
        return ids

    def retry(self, outbox_id: int) -> None:
        """Give a dead message a fresh set of attempts, once the receiver is fixed."""
        with self.storage.write() as db:
            found = db.execute("select status from outbox where id = ?", [outbox_id]).fetchone()
            if found is None:
                raise OutboxItemNotFound(outbox_id)
            if found[0] != "dead":
                raise NotDeadLetter(outbox_id, found[0])
            db.table("outbox").update(
                outbox_id,
                {"status": "pending", "attempts": 0, "next_attempt_at": iso(self.clock.now())},
            )
