"""`cascade staff`: staff accounts from the command line, for the first admin and for whoever
runs the server (add, reset, deactivate, activate, list, and API tokens speaking for one); and
`cascade canned`: the canned responses agents insert in replies (seed from a file, list)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

staff_app = typer.Typer(
    help="Staff accounts: email and password sign-in; an agent's account is tied to that agent.",
    no_args_is_help=True,
)

ROLES = ("admin", "editor", "ops", "supervisor", "agent")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the database and indexes live.")
]
Email = Annotated[str, typer.Option("--email", help="The account's email address.")]
PasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from this file's first line ('-': standard input). Without it "
        "the password is asked for at a terminal, else made up and printed.",
    ),
]


def _services(data_dir: Path | None):
    from cascade.cli import _services_without_model

    return _services_without_model(data_dir)


@contextmanager
def _refusals() -> Iterator[None]:
    """An account error ends the command with its message and status 1."""
    from core.accounts import AccountError

    try:
        yield
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def _password(password_file: Path | None) -> tuple[str, bool]:
    """The password to set, and whether it was made up here (and so must be printed)."""
    from core.accounts import new_password

    if password_file is not None:
        text = sys.stdin.read() if str(password_file) == "-" else password_file.read_text("utf-8")
        return (text.splitlines() or [""])[0], False
    if sys.stdin.isatty():
        typed = typer.prompt(
            "Password (empty: make one up)",
            default="",
            show_default=False,
            hide_input=True,
            confirmation_prompt=True,
        )
        if typed:
            return typed, False
    return new_password(), True


def _agent_named(services, name: str) -> str:
    found = [agent.id for agent in services.agents.all() if agent.name == name.strip()]
    if len(found) != 1:
        what = "no agent" if not found else f"{len(found)} agents"
        typer.echo(f"{what} named {name!r}: give --agent-id", err=True)
        raise typer.Exit(1)
    return found[0]


@staff_app.command("add")
def staff_add(
    email: Email,
    name: Annotated[str, typer.Option("--name", help="Shown as the author of their changes.")],
    role: Annotated[str, typer.Option("--role", help=" | ".join(ROLES))],
    agent_id: Annotated[
        str | None,
        typer.Option("--agent-id", help="An agent's account: the agent (default: by --name)."),
    ] = None,
    password_file: PasswordFile = None,
    data_dir: DataDir = None,
) -> None:
    """Make an account; a made-up password is printed once (only its argon2 hash is kept)."""
    from core.auth import Role

    if role not in ROLES:
        raise typer.BadParameter(f"the role is one of {', '.join(ROLES)}", param_hint="--role")
    services = _services(data_dir)
    if role == "agent":
        from handoff.errors import AgentNotFound

        agent_id = agent_id or _agent_named(services, name)
        try:
            services.agents.get(agent_id)
        except AgentNotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
    with _refusals():
        address = services.accounts.check_free(email)
        password, made_up = _password(password_file)
        services.accounts.create(
            email=address, name=name, role=Role(role), password=password, agent_id=agent_id
        )
    said = f"password {password}" if made_up else "account made"
    typer.echo(f"{address:<32} {role:<10} {said}")


@staff_app.command("reset")
def staff_reset(email: Email, password_file: PasswordFile = None, data_dir: DataDir = None) -> None:
    """Set a new password (made up and printed unless given).

    Every session and token of the account ends."""
    services = _services(data_dir)
    with _refusals():
        account = services.accounts.find(email)
        password, made_up = _password(password_file)
        services.accounts.reset_password(account.id, password)
    said = f"password {password}" if made_up else "password set"
    typer.echo(f"{account.email:<32} {account.role.value:<10} {said}")
    typer.echo("every session and token of the account has ended")


def _set_active(email: str, data_dir: Path | None, *, active: bool) -> None:
    services = _services(data_dir)
    with _refusals():
        account = services.accounts.set_active(services.accounts.find(email).id, active)
    typer.echo(f"{account.email} {'can sign in again' if active else 'deactivated'}")


@staff_app.command("deactivate")
def staff_deactivate(email: Email, data_dir: DataDir = None) -> None:
    """No more signing in; the account's sessions and tokens end at once.

    An agent's account too: the agent goes offline, with their chats back in the queue."""
    _set_active(email, data_dir, active=False)


@staff_app.command("activate")
def staff_activate(email: Email, data_dir: DataDir = None) -> None:
    """Let a deactivated account sign in again (no old token comes back)."""
    _set_active(email, data_dir, active=True)


@staff_app.command("list")
def staff_list(data_dir: DataDir = None) -> None:
    """Every account: email, name, role, its agent, whether it may sign in."""
    from rich.console import Console
    from rich.table import Table

    accounts = _services(data_dir).accounts.all()
    table = Table("email", "name", "role", "agent", "active", "created")
    for a in accounts:
        active = "yes" if a.active else "no"
        table.add_row(a.email, a.name, a.role.value, a.agent_id or "-", active, a.created_at[:16])
    Console().print(table if accounts else "no staff accounts")


@staff_app.command("token")
def staff_token(
    email: Email,
    expires_in_days: Annotated[
        float | None, typer.Option(min=0.001, help="Expires after this many days (default never).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Issue an API token speaking for the account (for a script or a bookmarked page).

    It ends with the account's deactivation or reset, or when it expires."""
    services = _services(data_dir)
    now = services.clock.now()
    expires = now + timedelta(days=expires_in_days) if expires_in_days else None
    with _refusals():
        account = services.accounts.find(email)
        token = services.accounts.issue_token(account.id, expires_at=expires)
    until = f" (expires {expires:%Y-%m-%d %H:%M} UTC)" if expires else ""
    typer.echo(f"{account.email:<32} {account.role.value:<10} token{until} {token}")


canned_app = typer.Typer(
    help="Canned responses agents insert in replies ({customer_name} is filled in).",
    no_args_is_help=True,
)


@canned_app.command("seed")
def canned_seed(
    path: Annotated[Path, typer.Argument(help="A JSON list of {shortcut, text, texts?}.")],
    data_dir: DataDir = None,
) -> None:
    """Create canned responses from a file (a shortcut that exists already is kept as it is).

    Each has a `text` for every language and may have `texts` in others (`{"ja": "…"}`)."""
    services = _services(data_dir)
    kept = {canned.shortcut for canned in services.desk.canned()}
    for item in json.loads(path.read_text(encoding="utf-8")):
        if item["shortcut"] in kept:
            typer.echo(f"/{item['shortcut']} (exists, kept)")
            continue
        services.desk.save_canned(item["shortcut"], item["text"])
        for language, text in item.get("texts", {}).items():
            services.desk.save_canned(item["shortcut"], text, language)
        typer.echo(f"/{item['shortcut']}")


@canned_app.command("list")
def canned_list(data_dir: DataDir = None) -> None:
    """Every canned response, with its text in each language it has."""
    for canned in _services(data_dir).desk.canned():
        typer.echo(f"/{canned.shortcut:<16} {canned.text}")
        for language, text in canned.texts.items():
            typer.echo(f"  {language:<15} {text}")
