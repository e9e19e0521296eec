"""The database every runtime opens: each package's migrations, in dependency order, and the
retired single set that data directories made before them recorded (see `core.db`)."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Migrations

from cascade.legacy_migrations import LEGACY
from conversations.migrations import MIGRATIONS as CONVERSATIONS
from core.db import Storage
from core.migrations import MIGRATIONS as CORE
from handoff.migrations import MIGRATIONS as HANDOFF
from knowledge_base.migrations import MIGRATIONS as KNOWLEDGE_BASE

# A package's tables before those of the packages that build on it.
MIGRATIONS: tuple[Migrations, ...] = (CORE, KNOWLEDGE_BASE, CONVERSATIONS, HANDOFF)


def open_storage(path: Path) -> Storage:
    return Storage(path, migrations=MIGRATIONS, legacy=(LEGACY,))
