"""Starting a real Cascade app for a benchmark: a subprocess on a free port, a temp data dir."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(*, admin_token: str = "bench-admin") -> Iterator[httpx.Client]:
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
