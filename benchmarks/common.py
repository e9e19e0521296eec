"""Starting a real Cascade for a benchmark: the app alone (`cascade serve`) or the app with Rasa
(`cascade up`, with several app replicas and Rasa processes if asked), as subprocesses on free
ports with a temporary data directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cascade.engines import free_port

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ADMIN_TOKEN = "bench-admin"


@contextmanager
def running_app(*, admin_token: str = ADMIN_TOKEN) -> Iterator[httpx.Client]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="cascade-bench-") as data_dir:
        env = {
            **os.environ,
            "CASCADE_ADMIN_TOKEN": admin_token,
            "CASCADE_RASA_URL": "",
            "HF_HUB_OFFLINE": "1",
            "CASCADE_RATE_LIMITS": "false",  # every question comes from this one address
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cascade.cli",
                "serve",
                "--data-dir",
                data_dir,
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            client = httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {admin_token}"},
                timeout=600,
            )
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start")
                time.sleep(0.25)
            yield client
        finally:
            process.terminate()
            process.wait(timeout=30)


@dataclass
class Stack:
    client: httpx.Client  # the first app replica's HTTP API, without credentials
    base_url: str  # the first app replica's
    process: subprocess.Popen[bytes]  # `cascade up`: the app (or the replicas); Rasa its child
    base_urls: list[str] = field(default_factory=list)  # every app replica's, in port order


@contextmanager
def stack(
    log_dir: Path, *, env: dict[str, str] | None = None, replicas: int = 1, rasa: int = 1
) -> Iterator[Stack]:
    """`cascade up` (app and Rasa) on free ports with a fresh data directory in `log_dir`,
    once Rasa answers every app replica; `env` adds settings. More than one replica or Rasa
    process need CASCADE_DATABASE_URL and CASCADE_REDIS_URL in `env` (cascade/cluster.py)."""
    port = free_port(replicas + rasa)  # the app replicas', then Rasa's
    rasa_port = port + replicas
    data_dir = log_dir / "data"
    log = (log_dir / "up.log").open("ab")
    shape = [] if (replicas, rasa) == (1, 1) else ["--replicas", str(replicas), "--rasa", str(rasa)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cascade.cli",
            "up",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--rasa-port",
            str(rasa_port),
            *shape,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "CASCADE_ADMIN_TOKEN": ADMIN_TOKEN,
            "HF_HUB_OFFLINE": "1",
            "CASCADE_RATE_LIMITS": "false",  # every customer comes from this one address
            **(env or {}),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_urls = [f"http://127.0.0.1:{port + k}" for k in range(replicas)]
    clients = [httpx.Client(base_url=url, timeout=120) for url in base_urls]
    try:
        deadline = time.monotonic() + 900
        while not all(_bot_up(client) for client in clients):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the app and Rasa did not come up: see {log_dir / 'up.log'} and the logs"
                    f" in {data_dir}"
                )
            time.sleep(1)
        yield Stack(clients[0], base_urls[0], process, base_urls)
    finally:
        for client in clients:
            client.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _bot_up(client: httpx.Client) -> bool:
    try:
        health = client.get("/health", timeout=5)
    except httpx.TransportError:
        return False
    return health.status_code == 200 and health.json().get("rasa") == "up"
