"""`cascade up`: the app and Rasa supervised together, Rasa's action calls carrying the secret
`up` made for both; Rasa dying loses nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from core.words import say
from tests.helpers import (
    ADMIN,
    ADMIN_HEADERS,
    ROOT,
    app_env,
    free_port,
    start_app,
    start_rasa_for_app,
    stop,
    wait_until,
)

pytestmark = pytest.mark.rasa


def rasa_pids(port: int) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-f", f"rasa run --port {port} "], capture_output=True, text=True
    )
    return [int(pid) for pid in found.stdout.split()]


def start_up(data_dir) -> tuple[int, int, subprocess.Popen]:
    """`cascade up` on free ports with no action secret set (it makes one), its output in the
    data directory."""
    port = free_port(2)  # and Rasa on the next one: two draws could give one port twice
    rasa_port = port + 1
    command = [
        "up",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--rasa-port",
        str(rasa_port),
    ]
    up = subprocess.Popen(
        [sys.executable, "-m", "cascade.cli", *command],
        cwd=ROOT,
        env={k: v for k, v in app_env(ADMIN).items() if k != "CASCADE_ACTION_SECRET"},
        stdout=(data_dir / "up.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    return port, rasa_port, up


def test_up_runs_both_and_survives_rasa_dying(tmp_path, rasa_model) -> None:
    port, rasa_port, up = start_up(tmp_path)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        wait_until(
            lambda: http.get("/health").json()["rasa"] == "up",
            timeout_s=300,
            what="app and Rasa up",
            process=up,
        )
        started = http.post("/api/conversations", json={"customer": {"name": "Kim"}}).json()
        headers = {"Authorization": f"Bearer {started['token']}"}
        # The greeting is said by a custom action: Rasa's call to the app carried the secret.
        hello = http.post(
            f"/api/conversations/{started['id']}/messages",
            json={"text": "hello", "client_id": "k0"},
            headers=headers,
        ).json()
        assert [m["text"] for m in hello["messages"][1:]] == [say("en", "bot.greet")]
        assert hello["status"] == "bot"
        # Anyone else calling the action endpoint is refused, a forged tracker runs nothing.
        forged = http.post("/webhook", json={"next_action": "action_choose_article", "tracker": {}})
        assert forged.status_code == 401

        for pid in rasa_pids(rasa_port):
            subprocess.run(["kill", "-9", str(pid)], check=False)
        wait_until(
            lambda: http.get("/health").json()["rasa"] == "down",
            timeout_s=30,
            what="health reporting Rasa down",
            process=up,
        )

        turn = http.post(
            f"/api/conversations/{started['id']}/messages",
            json={"text": "my card is stuck in the machine", "client_id": "k1"},
            headers=headers,
        )
        assert turn.status_code == 200
        assert turn.json()["status"] == "ticketed"  # handed over; nobody is online here
        view = http.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
        assert "my card is stuck in the machine" in [m["text"] for m in view["messages"]]
        assert view["handoff"]["reason"] == "bot_unavailable"
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=60)
        finally:
            stop(up)
    assert up.returncode is not None
    assert rasa_pids(rasa_port) == []


def test_up_stops_rasa_on_sigterm(tmp_path, rasa_model) -> None:
    port, rasa_port, up = start_up(tmp_path)
    try:
        wait_until(
            lambda: bool(rasa_pids(rasa_port)), timeout_s=120, what="Rasa started", process=up
        )
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200,
            timeout_s=120,
            what="app started",
            process=up,
        )
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=60)
    finally:
        stop(up)
    wait_until(lambda: rasa_pids(rasa_port) == [], timeout_s=30, what="Rasa stopped")


def test_a_customer_writing_before_rasa_is_up_gets_the_bot(tmp_path, rasa_model) -> None:
    """The app is up, Rasa not yet (it loads its model for a minute or so): the customer's
    message waits for it, and the real bot answers it; no hand-over, no ticket."""
    port = free_port(2)  # and Rasa on the next one
    rasa_port = port + 1
    app = start_app(
        data_dir=tmp_path,
        port=port,
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        admin_token=ADMIN,
        log=tmp_path / "app.log",
    )
    rasa = None
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300)
    try:
        wait_until(
            lambda: http.get("/health").status_code == 200, timeout_s=120, what="app", process=app
        )
        assert http.get("/health").json()["rasa"] == "down"  # nothing listens there yet
        started = http.post("/api/conversations", json={"customer": {"name": "Kim"}}).json()
        with ThreadPoolExecutor(1) as pool:
            turn = pool.submit(
                http.post,
                f"/api/conversations/{started['id']}/messages",
                json={"text": "hello", "client_id": "k0"},
                headers={"Authorization": f"Bearer {started['token']}"},
            )

            def stored() -> list[str]:
                view = http.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS)
                return [m["text"] for m in view.json()["messages"]]

            wait_until(lambda: "hello" in stored(), what="the message stored")
            rasa = start_rasa_for_app(
                data_dir=tmp_path, port=rasa_port, app_port=port, model=rasa_model
            )
            answered = turn.result(timeout=300)
        assert answered.status_code == 200, answered.text
        assert [m["text"] for m in answered.json()["messages"][1:]] == [say("en", "bot.greet")]
        assert answered.json()["status"] == "bot"
        view = http.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
        assert view["status"] == "bot"
        assert view.get("handoff") is None
    finally:
        http.close()
        stop(app)
        if rasa is not None:
            stop(rasa)
