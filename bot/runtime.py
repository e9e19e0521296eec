"""The Rasa side seen from the app: training the model when its inputs change, and running
the server as a child process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from bot.endpoints import rasa_endpoints
from bot.tracker_store import prepare_postgres

# What `rasa train` reads, and the tokenizer's code (config.yml names it): a change to any of them
# is a new model.
MODEL_INPUTS = ("config.yml", "domain.yml", "data/nlu", "data/rules", "data/stories", "bot/nlu")
_SUFFIXES = frozenset({".yml", ".py"})


class RasaMissing(RuntimeError):
    pass


def fingerprint(project_dir: Path) -> str:
    """A short hash of everything `rasa train` reads."""
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        path = project_dir / name
        files = (
            sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES) if path.is_dir() else [path]
        )
        for file in files:
            digest.update(str(file.relative_to(project_dir)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path(project_dir: Path) -> Path:
    return project_dir / "models" / f"cascade-{fingerprint(project_dir)}.tar.gz"


def ensure_model(project_dir: Path, rasa_bin: Path, *, quiet: bool = False) -> Path:
    """Train only when no model exists for the current inputs; returns the model file."""
    target = model_path(project_dir)
    if target.exists():
        return target
    if not rasa_bin.exists():
        raise RasaMissing(f"{rasa_bin} not found: run `make setup` first")
    print(f"training the Rasa model ({target.name}); this takes a minute or two", file=sys.stderr)
    subprocess.run(
        [
            str(rasa_bin),
            "train",
            "--out",
            str(target.parent),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
            *(["--quiet"] if quiet else []),
        ],
        cwd=project_dir,
        check=True,
        env=rasa_env(),
    )
    return target


def rasa_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "HF_HUB_OFFLINE": "1",
        }
    )
    env.update(extra)
    return env


def start_rasa(
    *,
    project_dir: Path,
    rasa_bin: Path,
    model: Path,
    port: int,
    action_url: str,
    action_secret: str,
    tracker_db: Path,
    log_file: Path | None = None,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> subprocess.Popen[bytes]:
    """`rasa run` with the REST channel only: its HTTP API (--enable-api) stays off, as nothing
    of Cascade uses it. Rasa calls `action_url` with `action_secret` (endpoints.yml). Started
    through `bot.rasa`, Rasa's own command line with its action response check made
    cheaper, by the Python of `rasa_bin`'s runtime.

    The tracker store is the SQLite file `tracker_db`, or with `database_url` the app's
    PostgreSQL database; with `redis_url` the lock store is in Redis (bot/endpoints.py), so
    several Rasa processes can take turns of the same conversations."""
    tracker_db.parent.mkdir(parents=True, exist_ok=True)
    endpoints = Path("endpoints.yml")
    stores_env: dict[str, str] = {}
    written = rasa_endpoints(database_url=database_url, redis_url=redis_url)
    if written is not None:
        if database_url:
            prepare_postgres(database_url)
        endpoints, stores_env = tracker_db.parent / "rasa-endpoints.yml", written.env
        draft = endpoints.with_name(f".{endpoints.name}.{port}")
        draft.write_text(written.text, encoding="utf-8")
        draft.replace(endpoints)  # whole, even with several Rasa processes starting at once
    output = open(log_file, "ab") if log_file else None  # noqa: SIM115 - owned by the child
    return subprocess.Popen(
        [
            str(rasa_bin.parent / "python"),
            "-m",
            "bot.rasa",
            "run",
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            "credentials.yml",
        ],
        cwd=project_dir,
        env=rasa_env(
            CASCADE_ACTION_URL=action_url,
            CASCADE_ACTION_SECRET=action_secret,
            CASCADE_TRACKER_DB=str(tracker_db),
            **stores_env,
        ),
        stdout=output or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
