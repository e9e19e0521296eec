"""Rasa as Cascade starts it (`bot.rasa`: the action response check with its validator built
once) still checks every action response: a valid one is said, an invalid one is refused, with
the same error Rasa's own check gives."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bot.runtime import start_rasa
from core.settings import Settings
from tests.helpers import free_port, run_in_rasa, serving, stop, wait_until

pytestmark = [pytest.mark.rasa, pytest.mark.engine_independent]

GREETING = "Hello from the action server"
VALID: list[dict[str, Any]] = [
    {"events": [], "responses": [{"text": GREETING}]},
    {
        "events": [{"event": "slot", "name": "email", "value": None, "timestamp": None}],
        "responses": [{"text": "Yes?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}],
    },
    {},
]
INVALID: list[dict[str, Any]] = [
    {"events": [], "responses": "not a list"},
    {"events": [{"event": "slot", "name": 5, "value": 1}], "responses": [{"text": GREETING}]},
    {"events": [{"name": "email"}], "responses": [{"text": GREETING}]},
]

# Both checks on the same responses, in the Rasa runtime: Rasa's own, then the one `bot.rasa` puts
# in its place. A refusal is reported as the error's message and where in the response it is.
BOTH_CHECKS = r"""
import json, sys
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
import bot.rasa

action = RemoteAction("action_greet", None)

def outcome(response):
    try:
        return action._validate_action_result(response)
    except ValidationError as error:
        return [error.message, list(error.path)]

responses = json.loads(sys.argv[1])
rasa_own = [outcome(r) for r in responses]
bot.rasa.validate_with_one_validator()
print(json.dumps({"rasa": rasa_own, "cascade": [outcome(r) for r in responses]}))
"""


def test_the_check_accepts_and_refuses_what_rasa_does() -> None:
    out = run_in_rasa(BOTH_CHECKS, json.dumps(VALID + INVALID))
    assert out["cascade"] == out["rasa"]
    assert out["cascade"][: len(VALID)] == [True] * len(VALID)
    refusals = out["cascade"][len(VALID) :]
    assert refusals[0] == [
        "'not a list' is not of type 'array'. Failed to validate Action server response from "
        "API, make sure your response from the Action endpoint is valid. For more information "
        "about the format visit https://rasa.com/docs/rasa/custom-actions",
        ["responses"],
    ]
    assert [(message.split(".")[0], path) for message, path in refusals[1:]] == [
        (
            "{'event': 'slot', 'name': 5, 'value': 1} is not valid under any of the given schemas",
            ["events", 0],
        ),
        ("'event' is a required property", ["events", 0]),
    ]


class ActionServer(ThreadingHTTPServer):
    """Answers every action call with `response`; keeps the names of the actions called."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ActionHandler)
        self.response: dict[str, Any] = {}
        self.called: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/webhook"


class ActionHandler(BaseHTTPRequestHandler):
    server: ActionServer

    def do_POST(self) -> None:
        call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.called.append(call["next_action"])
        body = json.dumps(self.server.response).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def test_the_rasa_server_says_valid_responses_and_refuses_invalid_ones(
    tmp_path, rasa_model
) -> None:
    project = Settings()
    port = free_port()
    with serving(ActionServer()) as actions:
        rasa = start_rasa(
            project_dir=project.project_dir,
            rasa_bin=project.rasa_bin,
            model=rasa_model,
            port=port,
            action_url=actions.url,
            action_secret="unused-here",
            tracker_db=tmp_path / "rasa_tracker.db",
            log_file=tmp_path / "rasa.log",
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(
                lambda: httpx.get(url, timeout=2).status_code == 200,
                timeout_s=300,
                what="Rasa answering",
                process=rasa,
            )

            def say_hello(sender: str) -> list[str]:
                reply = httpx.post(
                    f"{url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": "hello"},
                    timeout=120,
                )
                reply.raise_for_status()
                return [message.get("text") for message in reply.json()]

            actions.response = VALID[0]
            assert say_hello("valid") == [GREETING]
            assert actions.called == ["action_greet"]

            for number, invalid in enumerate(INVALID):
                actions.response = invalid
                assert say_hello(f"invalid-{number}") == []  # Rasa refused what the action said
            assert actions.called == ["action_greet"] * (1 + len(INVALID))
            log = (tmp_path / "rasa.log").read_text(errors="replace")
            assert log.count("Failed to validate Action server response") == len(INVALID)
        finally:
            stop(rasa)
