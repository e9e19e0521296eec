"""The database every runtime opens: each package's migrations, in dependency order, and the
retired single set that data directories made before them recorded (see `core.db`)."""

from __future__ import annotations

import os
from pathlib import Path

from cascade.legacy_migrations import LEGACY
from conversations.migrations import MIGRATIONS as CONVERSATIONS
from core.db import Migrations, Storage
from core.migrations import MIGRATIONS as CORE
from handoff.migrations import MIGRATIONS as HANDOFF
from knowledge_base.migrations import MIGRATIONS as KNOWLEDGE_BASE

# A package's tables before those of the packages that build on it.
MIGRATIONS: tuple[Migrations, ...] = (CORE, KNOWLEDGE_BASE, CONVERSATIONS, HANDOFF)


def open_storage(path: Path, *, url: str | None = None, pool_size: int | None = None) -> Storage:
    """The SQLite file at `path`, or the PostgreSQL database of `url`; without a `url`,
    `CASCADE_DATABASE_URL` decides, so every runtime and tool opens the same database."""
    url = url or os.environ.get("CASCADE_DATABASE_URL") or None
    return Storage(path, migrations=MIGRATIONS, legacy=(LEGACY,), url=url, pool_size=pool_size)
