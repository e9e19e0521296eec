"""The dialogue data, checked by Rasa itself: `rasa data validate` and `rasa test` on stories."""

from __future__ import annotations

import subprocess

import pytest

from bot.runtime import rasa_env
from core.settings import Settings

pytestmark = [pytest.mark.rasa, pytest.mark.engine_independent]


def rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    settings = Settings()
    return subprocess.run(
        [str(settings.rasa_bin), *args],
        cwd=settings.project_dir,
        env=rasa_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_rasa_data_validate() -> None:
    result = rasa("data", "validate", "--max-history", "5")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_rasa_test_stories(rasa_model, tmp_path) -> None:
    result = rasa(
        "test",
        "core",
        "--model",
        str(rasa_model),
        "--stories",
        "tests/rasa/test_stories.yml",
        "--out",
        str(tmp_path),
        "--fail-on-prediction-errors",
        "--no-plot",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "failed_test_stories.yml").read_text().count("- story:") == 0
