"""`cascade outbox list` and `retry`: an operator sees what waits and what died, and sends dead
letters again once the receiver is fixed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from cascade.cli import app as cli
from core.clock import ManualClock
from core.db import Storage
from core.settings import Settings
from handoff.outbox import Outbox
from tests.helpers import Mailbox, free_port, wait_until


def run(*args: str):
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def test_list_and_retry_dead_letters(
    tmp_path: Path, storage: Storage, mailbox: tuple[Mailbox, int]
) -> None:
    clock = ManualClock(datetime.now(UTC))  # the command retries at the system's time
    down = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=free_port())
    outbox = Outbox(
        storage=storage, clock=clock, settings=down.model_copy(update={"outbox_max_attempts": 1})
    )
    first = outbox.enqueue_email(to="ana@example.com", subject="T-1001", body="Hi", topic="t")
    second = outbox.enqueue_email(to="ben@example.com", subject="T-1002", body="Hi", topic="t")
    assert outbox.deliver_due() == {"sent": 0, "retried": 0, "dead": 2}
    waiting = outbox.enqueue_email(to="cy@example.com", subject="T-1003", body="Hi", topic="t")
    data_dir = str(tmp_path)

    listed = run("outbox", "list", "--data-dir", data_dir)
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if "@example.com" in line]
    assert [("pending" in r, "dead" in r) for r in rows] == [
        (True, False),
        (False, True),
        (False, True),
    ]
    assert "cy@example.com" in rows[0] and "ConnectionRefusedError" in rows[1]
    dead = run("outbox", "list", "--dead", "--data-dir", data_dir)
    assert "cy@example.com" not in dead.output and "ana@example.com" in dead.output

    assert run("outbox", "retry", str(waiting), "--data-dir", data_dir).exit_code == 1
    assert (
        "is pending, not dead"
        in run("outbox", "retry", str(waiting), "--data-dir", data_dir).output
    )
    assert run("outbox", "retry", "999", "--data-dir", data_dir).exit_code == 1
    assert run("outbox", "retry", "--data-dir", data_dir).exit_code == 2  # ID or --all-dead

    retried = run("outbox", "retry", str(first), "--data-dir", data_dir)
    assert retried.exit_code == 0 and f"outbox message {first} will be sent again" in retried.output
    # The mail server works again: the worker sends it, and only it.
    handler, port = mailbox
    clock.advance(seconds=60)
    fixed = Outbox(
        storage=storage, clock=clock, settings=down.model_copy(update={"smtp_port": port})
    )
    assert fixed.deliver_due() == {"sent": 2, "retried": 0, "dead": 0}  # it and the pending one
    envelopes = wait_until(lambda: len(handler.envelopes) == 2 and handler.envelopes)
    assert sorted(e.rcpt_tos[0] for e in envelopes) == ["ana@example.com", "cy@example.com"]

    everything = run("outbox", "retry", "--all-dead", "--data-dir", data_dir)
    assert "1 dead letters will be sent again" in everything.output
    assert [item.id for item in fixed.dead_letters()] == []
    assert "nothing waiting" not in run("outbox", "list", "--data-dir", data_dir).output
    assert second in [item.id for item in fixed.pending()]
