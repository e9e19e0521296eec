"""Real processes for end-to-end tests: the app (`cascade serve`) and the Rasa server, each on
a free port, the model trained once per data fingerprint and cached in models/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check, *, timeout_s: float, what: str, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with code {process.returncode}")
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not happen within {timeout_s} s")


def app_env(admin_token: str) -> dict[str, str]:
    return {**os.environ, "CASCADE_ADMIN_TOKEN": admin_token, "HF_HUB_OFFLINE": "1"}


def start_app(
    *,
    data_dir: Path,
    port: int,
    rasa_url: str,
    admin_token: str,
    log: Path,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cascade.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--rasa-url",
            rasa_url,
        ],
        cwd=ROOT,
        env={**app_env(admin_token), **(env or {})},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@dataclass
class Live:
    url: str
    rasa_url: str
    admin: dict[str, str]
    data_dir: Path
    app: subprocess.Popen
    rasa: subprocess.Popen

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
