"""The storage layer's own cost: write transactions (a message appended) and one-row reads on
a fresh database, SQLite by default or PostgreSQL with CASCADE_DATABASE_URL.

    .venv/bin/python -m benchmarks.storage [writes] [reads]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from cascade.storage import open_storage
from conversations.store import ConversationStore


def main() -> None:
    writes = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    reads = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    with tempfile.TemporaryDirectory() as tmp:
        storage = open_storage(Path(tmp) / "cascade.db")
        store = ConversationStore(storage)
        conversation_id = store.create(customer={"name": "Ana"}, page_url=None, at="t")
        started = time.perf_counter()
        for n in range(writes):
            store.add_message(conversation_id, sender="customer", text=f"hello {n}", at="t")
        write_us = (time.perf_counter() - started) / writes * 1e6
        started = time.perf_counter()
        for _ in range(reads):
            store.language(conversation_id)
        read_us = (time.perf_counter() - started) / reads * 1e6
        storage.close()
    print(
        f"{storage.dialect}: a write transaction {write_us:.0f} µs, a one-row read {read_us:.0f} µs"
    )


if __name__ == "__main__":
    main()
