"""Every save of an article is a new version: its row in `articles` moves on, and
`article_versions` keeps the state it reached, who made it and why, so editors can see what
changed and bring an earlier version back."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from core.db import Database, Storage
from knowledge_base.errors import VersionNotFound
from knowledge_base.store import Article, ArticleIn, ArticleStore, Embedded, content_from_row

TEXT_FIELDS = ("title", "body", "questions", "skill", "tags", "status")


@dataclass(frozen=True)
class Version:
    version: int
    author: str | None
    created_at: str
    change: str
    status: str
    title: str
    diff: str  # from the version before (unified, of the text fields)


class Versions:
    def __init__(self, *, storage: Storage, store: ArticleStore) -> None:
        self.storage = storage
        self.store = store

    def write(
        self,
        db: Database,
        article: ArticleIn,
        *,
        status: str,
        author: str | None,
        change: str,
        at: str,
        vectors: list[Embedded] | None,
    ) -> None:
        """Store one article's new state as its next version (vectors too, when its text
        changed). Must run inside a write transaction."""
        existing = self.store.get(article.id)
        if existing and existing.status == status and as_input(existing) == article:
            return  # imported again as it is: no empty version in its history
        version = (existing.version + 1) if existing else 1
        row = {
            "id": article.id,
            "title": article.title,
            "body": article.body,
            "questions": json.dumps(article.questions),
            "skill": article.skill,
            "tags": json.dumps(article.tags),
            "language": article.language or "en",
            "status": status,
            "version": version,
            "author": author,
            "created_at": existing.created_at if existing else at,
            "updated_at": at,
        }
        db.table("articles").upsert(row, pk="id")
        if existing is None:
            self.store.add_key(db, article.id)
        db.table("article_versions").insert(
            {
                **{k: row[k] for k in TEXT_FIELDS},
                "article_id": article.id,
                "version": version,
                "author": author,
                "change": change,
                "created_at": at,
            }
        )
        if vectors is not None:
            self.store.replace_vectors(db, article.id, vectors)

    def content(self, article_id: str, version: int) -> ArticleIn:
        """An earlier version's content, or VersionNotFound."""
        rows = list(
            self.storage.db.query(
                "select * from article_versions where article_id = ? and version = ?",
                [article_id, version],
            )
        )
        if not rows:
            raise VersionNotFound(article_id, version)
        return content_from_row(rows[0], article_id=article_id)

    def history(self, article_id: str) -> list[Version]:
        """Every version, newest first, each with its diff from the one before."""
        rows = list(
            self.storage.db.query(
                "select * from article_versions where article_id = ? order by version", [article_id]
            )
        )
        out = []
        previous: dict[str, Any] | None = None
        for row in rows:
            out.append(
                Version(
                    version=row["version"],
                    author=row["author"],
                    created_at=row["created_at"],
                    change=row["change"],
                    status=row["status"],
                    title=row["title"],
                    diff=version_diff(previous, row),
                )
            )
            previous = row
        return list(reversed(out))


def version_diff(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """A unified diff of the article's text fields between two versions."""

    def lines(row: dict[str, Any] | None) -> list[str]:
        if row is None:
            return []
        out = [
            f"title: {row['title']}",
            f"skill: {row['skill']}",
            f"tags: {', '.join(json.loads(row['tags'] or '[]'))}",
        ]
        out += [f"question: {q}" for q in json.loads(row["questions"] or "[]")]
        out += ["", *(row["body"] or "").splitlines()]
        return out

    return "\n".join(
        difflib.unified_diff(
            lines(before),
            lines(after),
            fromfile=f"version {before['version']}" if before else "nothing",
            tofile=f"version {after['version']}",
            lineterm="",
        )
    )


def as_input(article: Article) -> ArticleIn:
    return ArticleIn(
        id=article.id,
        title=article.title,
        body=article.body,
        questions=article.questions,
        skill=article.skill,
        tags=article.tags,
        language=article.language,
    )
