"""The app limits glibc's malloc arenas unless the operator set MALLOC_ARENA_MAX."""

from __future__ import annotations

import subprocess
import sys

CHECK = "from cascade.memory import limit_malloc_arenas; print(limit_malloc_arenas())"


def run(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_arenas_are_limited_on_glibc_unless_the_operator_chose() -> None:
    assert run({}) == "True"  # this machine's C library is glibc
    assert run({"MALLOC_ARENA_MAX": "4"}) == "False"  # glibc read the operator's own limit
