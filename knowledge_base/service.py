"""The knowledge base as the rest of Cascade uses it: import, look up, search."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from cascade.clock import Clock, SystemClock, iso
from cascade.db import Storage
from knowledge_base.embedder import Embedder
from knowledge_base.errors import ImportRejected
from knowledge_base.index import VectorIndex, fingerprint
from knowledge_base.search import (
    Decision,
    Hit,
    SearchOutcome,
    Thresholds,
    decide,
)
from knowledge_base.store import Article, ArticleIn, ArticleStore, VectorRow, searchable_texts

log = logging.getLogger(__name__)

CENTROID_KINDS = frozenset({"title", "question"})


def parse_jsonl(text: str) -> list[ArticleIn]:
    """Parse and validate a whole JSON Lines file, or reject it naming every bad line."""
    articles: list[ArticleIn] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"line {number}: expected a JSON object")
            continue
        try:
            article = ArticleIn.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"]) or "article"
                problems.append(f"line {number}: {where}: {error['msg']}")
            continue
        if article.id in seen:
            problems.append(
                f"line {number}: id {article.id!r} already used on line {seen[article.id]}"
            )
            continue
        seen[article.id] = number
        articles.append(article)
    if not articles and not problems:
        problems.append("the file holds no articles")
    if problems:
        raise ImportRejected(problems)
    return articles


class KnowledgeBase:
    def __init__(
        self,
        *,
        storage: Storage,
        embedder: Embedder,
        index_path: Path,
        thresholds: Thresholds,
        clock: Clock | None = None,
    ) -> None:
        self.storage = storage
        self.store = ArticleStore(storage)
        self.embedder = embedder
        self.index_path = index_path
        self.thresholds = thresholds
        self.clock = clock or SystemClock()
        self._write_lock = threading.Lock()
        self._owners: dict[int, str] = {}
        self.index = self._load_or_rebuild()

    # -- index upkeep -------------------------------------------------------------------------

    def _centroids(self) -> tuple[list[tuple[int, str]], np.ndarray, str]:
        """One vector per published article: the normalised mean of its title and example
        questions (its passages too when it has no questions). Measured on kb-dev, this ranks
        and rejects better than the nearest single example (README, "Knowledge search")."""
        keys = dict(
            self.storage.db.execute(
                "select id, rowid from articles where status = 'published'"
            ).fetchall()
        )
        grouped: dict[str, list[VectorRow]] = {}
        for row in self.store.vectors():
            grouped.setdefault(row.article_id, []).append(row)
        members: list[tuple[int, str]] = []
        vectors: list[np.ndarray] = []
        texts: list[tuple[int, str]] = []
        for article_id, rows in sorted(grouped.items()):
            chosen = [r for r in rows if r.kind in CENTROID_KINDS]
            if not any(r.kind == "question" for r in rows):
                chosen = rows
            centroid = np.mean([r.embedding for r in chosen], axis=0)
            vectors.append(centroid / max(float(np.linalg.norm(centroid)), 1e-12))
            members.append((keys[article_id], article_id))
            texts += [(keys[article_id], r.text) for r in chosen]
        matrix = np.vstack(vectors) if vectors else np.zeros((0, self.embedder.dim), np.float32)
        return members, matrix.astype(np.float32), fingerprint(texts, self.embedder.name)

    def _load_or_rebuild(self) -> VectorIndex:
        members, matrix, expected = self._centroids()
        index = VectorIndex.load(self.index_path, self.embedder.dim)
        if index is None or index.fingerprint != expected or len(index) != len(members):
            log.info("knowledge index missing or stale: rebuilding from the database")
            return self._build(members, matrix, expected)
        self._owners = {key: article_id for key, article_id in members}
        self.index = index
        return index

    def rebuild_index(self) -> VectorIndex:
        """Build the index from the vectors stored beside the articles (no re-embedding)."""
        return self._build(*self._centroids())

    def _build(self, members: list[tuple[int, str]], matrix: np.ndarray, stamp: str) -> VectorIndex:
        index = VectorIndex(self.embedder.dim)
        index.add(np.array([key for key, _ in members], dtype=np.int64), matrix)
        index.fingerprint = stamp
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        index.save(self.index_path)
        self._owners = {key: article_id for key, article_id in members}
        self.index = index
        return index

    # -- editing ------------------------------------------------------------------------------

    def import_articles(self, articles: list[ArticleIn]) -> int:
        """Store and publish the articles (replacing any with the same id), all or nothing.

        Embedding happens before the transaction; the index is updated in place after it.
        """
        texts = [(a.id, kind, text) for a in articles for kind, text in searchable_texts(a)]
        vectors = self.embedder.encode([text for _, _, text in texts])
        now = iso(self.clock.now())
        with self._write_lock:
            ids = [a.id for a in articles]
            old_vector_ids = self.store.vector_ids_of(ids)
            with self.storage.write() as db:
                existing = self.store.get_many(ids)
                db.table("articles").upsert_all(
                    [
                        {
                            "id": a.id,
                            "title": a.title,
                            "body": a.body,
                            "questions": json.dumps(a.questions),
                            "skill": a.skill,
                            "tags": json.dumps(a.tags),
                            "status": "published",
                            "created_at": existing[a.id].created_at if a.id in existing else now,
                            "updated_at": now,
                        }
                        for a in articles
                    ],
                    pk="id",
                )
                if old_vector_ids:
                    marks = ",".join("?" for _ in ids)
                    db.execute(f"delete from kb_vectors where article_id in ({marks})", ids)
                start = (db.execute("select max(vector_id) from kb_vectors").fetchone()[0] or 0) + 1
                new_ids = np.arange(start, start + len(texts), dtype=np.int64)
                db.table("kb_vectors").insert_all(
                    {
                        "vector_id": int(vector_id),
                        "article_id": article_id,
                        "kind": kind,
                        "text": text,
                        "embedding": vector.tobytes(),
                    }
                    for vector_id, (article_id, kind, text), vector in zip(
                        new_ids, texts, vectors, strict=True
                    )
                )
            self._refresh(ids)
        return len(articles)

    def _refresh(self, article_ids: list[str]) -> None:
        """Replace the changed articles' vectors in the index in place (no full rebuild)."""
        members, matrix, stamp = self._centroids()
        changed = set(article_ids)
        keys = [key for key, article_id in self._owners.items() if article_id in changed]
        self.index.remove(keys)
        rows = [i for i, (_, article_id) in enumerate(members) if article_id in changed]
        self.index.add(np.array([members[i][0] for i in rows], dtype=np.int64), matrix[rows])
        self._owners = {key: article_id for key, article_id in members}
        self.index.fingerprint = stamp
        self.index.save(self.index_path)

    # -- reading ------------------------------------------------------------------------------

    def article(self, article_id: str) -> Article | None:
        return self.store.get(article_id)

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome:
        vector = self.embedder.encode([query])[0]
        ranked = [
            (self._owners[key], score)
            for key, score in self.index.search(vector, max(limit, self.thresholds.max_choices))
            if key in self._owners
        ]
        decision, choices = decide(ranked, self.thresholds)
        keep = ranked[:choices] if decision is Decision.CLARIFY else ranked[:limit]
        articles = self.store.get_many([article_id for article_id, _ in keep])
        results = [
            Hit(article_id, articles[article_id].title, score, articles[article_id].skill)
            for article_id, score in keep
            if article_id in articles
        ]
        return SearchOutcome(decision, results)
