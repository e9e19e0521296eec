"""The chats waiting in the queue, as routing reads them (`ConversationStore` has these reads,
from here): the whole line in order, and the few a routing pass may have to file, found by the
database's filter rather than by walking the line."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from core.db import Storage
from core.language import DEFAULT

Row = tuple[str, str, str, str, str]  # id, skill, priority, queued_at, language


class Queued:
    storage: Storage

    def queued(self, *, before: str | None = None) -> Iterator[Row]:
        """Chats waiting for a person in queue order (priority, then longest waiting), read
        lazily as `(id, skill, priority, queued_at, language)`, those queued at or before
        `before`."""
        yield from self.storage.db.execute(
            "select id, coalesce(skill, 'general'), coalesce(priority, 'normal'), queued_at,"
            " coalesce(language, :default) from conversations where status = 'queued'"
            + ("" if before is None else " and queued_at <= :before")
            + " order by queue_rank, queued_at",
            {"before": before, "default": DEFAULT},
        )

    def queued_due(
        self, *, before: str, spoken: Collection[str], ids: Collection[str]
    ) -> list[Row]:
        """The waiting chats a routing pass may have to file, as `queued` reads them: those
        queued at or before `before`, those in a language not in `spoken` (every one when it is
        empty), and those among `ids`."""
        spoken, ids = list(spoken), list(ids)
        language = "coalesce(language, ?)"
        due = ["queued_at <= ?", f"{language} not in ({', '.join('?' * len(spoken))})"]
        if not spoken:
            due[1] = "1 = 1"
        if ids:
            due.append(f"id in ({', '.join('?' * len(ids))})")
        return self.storage.db.execute(
            f"select id, coalesce(skill, 'general'), coalesce(priority, 'normal'), queued_at,"
            f" {language} from conversations where status = 'queued'"
            f" and ({' or '.join(due)}) order by queue_rank, queued_at",
            [DEFAULT, before, *([DEFAULT, *spoken] if spoken else []), *ids],
        ).fetchall()
