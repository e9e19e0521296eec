"""The API fuzzed from its own OpenAPI document (schemathesis): whatever a client sends, no
answer is a 5xx and every answer fits the response model the route declares."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cascade.app import create_app
from core.clock import ManualClock
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot

ADMIN = "fuzz-admin-token"


DATA = Path(tempfile.mkdtemp(prefix="cascade-fuzz-"))
# The app object is made at import, so its OpenAPI document can be read when tests are collected;
# its services start in the fixture below (start-up runs only inside a client's context).
APP = create_app(
    Settings(data_dir=DATA / "data", admin_token=ADMIN, rasa_url="", rate_limits=False),
    embedder=HashingEmbedder(),
    bot=ScriptedBot(),
    clock=ManualClock(),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def running():
    with TestClient(APP):
        yield
    shutil.rmtree(DATA, ignore_errors=True)


@schema.parametrize()
# Bounded and repeatable: 25 requests per operation, the same ones on every run (a failure found
# once is found again), no example database left behind.
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_answer_fits_its_model(case):
    """Every operation, with the admin token (which holds every staff role), so bodies and
    parameters reach the routes' own rules rather than stopping at sign-in."""
    response = case.call(headers={"Authorization": f"Bearer {ADMIN}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
