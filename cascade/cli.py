"""The `cascade` command: serve the app, run app and bot together, manage the knowledge base."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from cascade.kb_cli import kb_app
from cascade.operations_cli import commands as operations_commands
from cascade.staff_cli import canned_app, staff_app
from core.settings import Settings

app = typer.Typer(help="Cascade: tiered support (bot, live agent, ticket).", no_args_is_help=True)
agents_app = typer.Typer(help="Live agents.", no_args_is_help=True)
tickets_app = typer.Typer(help="Tickets.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(agents_app, name="agents")
app.add_typer(tickets_app, name="tickets")
app.add_typer(staff_app, name="staff")
app.add_typer(canned_app, name="canned")
app.add_typer(operations_commands)  # backup, restore, outbox, purge, erase

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the database and indexes live.")
]


def settings_for(data_dir: Path | None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir.resolve()
    return Settings(**values)  # type: ignore[arg-type]


def _quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover
        pass


@app.command()
def serve(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    rasa_url: Annotated[
        str | None, typer.Option(help="Rasa server URL; default from CASCADE_RASA_URL.")
    ] = None,
) -> None:
    """Run the app alone (the Rasa server is found at --rasa-url).

    Rasa's action calls need CASCADE_ACTION_SECRET, the same in Rasa's environment and the
    app's."""
    import uvicorn

    from cascade.app import create_app, with_realtime

    _quiet_libraries()
    settings = settings_for(data_dir, rasa_url=rasa_url)
    uvicorn.run(with_realtime(create_app(settings)), host=host, port=port, log_level="info")


@app.command()
def up(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="The app's HTTP port.")] = 8000,
    rasa_port: Annotated[int, typer.Option(help="The Rasa server's port.")] = 5005,
    host: Annotated[str, typer.Option(help="Interface the app listens on.")] = "127.0.0.1",
    replicas: Annotated[int, typer.Option(min=1, help="App replicas: PORT, PORT+1, ...")] = 1,
    rasas: Annotated[int, typer.Option("--rasa", min=1, help="Rasa processes: RASA_PORT, ...")] = 1,
) -> None:
    """Run the app and the Rasa server together (training the model first if needed).

    Both stop on SIGINT/SIGTERM. If Rasa dies, the app keeps accepting and storing messages,
    hands chats to people and reports "rasa": "down" on /health. Rasa's calls to the actions
    carry CASCADE_ACTION_SECRET, made here for both when it is not set. More than one replica
    or Rasa process share CASCADE_DATABASE_URL and CASCADE_REDIS_URL (cascade/cluster.py).
    """
    import secrets

    import uvicorn

    from bot.runtime import ensure_model, start_rasa
    from cascade.app import create_app, with_realtime

    _quiet_libraries()
    if replicas > 1 or rasas > 1:
        from cascade.cluster import run

        shape = {"replicas": replicas, "rasa": rasas, "port": port, "rasa_port": rasa_port}
        raise typer.Exit(run(settings_for(data_dir), host=host, **shape))
    settings = settings_for(data_dir, rasa_url=f"http://127.0.0.1:{rasa_port}")
    if settings.action_secret is None or not settings.action_secret.get_secret_value():
        settings.action_secret = SecretStr(secrets.token_urlsafe(32))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    model = ensure_model(settings.project_dir, settings.rasa_bin)
    rasa_log = settings.data_dir / "rasa.log"
    rasa = start_rasa(
        project_dir=settings.project_dir,
        rasa_bin=settings.rasa_bin,
        model=model,
        port=rasa_port,
        action_url=f"http://127.0.0.1:{port}/webhook",
        action_secret=settings.action_secret.get_secret_value(),
        tracker_db=settings.tracker_store_path,
        log_file=rasa_log,
        database_url=settings.database_url,
        redis_url=settings.redis_url,
    )
    typer.echo(f"Rasa starting on port {rasa_port} (log: {rasa_log})")

    stopping = threading.Event()

    def watch_rasa() -> None:
        code = rasa.wait()
        if not stopping.is_set():
            typer.echo(f"Rasa exited with code {code}; chats now go to people", err=True)

    threading.Thread(target=watch_rasa, daemon=True).start()
    server = uvicorn.Server(
        uvicorn.Config(with_realtime(create_app(settings)), host=host, port=port, log_level="info")
    )

    def stop(signum: int, frame: object) -> None:
        stopping.set()
        server.should_exit = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.run()
    finally:
        stopping.set()
        if rasa.poll() is None:
            rasa.terminate()
            try:
                rasa.wait(timeout=20)
            except subprocess.TimeoutExpired:
                rasa.kill()


@app.command()
def train() -> None:
    """Train the Rasa model if its inputs changed since the last training."""
    from bot.runtime import ensure_model

    settings = Settings()
    typer.echo(ensure_model(settings.project_dir, settings.rasa_bin))


def _knowledge_base(data_dir: Path | None):
    from bot.client import NoBot
    from cascade.app import build_services

    _quiet_libraries()
    return build_services(settings_for(data_dir), bot=NoBot())


@app.command()
def replay(
    path: Annotated[Path, typer.Argument(exists=True, help="JSON Lines: text, optional expected.")],
    data_dir: DataDir = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write every question's outcome here.")
    ] = None,
) -> None:
    """Run past customer questions through the bot's decision, before going live.

    Prints what the bot would do (answered, choices or escalated) per skill and article; with
    `expected` labels, right and wrong."""
    from knowledge_base.errors import ImportRejected
    from knowledge_base.replay import as_csv, parse_questions, render, replay_on

    kb = _knowledge_base(data_dir).kb
    try:
        known = {article.id: article.status for article in kb.listing()}
        questions = parse_questions(path.read_text(encoding="utf-8-sig"), known)
    except ImportRejected as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1) from exc
    report = replay_on(kb, questions)
    typer.echo(render(report))
    if csv_out is not None:
        csv_out.write_text(as_csv(report.rows), encoding="utf-8")
        typer.echo(f"\nevery question's outcome: {csv_out}")


@agents_app.command("seed")
def agents_seed(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A JSON array of agents.")
    ],
    data_dir: DataDir = None,
) -> None:
    """Create the agents in FILE that do not exist yet (by name) and print their tokens.

    One that exists takes the languages FILE gives them: a data directory made before agents
    had languages holds every agent as speaking English."""
    from handoff.agents import AgentIn, AgentUpdate

    services = _services_without_model(data_dir)
    existing = {agent.name: agent for agent in services.agents.all()}
    for raw in json.loads(file.read_text()):
        agent = AgentIn.model_validate(raw)
        if agent.name in existing:
            made = existing[agent.name]
            if "languages" in raw and made.languages != agent.languages:
                services.agents.update(made.id, AgentUpdate(languages=agent.languages))
            continue
        created, token = services.agents.create(agent)
        typer.echo(f"{created.name:<24} id {created.id}  token {token}")


@app.command("demo-traffic")
def demo_traffic(
    data_dir: DataDir = None,
    days: Annotated[int, typer.Option(min=1, max=60, help="How many days, ending now.")] = 14,
    seed: Annotated[int, typer.Option(help="The same seed and day give the same traffic.")] = 14,
) -> None:
    """Simulate days of customers, bot and agents, so the demo's dashboard has figures.

    Driven through the app's services (no Rasa server needed); a directory with chats is left
    alone."""
    from cascade.demo_traffic import seed_traffic

    _quiet_libraries()
    try:
        seeded = seed_traffic(settings_for(data_dir, rasa_url=""), days=days, seed=seed)
    except ValueError as exc:  # no articles or agents to seed with
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        seeded.describe() if seeded else "the demo already has conversations: no traffic added"
    )


def _services_without_model(data_dir: Path | None):
    from bot.client import NoBot
    from cascade.app import build_services

    settings = settings_for(data_dir)
    return build_services(settings, bot=NoBot(), embedder=_no_model(settings))


@tickets_app.command("list")
def tickets_list(
    data_dir: DataDir = None,
    status: Annotated[
        str | None, typer.Option(help="new, open, pending, solved or closed.")
    ] = None,
    priority: Annotated[str | None, typer.Option(help="urgent, high, normal or low.")] = None,
    skill: Annotated[str | None, typer.Option(help="Skill group.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """List tickets with their SLA state."""
    from rich.console import Console
    from rich.table import Table

    found = _services_without_model(data_dir).tickets.find(
        status=status, priority=priority, skill=skill, limit=limit
    )
    table = Table(
        "ticket",
        "status",
        "priority",
        "skill",
        "customer",
        "subject",
        "first response",
        "resolution",
        "created",
    )
    for t in found:
        table.add_row(
            t.id,
            t.status,
            t.priority,
            t.skill,
            " · ".join(filter(None, [t.customer_name, t.customer_email])) or "-",
            t.subject or "-",
            t.sla["first_response"].state,
            t.sla["resolution"].state,
            t.created_at[:16],
        )
    Console().print(table if found else "no tickets")


@tickets_app.command("show")
def tickets_show(
    ticket_id: Annotated[str, typer.Argument(help="e.g. T-1001")],
    data_dir: DataDir = None,
) -> None:
    """A ticket with its handoff summary, SLA, notes and the whole transcript."""
    from handoff.errors import TicketNotFound

    try:
        ticket = _services_without_model(data_dir).tickets.get(ticket_id)
    except TicketNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{ticket.id}  {ticket.status}  priority {ticket.priority}  skill {ticket.skill}")
    typer.echo(f"customer: {ticket.customer_email or '-'}   conversation: {ticket.conversation_id}")
    for metric, sla in ticket.sla.items():
        typer.echo(f"{metric.replace('_', ' ')}: {sla.state} (due {sla.due})")
    if ticket.handoff:
        typer.echo(f"handoff: {ticket.handoff['summary']}")
    for note in ticket.notes or []:
        typer.echo(f"note: {note.text}")
    typer.echo("transcript:")
    for message in ticket.transcript:
        typer.echo(f"  [{message.sender}] {message.text}")


def _no_model(settings: Settings):
    from knowledge_base.embedder import NoModel, model_dim, model_name

    return NoModel(model_name(settings.embedding_model), model_dim(settings.embedding_model))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
