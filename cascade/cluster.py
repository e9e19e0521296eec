"""`cascade up --replicas N --rasa M`: N app replicas and M Rasa processes on one machine, for the
tests and for a trial of several replicas (docs/production/scaling-rasa.md).

App replica K (1..N) is `cascade serve` on port PORT+K-1 with its own data directory
DATA/replica-K; Rasa process J (1..M) is on RASA_PORT+J-1 and calls the actions of app replica
((J-1) mod N)+1. Every app replica sends its turns to every Rasa process in turn. They all share
CASCADE_DATABASE_URL and CASCADE_REDIS_URL, required here: without them the replicas would not see
each other's data, and the Rasa processes not each other's conversations. One action secret
serves them all (made here when CASCADE_ACTION_SECRET is unset).

Every process stops on SIGINT/SIGTERM; one that dies meanwhile is reported, the others keep
serving (as they would on separate machines).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import typer

from bot.endpoints import StoreUrlRejected, rasa_endpoints
from bot.runtime import ensure_model, start_rasa
from core.settings import Settings

STOP_WAIT_S = 30.0


class ClusterRefused(ValueError):
    """What was asked for cannot run as asked (the reason is in words)."""


@dataclass(frozen=True)
class Member:
    """One process of the cluster, as its operator sees it."""

    name: str
    url: str
    port: int
    log: Path


@dataclass(frozen=True)
class Plan:
    apps: list[Member]
    rasas: list[Member]
    data_dirs: list[Path]
    action_urls: list[str]  # for each Rasa process, the app replica whose actions it calls


def plan(
    settings: Settings, *, replicas: int, rasa: int, port: int, rasa_port: int, host: str
) -> Plan:
    """Where each process listens and keeps its files; refused without the shared stores."""
    missing = [
        name
        for name, value in (
            ("CASCADE_DATABASE_URL", settings.database_url),
            ("CASCADE_REDIS_URL", settings.redis_url),
        )
        if not value
    ]
    if missing:
        raise ClusterRefused(
            f"{replicas} app replicas and {rasa} Rasa processes need {' and '.join(missing)}: "
            "they share one PostgreSQL database and one Redis (docs/production/scaling-rasa.md)"
        )
    try:
        rasa_endpoints(database_url=settings.database_url, redis_url=settings.redis_url)
    except StoreUrlRejected as exc:
        raise ClusterRefused(str(exc)) from exc
    app_ports = range(port, port + replicas)
    rasa_ports = range(rasa_port, rasa_port + rasa)
    if set(app_ports) & set(rasa_ports):
        raise ClusterRefused(
            f"the app ports {port}-{app_ports[-1]} and the Rasa ports "
            f"{rasa_port}-{rasa_ports[-1]} overlap"
        )
    data = settings.data_dir
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    apps = [
        Member(f"app {k}", f"http://{local}:{p}", p, data / f"replica-{k}" / "app.log")
        for k, p in enumerate(app_ports, start=1)
    ]
    rasas = [
        Member(f"Rasa {j}", f"http://127.0.0.1:{p}", p, data / f"rasa-{j}.log")
        for j, p in enumerate(rasa_ports, start=1)
    ]
    return Plan(
        apps=apps,
        rasas=rasas,
        data_dirs=[data / f"replica-{k}" for k in range(1, replicas + 1)],
        action_urls=[f"{apps[j % replicas].url}/webhook" for j in range(rasa)],
    )


def run(
    settings: Settings, *, replicas: int, rasa: int, port: int, rasa_port: int, host: str
) -> int:
    """Start everything, print where it is, wait for SIGINT/SIGTERM, stop everything; the exit
    code (1 when every app replica died on its own)."""
    try:
        laid_out = plan(
            settings, replicas=replicas, rasa=rasa, port=port, rasa_port=rasa_port, host=host
        )
    except ClusterRefused as exc:
        typer.echo(str(exc), err=True)
        return 2
    secret = settings.action_secret.get_secret_value() if settings.action_secret else ""
    secret = secret or secrets.token_urlsafe(32)
    for directory in laid_out.data_dirs:
        directory.mkdir(parents=True, exist_ok=True)
    model = ensure_model(settings.project_dir, settings.rasa_bin)
    rasa_urls = ",".join(member.url for member in laid_out.rasas)

    stopping = threading.Event()
    processes: list[tuple[Member, subprocess.Popen[bytes]]] = []
    dead_apps: list[Member] = []

    def watch(member: Member, process: subprocess.Popen[bytes]) -> None:
        code = process.wait()
        if stopping.is_set():
            return
        typer.echo(f"{member.name} ({member.url}) exited with code {code}", err=True)
        if member in laid_out.apps:
            dead_apps.append(member)
            if len(dead_apps) == len(laid_out.apps):
                typer.echo("every app replica has exited: stopping", err=True)
                stopping.set()

    def started(member: Member, process: subprocess.Popen[bytes]) -> None:
        processes.append((member, process))
        threading.Thread(target=watch, args=(member, process), daemon=True).start()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    env = {
        **os.environ,
        "CASCADE_ACTION_SECRET": secret,
        "CASCADE_DATABASE_URL": settings.database_url or "",
        "CASCADE_REDIS_URL": settings.redis_url or "",
    }
    try:
        for member, action_url in zip(laid_out.rasas, laid_out.action_urls, strict=True):
            rasa_process = start_rasa(
                project_dir=settings.project_dir,
                rasa_bin=settings.rasa_bin,
                model=model,
                port=member.port,
                action_url=action_url,
                action_secret=secret,
                tracker_db=settings.tracker_store_path,
                log_file=member.log,
                database_url=settings.database_url,
                redis_url=settings.redis_url,
            )
            started(member, rasa_process)
            typer.echo(f"{member.name}: {member.url} (actions: {action_url}, log: {member.log})")
        for member, data_dir in zip(laid_out.apps, laid_out.data_dirs, strict=True):
            command = ["serve", "--data-dir", str(data_dir), "--host", host]
            command += ["--port", str(member.port), "--rasa-url", rasa_urls]
            app = subprocess.Popen(
                [sys.executable, "-m", "cascade.cli", *command],
                cwd=settings.project_dir,
                env=env,
                stdout=member.log.open("ab"),
                stderr=subprocess.STDOUT,
            )
            started(member, app)
            typer.echo(f"{member.name}: {member.url} (data: {data_dir}, log: {member.log})")
        while not stopping.wait(timeout=1.0):  # a timeout, so signals are handled promptly
            pass
    finally:
        stopping.set()
        _stop_all([process for _, process in processes])
    return 1 if len(dead_apps) == len(laid_out.apps) else 0


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every process at once, then each is waited for (killed if it lingers)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
