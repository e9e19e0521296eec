"""The `cascade` commands for running it in production: backup and restore, the outbox's
backlog and dead letters, retention's purge and a customer's erasure (`cascade/cli.py` adds
them to the `cascade` command)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

commands = typer.Typer()
outbox_app = typer.Typer(
    help="Emails and webhooks waiting to go out, and dead letters.", no_args_is_help=True
)
commands.add_typer(outbox_app, name="outbox")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the database and indexes live.")
]


def _settings(data_dir: Path | None):
    from cascade.cli import settings_for

    return settings_for(data_dir)


def _storage(data_dir: Path | None):
    from cascade.storage import open_storage

    settings = _settings(data_dir)
    return settings, open_storage(
        settings.database_path, url=settings.database_url, pool_size=settings.database_pool
    )


def _now():
    from core.clock import SystemClock

    return SystemClock().now()


@commands.command()
def backup(
    to: Annotated[Path, typer.Option("--to", help="The backup file to write (a .tar.gz).")],
    data_dir: DataDir = None,
) -> None:
    """Snapshot both databases into one file while the app runs.

    The app's database and Rasa's tracker store, each through SQLite's online backup API; the
    search index is left out: the app rebuilds it at start."""
    from cascade.operations import take_backup
    from core.backup import BackupError

    try:
        manifest = take_backup(_settings(data_dir), to, now=_now())
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    for copy in manifest.databases.values():
        typer.echo(f"  {copy.file:<18} {copy.bytes:>12,} bytes")
    typer.echo(f"backup written to {to} ({manifest.created_at}, version {manifest.app_version})")


@commands.command()
def restore(
    source: Annotated[
        Path,
        typer.Option("--from", exists=True, dir_okay=False, help="A file `cascade backup` wrote."),
    ],
    data_dir: DataDir = None,
    force: Annotated[
        bool,
        typer.Option(help="Replace the databases of a directory in use (stop its app first)."),
    ] = False,
) -> None:
    """Bring a backup's databases into a new data directory.

    A directory with anything in it is refused unless --force. The app rebuilds the search
    index when it starts there."""
    from cascade.operations import restore_backup
    from core.backup import BackupError

    settings = _settings(data_dir)
    try:
        manifest = restore_backup(settings, source, force=force)
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    files = ", ".join(copy.file for copy in manifest.databases.values())
    typer.echo(
        f"restored {files} from the backup of {manifest.created_at} into {settings.data_dir}"
    )


@outbox_app.command("list")
def outbox_list(
    data_dir: DataDir = None,
    dead: Annotated[bool, typer.Option("--dead", help="Only the dead letters.")] = False,
) -> None:
    """What has not gone out: pending messages and dead letters."""
    from rich.console import Console
    from rich.table import Table

    items = _outbox(data_dir).listing(dead_only=dead)
    table = Table("id", "kind", "topic", "to", "status", "attempts", "next attempt", "last error")
    for item in items:
        table.add_row(
            str(item.id),
            item.kind,
            item.topic,
            item.recipient,
            item.status,
            str(item.attempts),
            item.next_attempt_at[:19] if item.status == "pending" else "-",
            item.last_error or "-",
        )
    Console(width=200).print(table if items else "no dead letters" if dead else "nothing waiting")


@outbox_app.command("retry")
def outbox_retry(
    outbox_id: Annotated[int | None, typer.Argument(help="A dead letter's id.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead letter.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Send dead letters again, once the receiver is fixed.

    Each gets a fresh set of attempts; the running app's delivery worker sends them."""
    from handoff.outbox import OutboxError

    if (outbox_id is None) == (not all_dead):
        raise typer.BadParameter("give a dead letter's ID or --all-dead (one of them)")
    outbox = _outbox(data_dir)
    if all_dead:
        ids = outbox.retry_dead()
        typer.echo(f"{len(ids)} dead letters will be sent again" if ids else "no dead letters")
        return
    assert outbox_id is not None
    try:
        outbox.retry(outbox_id)
    except OutboxError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"outbox message {outbox_id} will be sent again")


def _outbox(data_dir: Path | None):
    from core.clock import SystemClock
    from handoff.outbox import Outbox

    settings, storage = _storage(data_dir)
    return Outbox(storage=storage, clock=SystemClock(), settings=settings)


@commands.command()
def purge(
    older_than: Annotated[
        float, typer.Option("--older-than", min=1, help="Days with nothing new in a chat.")
    ],
    data_dir: DataDir = None,
) -> None:
    """Purge closed conversations older than DAYS, keeping their figures.

    Closed: resolved, abandoned, or ticketed with the ticket closed, with nothing new for DAYS.
    The customer's details, every message text, transcripts, notes, content gaps and Rasa's
    events go; status, times and figures stay. Sent and dead outbox messages as old are
    deleted."""
    from cascade.operations import purge as run

    settings, storage = _storage(data_dir)
    purged = run(storage, settings, older_than_days=older_than, now=_now())
    typer.echo(
        f"purged {purged.conversations} conversations ({purged.tracker_events} Rasa events,"
        f" {purged.gaps} content gaps) and {purged.outbox_messages} outbox messages"
    )


@commands.command()
def erase(
    email: Annotated[str, typer.Option("--email", help="The customer's email address.")],
    data_dir: DataDir = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list the conversations it would erase.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase every copy of one customer's data.

    Every conversation with this address (and those sharing its visitor or user id), with
    messages, tickets, notes, outbox messages, content gaps and the drafts made from them, and
    their events in Rasa's tracker store. Backups keep them until they are rotated out."""
    from cascade.operations import customer_conversations
    from cascade.operations import erase as run

    settings, storage = _storage(data_dir)
    ids = customer_conversations(storage, email)
    typer.echo(f"{len(ids)} conversations of {email}" + (":" if ids else ""))
    for conversation_id in ids:
        typer.echo(f"  {conversation_id}")
    if dry_run:
        return
    if not yes and not typer.confirm("Erase them, and every other copy of this customer?"):
        raise typer.Exit(1)
    erased = run(storage, settings, email=email, now=_now())
    kb = erased.knowledge
    typer.echo(
        f"erased {len(erased.conversations)} conversations, {erased.tickets} tickets,"
        f" {erased.tracker_events} Rasa events, {kb.gaps} content gaps"
    )
    for article_id in kb.drafts_deleted:
        typer.echo(f"  deleted draft {article_id} (made from their questions)")
    for article_id in kb.articles_changed:
        typer.echo(f"  removed their questions from article {article_id}")
    for article_id in kb.ids_to_rename:
        typer.echo(f"  article {article_id}'s id was made from their words: rename it", err=True)
