"""`cascade up --replicas N --rasa M`: where each process listens and keeps its files, and the
refusal to start several without the shared PostgreSQL and Redis (the start itself is tested with
the real processes in test_rasa_replicas.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cascade.cluster import ClusterRefused, plan
from core.settings import Settings
from tests.helpers import ADMIN, ROOT, app_env

SHARED = {
    "database_url": "postgresql+psycopg://cascade:s3cret@db.example:5432/cascade",
    "redis_url": "redis://:pw@cache.example:6379/2",
}


def test_each_replica_has_its_port_and_data_directory_and_each_rasa_its_app(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, **SHARED)
    laid_out = plan(settings, replicas=2, rasa=3, port=8000, rasa_port=5005, host="127.0.0.1")
    assert [m.url for m in laid_out.apps] == ["http://127.0.0.1:8000", "http://127.0.0.1:8001"]
    assert laid_out.data_dirs == [tmp_path / "replica-1", tmp_path / "replica-2"]
    assert [m.url for m in laid_out.rasas] == [
        "http://127.0.0.1:5005",
        "http://127.0.0.1:5006",
        "http://127.0.0.1:5007",
    ]
    # Rasa's action calls are spread over the app replicas.
    assert laid_out.action_urls == [
        "http://127.0.0.1:8000/webhook",
        "http://127.0.0.1:8001/webhook",
        "http://127.0.0.1:8000/webhook",
    ]


@pytest.mark.parametrize(
    ("shared", "missing"),
    [
        ({}, "CASCADE_DATABASE_URL and CASCADE_REDIS_URL"),
        ({"database_url": SHARED["database_url"]}, "CASCADE_REDIS_URL"),
        ({"redis_url": SHARED["redis_url"]}, "CASCADE_DATABASE_URL"),
    ],
)
def test_several_are_refused_without_the_shared_stores(
    tmp_path, monkeypatch, shared, missing
) -> None:
    for name in ("CASCADE_DATABASE_URL", "CASCADE_REDIS_URL"):  # only what `shared` gives
        monkeypatch.delenv(name, raising=False)
    settings = Settings(data_dir=tmp_path, **shared)
    with pytest.raises(ClusterRefused, match=f"need {missing}:"):
        plan(settings, replicas=1, rasa=2, port=8000, rasa_port=5005, host="127.0.0.1")


@pytest.mark.parametrize(
    ("shared", "problem"),
    [
        ({**SHARED, "database_url": "sqlite:///x.db"}, "must be a PostgreSQL URL"),
        ({**SHARED, "redis_url": "unix:///run/redis.sock"}, "must be redis://"),
    ],
)
def test_stores_rasa_cannot_use_are_refused(tmp_path, shared, problem) -> None:
    with pytest.raises(ClusterRefused, match=problem):
        plan(
            Settings(data_dir=tmp_path, **shared),
            replicas=2,
            rasa=2,
            port=8000,
            rasa_port=5005,
            host="127.0.0.1",
        )


def test_overlapping_ports_are_refused(tmp_path) -> None:
    with pytest.raises(ClusterRefused, match="overlap"):
        plan(
            Settings(data_dir=tmp_path, **SHARED),
            replicas=3,
            rasa=2,
            port=5004,
            rasa_port=5005,
            host="127.0.0.1",
        )


def test_the_command_says_what_is_missing_and_starts_nothing(tmp_path) -> None:
    env = {
        k: v
        for k, v in app_env(ADMIN).items()
        if k not in ("CASCADE_DATABASE_URL", "CASCADE_REDIS_URL")
    }
    ran = subprocess.run(
        [sys.executable, "-m", "cascade.cli", "up", "--replicas", "2", "--rasa", "2"]
        + ["--data-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 2
    assert "need CASCADE_DATABASE_URL and CASCADE_REDIS_URL" in ran.stderr
    assert list(tmp_path.iterdir()) == []  # no data directory was made, nothing started
