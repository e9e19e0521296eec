"""The outbox against real servers on loopback: an aiosmtpd SMTP server and an HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from core.clock import ManualClock
from core.db import Database, Storage
from core.settings import Settings
from handoff.outbox import NotDeadLetter, Outbox, OutboxItemNotFound, verify_signature
from tests.helpers import Mailbox, Receiver, free_port, wait_until

SECRET = "s3cret"


@pytest.fixture
def make_outbox(tmp_path: Path, storage: Storage, clock: ManualClock) -> Callable[..., Outbox]:
    def make(**overrides: Any) -> Outbox:
        options: dict[str, Any] = {
            "data_dir": tmp_path,
            "smtp_host": "127.0.0.1",
            "smtp_port": free_port(),
            "webhook_urls": [],
            "webhook_secret": SECRET,
            "outbox_max_attempts": 3,
            "outbox_backoff_s": 10,
        }
        return Outbox(storage=storage, clock=clock, settings=Settings(**{**options, **overrides}))

    return make


def row(outbox: Outbox, outbox_id: int) -> dict[str, Any]:
    return next(
        r for r in outbox.storage.db.query("select * from outbox where id = ?", [outbox_id])
    )


NOTHING = {"sent": 0, "retried": 0, "dead": 0}


# -- email ------------------------------------------------------------------------------------


def test_the_customer_receives_the_email(
    mailbox: tuple[Mailbox, int], make_outbox: Callable[..., Outbox]
) -> None:
    handler, port = mailbox
    outbox = make_outbox(smtp_port=port, smtp_from="help@shop.example")
    outbox_id = outbox.enqueue_email(
        to="zoe@customer.example",
        subject="Ticket T-1001: we're on it, Zoë",
        body="Hi Zoë,\n\nWe've filed ticket T-1001 and will reply here within a day.\n",
        topic="ticket.created",
    )
    assert outbox_id is not None
    assert handler.envelopes == []  # nothing goes out until the worker runs

    assert outbox.deliver_due() == {"sent": 1, "retried": 0, "dead": 0}

    envelope = wait_until(lambda: handler.envelopes, what="the email")[0]
    assert envelope.rcpt_tos == ["zoe@customer.example"]
    assert envelope.mail_from == "help@shop.example"
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "zoe@customer.example"
    assert message["From"] == "help@shop.example"
    assert message["Subject"] == "Ticket T-1001: we're on it, Zoë"
    assert "We've filed ticket T-1001" in message.get_content()
    assert "Hi Zoë," in message.get_content()
    sent = row(outbox, outbox_id)
    assert sent["status"] == "sent"
    assert sent["sent_at"] is not None
    assert outbox.pending() == []
    assert outbox.deliver_due() == NOTHING  # sent once, never again
    assert len(handler.envelopes) == 1


def test_no_smtp_host_means_no_email_is_queued(make_outbox: Callable[..., Outbox]) -> None:
    outbox = make_outbox(smtp_host=None)
    queued = outbox.enqueue_email(
        to="zoe@customer.example", subject="Hello", body="Hi", topic="ticket.created"
    )
    assert queued is None
    assert outbox.pending() == []
    assert outbox.deliver_due() == NOTHING


def test_unreachable_mail_server_is_retried_then_dead_lettered(
    make_outbox: Callable[..., Outbox], clock: ManualClock
) -> None:
    outbox = make_outbox(smtp_port=free_port())  # nothing listens there
    outbox_id = outbox.enqueue_email(
        to="zoe@customer.example", subject="Hello", body="Hi", topic="ticket.created"
    )
    assert outbox_id is not None
    assert outbox.deliver_due() == {"sent": 0, "retried": 1, "dead": 0}
    assert "Connection" in row(outbox, outbox_id)["last_error"]
    clock.advance(seconds=10)
    assert outbox.deliver_due() == {"sent": 0, "retried": 1, "dead": 0}
    clock.advance(seconds=20)
    assert outbox.deliver_due() == {"sent": 0, "retried": 0, "dead": 1}
    assert [r.id for r in outbox.dead_letters()] == [outbox_id]


def test_an_email_another_worker_has_claimed_is_left_to_it(
    mailbox: tuple[Mailbox, int], make_outbox: Callable[..., Outbox], storage: Storage
) -> None:
    """Several replicas deliver from one outbox: a row another worker's claim holds is skipped,
    not sent a second time, and goes out once that claim ends without sending it."""
    if storage.dialect != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    handler, port = mailbox
    outbox = make_outbox(smtp_port=port)
    held, free = (
        outbox.enqueue_email(to=to, subject="Hello", body="Hi", topic="ticket.created")
        for to in ("held@customer.example", "free@customer.example")
    )
    with storage.engine.connect() as connection, ThreadPoolExecutor(1) as worker:
        other = Database(storage.engine, connection)  # another replica, in its claim
        other.execute("BEGIN")
        other.execute("select id from outbox where id = ? for update", [held])
        delivering = worker.submit(outbox.deliver_due)
        try:
            delivered = delivering.result(timeout=60)  # it never waits for the held row
        finally:
            other.execute("ROLLBACK")  # that worker died before it sent anything
    assert delivered == {"sent": 1, "retried": 0, "dead": 0}
    envelope = wait_until(lambda: handler.envelopes, what="the free email")[0]
    assert envelope.rcpt_tos == ["free@customer.example"]
    assert [item.id for item in outbox.pending()] == [held]
    assert outbox.deliver_due() == {"sent": 1, "retried": 0, "dead": 0}
    wait_until(lambda: len(handler.envelopes) == 2, what="the held email")
    assert [e.rcpt_tos for e in handler.envelopes] == [
        ["free@customer.example"],
        ["held@customer.example"],
    ]
    assert free is not None and row(outbox, free)["status"] == "sent"


# -- webhooks ---------------------------------------------------------------------------------


def test_webhook_is_posted_and_signed(
    receiver: Receiver, make_outbox: Callable[..., Outbox], clock: ManualClock
) -> None:
    outbox = make_outbox(webhook_urls=[receiver.url])
    payload = {"ticket_id": "T-1001", "status": "new", "customer_email": "zoe@customer.example"}
    [outbox_id] = outbox.enqueue_webhook(topic="ticket.created", payload=payload)

    assert outbox.deliver_due() == {"sent": 1, "retried": 0, "dead": 0}

    [(headers, body)] = receiver.requests
    assert json.loads(body) == {
        "event": "ticket.created",
        "id": outbox_id,
        "created_at": "2026-01-05T09:00:00.000+00:00",
        "data": payload,
    }
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Cascade-Event"] == "ticket.created"
    assert headers["X-Cascade-Delivery"] == str(outbox_id)
    signature = headers["X-Cascade-Signature"]
    sent_at = int(clock.now().timestamp())  # when it was sent, in Unix seconds
    assert signature.startswith(f"t={sent_at},v1=")
    # What any receiver computes by hand: the HMAC of "<timestamp>.<body>".
    expected = hmac.new(SECRET.encode(), f"{sent_at}.".encode() + body, hashlib.sha256)
    assert signature == f"t={sent_at},v1={expected.hexdigest()}"
    assert verify_signature(body, signature, SECRET, now=sent_at + 1)
    assert not verify_signature(body, signature, "another secret", now=sent_at + 1)
    tampered = body.replace(b"T-1001", b"T-1002")
    assert tampered != body
    assert not verify_signature(tampered, signature, SECRET, now=sent_at + 1)
    # A replay: the same request, sent again later. Its signature is good, its time is not.
    assert verify_signature(body, signature, SECRET, now=sent_at + 300)
    assert not verify_signature(body, signature, SECRET, now=sent_at + 301)
    assert not verify_signature(body, signature, SECRET, tolerance_s=60, now=sent_at + 61)
    # Nor can a replay pass for new by changing the timestamp: it is part of what is signed.
    later = signature.replace(f"t={sent_at}", f"t={sent_at + 3600}")
    assert not verify_signature(body, later, SECRET, now=sent_at + 3600)
    assert not verify_signature(body, "sha256=" + expected.hexdigest(), SECRET, now=sent_at)
    assert row(outbox, outbox_id)["status"] == "sent"


def test_one_webhook_per_url(receiver: Receiver, make_outbox: Callable[..., Outbox]) -> None:
    outbox = make_outbox(webhook_urls=[receiver.url, receiver.url + "?copy=2"])
    ids = outbox.enqueue_webhook(topic="ticket.solved", payload={"ticket_id": "T-7"})
    assert len(ids) == 2
    assert outbox.deliver_due()["sent"] == 2
    assert sorted(h["X-Cascade-Delivery"] for h, _ in receiver.requests) == sorted(map(str, ids))


def test_webhooks_are_not_queued_without_a_secret(
    receiver: Receiver, make_outbox: Callable[..., Outbox], caplog: pytest.LogCaptureFixture
) -> None:
    outbox = make_outbox(webhook_urls=[receiver.url], webhook_secret=None)
    with caplog.at_level(logging.WARNING, logger="handoff.outbox"):
        assert outbox.enqueue_webhook(topic="ticket.created", payload={"ticket_id": "T-1"}) == []
        assert outbox.enqueue_webhook(topic="ticket.updated", payload={"ticket_id": "T-1"}) == []
    assert outbox.pending() == []
    assert outbox.deliver_due() == NOTHING
    assert receiver.requests == []
    warnings = [r for r in caplog.records if "webhook_secret" in r.getMessage()]
    assert len(warnings) == 1  # said once, not on every event


def test_failed_webhook_is_retried_with_backoff(
    receiver: Receiver, make_outbox: Callable[..., Outbox], clock: ManualClock
) -> None:
    receiver.statuses = [500, 500]
    outbox = make_outbox(webhook_urls=[receiver.url])
    [outbox_id] = outbox.enqueue_webhook(topic="ticket.updated", payload={"ticket_id": "T-9"})

    assert outbox.deliver_due() == {"sent": 0, "retried": 1, "dead": 0}
    first = row(outbox, outbox_id)
    assert first["status"] == "pending"
    assert first["attempts"] == 1
    assert first["last_error"].startswith("HTTP 500")
    assert first["next_attempt_at"] == "2026-01-05T09:00:10.000+00:00"

    assert outbox.deliver_due() == NOTHING  # the backoff has not passed
    clock.advance(seconds=9.9)
    assert outbox.deliver_due() == NOTHING
    assert len(receiver.requests) == 1

    clock.advance(seconds=0.1)
    assert outbox.deliver_due() == {"sent": 0, "retried": 1, "dead": 0}
    assert len(receiver.requests) == 2
    assert row(outbox, outbox_id)["next_attempt_at"] == "2026-01-05T09:00:30.000+00:00"  # 20 s

    clock.advance(seconds=19)
    assert outbox.deliver_due() == NOTHING
    clock.advance(seconds=1)
    assert outbox.deliver_due() == {"sent": 1, "retried": 0, "dead": 0}

    assert len(receiver.requests) == 3
    bodies = {body for _, body in receiver.requests}
    deliveries = {headers["X-Cascade-Delivery"] for headers, _ in receiver.requests}
    assert len(bodies) == 1 and deliveries == {str(outbox_id)}  # the same bytes each time
    # Each attempt is signed at the time it is sent: 09:00:00, 09:00:10, 09:00:30.
    start = int(clock.now().timestamp()) - 30
    attempts = zip(receiver.requests, (start, start + 10, start + 30), strict=True)
    for (headers, body), sent_at in attempts:
        signature = headers["X-Cascade-Signature"]
        assert signature.startswith(f"t={sent_at},")
        assert verify_signature(body, signature, SECRET, now=sent_at)
    done = row(outbox, outbox_id)
    assert done["status"] == "sent"
    assert done["attempts"] == 2  # failed attempts


def test_undeliverable_webhook_is_dead_lettered_and_can_be_retried(
    receiver: Receiver, make_outbox: Callable[..., Outbox], clock: ManualClock
) -> None:
    receiver.statuses = [503, 503, 503]
    outbox = make_outbox(webhook_urls=[receiver.url])
    [outbox_id] = outbox.enqueue_webhook(topic="ticket.created", payload={"ticket_id": "T-3"})

    results = []
    for wait in (0, 10, 20):
        clock.advance(seconds=wait)
        results.append(outbox.deliver_due())
    assert results == [
        {"sent": 0, "retried": 1, "dead": 0},
        {"sent": 0, "retried": 1, "dead": 0},
        {"sent": 0, "retried": 0, "dead": 1},
    ]
    [dead] = outbox.dead_letters()
    assert dead.id == outbox_id
    assert dead.attempts == 3
    assert "HTTP 503" in dead.last_error
    assert outbox.pending() == []

    clock.advance(hours=1)
    assert outbox.deliver_due() == NOTHING  # the dead stay dead until an operator acts
    assert len(receiver.requests) == 3

    outbox.retry(outbox_id)  # the receiver answers 200 from now on
    again = row(outbox, outbox_id)
    assert (again["status"], again["attempts"]) == ("pending", 0)
    assert outbox.dead_letters() == []
    assert outbox.deliver_due() == {"sent": 1, "retried": 0, "dead": 0}
    assert len(receiver.requests) == 4
    assert row(outbox, outbox_id)["status"] == "sent"

    with pytest.raises(NotDeadLetter):
        outbox.retry(outbox_id)  # a sent message is never sent twice
    with pytest.raises(OutboxItemNotFound):
        outbox.retry(999)


# -- in the caller's transaction --------------------------------------------------------------


def test_enqueueing_is_atomic_with_the_callers_change(
    receiver: Receiver, make_outbox: Callable[..., Outbox], storage: Storage
) -> None:
    outbox = make_outbox(webhook_urls=[receiver.url])

    with pytest.raises(RuntimeError), storage.write() as db:
        db.table("canned").insert({"shortcut": "/hi", "text": "Hello!", "created_at": "now"})
        outbox.enqueue_email(to="a@customer.example", subject="S", body="B", topic="t")
        outbox.enqueue_webhook(topic="canned.created", payload={"shortcut": "/hi"})
        raise RuntimeError("the change failed")
    assert outbox.pending() == []  # rolled back with the change: nothing announced
    assert storage.db.execute("select count(*) from canned").fetchone()[0] == 0

    with storage.write() as db:
        db.table("canned").insert({"shortcut": "/bye", "text": "Bye!", "created_at": "now"})
        [outbox_id] = outbox.enqueue_webhook(topic="canned.created", payload={"shortcut": "/bye"})
    assert [r.id for r in outbox.pending()] == [outbox_id]
    assert outbox.deliver_due()["sent"] == 1
    [(_, body)] = receiver.requests
    assert json.loads(body)["data"] == {"shortcut": "/bye"}
