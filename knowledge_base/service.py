"""The knowledge base as the rest of Cascade uses it: import, look up, search."""

from __future__ import annotations

import difflib
import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from core.clock import Clock, SystemClock, iso
from core.db import Storage
from knowledge_base.embedder import Embedder, NoModel
from knowledge_base.errors import ArticleExists, ArticleNotFound, ImportRejected, VersionNotFound
from knowledge_base.gaps import GapLog, slug
from knowledge_base.index import VectorIndex, fingerprint
from knowledge_base.lexical import LexicalIndex
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
    # Only \n ends a line: JSON strings may hold U+2028 and the like, which splitlines() splits.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        except RecursionError:
            problems.append(f"line {number}: nested too deeply")
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
        ivf_from: int = 50_000,
        nprobe: int = 16,
        candidates: int = 10,
    ) -> None:
        self.ivf_from = ivf_from
        self.candidates = candidates
        self.nprobe = nprobe
        self.storage = storage
        self.store = ArticleStore(storage)
        self.embedder = embedder
        self.index_path = index_path
        self.thresholds = thresholds
        self.clock = clock or SystemClock()
        self._write_lock = threading.RLock()
        self._owners: dict[int, str] = {}
        self.gaps = GapLog(storage=storage, embedder=embedder, clock=self.clock)
        self.lexical = LexicalIndex(storage)
        self._follow_embedder()
        self.index = self._load_or_rebuild()

    def _follow_embedder(self) -> None:
        """Vectors made by another model (a data directory from before a change of
        CASCADE_EMBEDDING_MODEL) are made again from their stored text, gaps' too. An embedder
        that loads no model takes the stored model's name and size instead."""
        db = self.storage.db
        row = db.execute("select name, dim from kb_embedder where id = 1").fetchone()
        blob = None if row else db.execute("select length(embedding) from kb_vectors").fetchone()
        if blob:  # not recorded yet (an older directory): judge by the vectors' length
            dim = blob[0] // 4
            row = (self.embedder.name if dim == self.embedder.dim else "", dim)
        if isinstance(self.embedder, NoModel):
            if row is not None:
                self.embedder.name, self.embedder.dim = row
            return
        current = (self.embedder.name, self.embedder.dim)
        if row is not None and tuple(row) != current:
            log.warning(
                "stored vectors are from %s: embedding them again with %s",
                row[0] or "an earlier model",
                self.embedder.name,
            )
            for table, key, text in (
                ("kb_vectors", "vector_id", "text"),
                ("kb_gaps", "id", "question"),
            ):
                rows = db.execute(f"select {key}, {text} from {table}").fetchall()
                vectors = self.embedder.encode([t for _, t in rows])
                with self.storage.write() as tx:
                    tx.conn.executemany(
                        f"update {table} set embedding = ? where {key} = ?",
                        [(v.tobytes(), k) for (k, _), v in zip(rows, vectors, strict=True)],
                    )
        if row is None or tuple(row) != current:
            with self.storage.write() as tx:
                tx.table("kb_embedder").upsert(
                    {"id": 1, "name": current[0], "dim": current[1]}, pk="id"
                )

    # -- index upkeep -------------------------------------------------------------------------

    def _stamp(self) -> str:
        """Identifies what the index must hold: every published article at its version."""
        rows = self.storage.db.execute(
            "select rowid, id || ':' || coalesce(version, 1) || ':' || updated_at from articles"
            " where status = 'published' order by id"
        ).fetchall()
        return fingerprint(((key, text) for key, text in rows), self.embedder.name)

    def _centroids(
        self, article_ids: list[str] | None = None
    ) -> tuple[list[tuple[int, str]], np.ndarray]:
        """One vector per published article: the normalised mean of its title and example
        questions (its passages too when it has no questions). Measured on kb-dev, this ranks
        and rejects better than the nearest single example (README, "Knowledge search")."""
        keys = dict(
            self.storage.db.execute(
                "select id, rowid from articles where status = 'published'"
            ).fetchall()
        )
        grouped: dict[str, list[VectorRow]] = {}
        for row in self.store.vectors(article_ids):
            grouped.setdefault(row.article_id, []).append(row)
        members: list[tuple[int, str]] = []
        vectors: list[np.ndarray] = []
        for article_id, rows in sorted(grouped.items()):
            chosen = [r for r in rows if r.kind in CENTROID_KINDS]
            if not any(r.kind == "question" for r in rows):
                chosen = rows
            centroid = np.mean([r.embedding for r in chosen], axis=0)
            vectors.append(centroid / max(float(np.linalg.norm(centroid)), 1e-12))
            members.append((keys[article_id], article_id))
        matrix = np.vstack(vectors) if vectors else np.zeros((0, self.embedder.dim), np.float32)
        return members, matrix.astype(np.float32)

    def _documents(self, article_ids: list[str] | None = None) -> list[tuple[int, str]]:
        """What the lexical index holds per published article, keyed like the vector index:
        its title and example questions (its body when it has no questions), as the centroid."""
        sql = "select rowid, title, questions, body from articles where status = 'published'"
        params: list[str] = []
        if article_ids is not None:
            sql += f" and id in ({','.join('?' for _ in article_ids)})"
            params = list(article_ids)
        documents = []
        for key, title, questions, body in self.storage.db.execute(sql, params).fetchall():
            examples = json.loads(questions or "[]")
            documents.append((key, "\n".join([title, *examples] if examples else [title, body])))
        return documents

    def _load_or_rebuild(self) -> VectorIndex:
        stamp = self._stamp()
        index = VectorIndex.load(self.index_path, self.embedder.dim)
        if index is None or index.fingerprint != stamp:
            log.info("knowledge index missing or stale: rebuilding from the database")
            return self.rebuild_index()
        if self.lexical.fingerprint != stamp:
            self.lexical.rebuild(self._documents(), stamp)
        self._owners = dict(
            self.storage.db.execute(
                "select rowid, id from articles where status = 'published'"
            ).fetchall()
        )
        index.set_nprobe(self.nprobe)
        self.index = index
        return index

    def rebuild_index(self) -> VectorIndex:
        """Build the index from the vectors stored beside the articles (no re-embedding)."""
        members, matrix = self._centroids()
        index = VectorIndex.build(
            self.embedder.dim,
            np.array([key for key, _ in members], dtype=np.int64),
            matrix,
            ivf_from=self.ivf_from,
            nprobe=self.nprobe,
        )
        index.fingerprint = self._stamp()
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        index.save(self.index_path)
        self.lexical.rebuild(self._documents(), index.fingerprint)
        self._owners = {key: article_id for key, article_id in members}
        self.index = index
        return index

    def _refresh(self, article_ids: list[str]) -> None:
        """Update only the changed articles in the index, in place: removed if no longer
        published, re-added with their new vector if they are."""
        changed = set(article_ids)
        if not changed:
            return
        marks = ",".join("?" for _ in changed)
        indexed = {key for key, article_id in self._owners.items() if article_id in changed}
        removed = indexed | {  # its row in the lexical table, even if the index had lost it
            key
            for (key,) in self.storage.db.execute(
                f"select rowid from articles where id in ({marks})", sorted(changed)
            ).fetchall()
        }
        self.index.remove(indexed)
        self._owners = {k: a for k, a in self._owners.items() if a not in changed}
        members, matrix = self._centroids(sorted(changed))
        self.index.add(np.array([key for key, _ in members], dtype=np.int64), matrix)
        self._owners.update({key: article_id for key, article_id in members})
        self.index.fingerprint = self._stamp()
        self.index.save(self.index_path)
        self.lexical.refresh(removed, self._documents(sorted(changed)), self.index.fingerprint)

    # -- writing ------------------------------------------------------------------------------

    def _embed(self, articles: list[ArticleIn]) -> list[tuple[str, str, str, np.ndarray]]:
        texts = [(a.id, kind, text) for a in articles for kind, text in searchable_texts(a)]
        vectors = self.embedder.encode([text for _, _, text in texts])
        return [
            (aid, kind, text, vec) for (aid, kind, text), vec in zip(texts, vectors, strict=True)
        ]

    def _write(
        self,
        db: Any,
        article: ArticleIn,
        *,
        status: str,
        author: str | None,
        change: str,
        at: str,
        vectors: list[tuple[str, str, str, np.ndarray]] | None,
    ) -> None:
        """Store one article's new state as its next version (vectors too, when its text
        changed). Must run inside a write transaction."""
        existing = self.store.get(article.id)
        version = (existing.version + 1) if existing else 1
        row = {
            "id": article.id,
            "title": article.title,
            "body": article.body,
            "questions": json.dumps(article.questions),
            "skill": article.skill,
            "tags": json.dumps(article.tags),
            "status": status,
            "version": version,
            "author": author,
            "created_at": existing.created_at if existing else at,
            "updated_at": at,
        }
        db.table("articles").upsert(row, pk="id")
        db.table("article_versions").insert(
            {
                **{k: row[k] for k in ("title", "body", "questions", "skill", "tags", "status")},
                "article_id": article.id,
                "version": version,
                "author": author,
                "change": change,
                "created_at": at,
            }
        )
        if vectors is not None:
            db.execute("delete from kb_vectors where article_id = ?", [article.id])
            start = (db.execute("select max(vector_id) from kb_vectors").fetchone()[0] or 0) + 1
            db.table("kb_vectors").insert_all(
                {
                    "vector_id": start + i,
                    "article_id": aid,
                    "kind": kind,
                    "text": text,
                    "embedding": vec.tobytes(),
                }
                for i, (aid, kind, text, vec) in enumerate(vectors)
            )

    def _commit(
        self,
        article: ArticleIn,
        *,
        status: str,
        author: str | None,
        change: str,
        vectors: list[tuple[str, str, str, np.ndarray]] | None,
    ) -> Article:
        """Write one article's next version and update its place in the index."""
        with self._write_lock:
            with self.storage.write() as db:
                self._write(
                    db,
                    article,
                    status=status,
                    author=author,
                    change=change,
                    at=iso(self.clock.now()),
                    vectors=vectors,
                )
            self._refresh([article.id])
        return self._get(article.id)

    def import_with_status(self, articles: list[tuple[ArticleIn, str]], *, author: str) -> int:
        """Import articles that each say their status (Markdown front matter): the published
        ones in one all-or-nothing import; drafts and archived ones after it, each moved out of
        search before its new text is saved, so no draft is ever searched."""
        live = [article for article, status in articles if status == "published"]
        if live:
            self.import_articles(live, author=author)
        for article, status in articles:
            if status == "published":
                continue
            current = self.article(article.id)
            if current is None:
                self.create(article, author=author)
            if current is None or current.status != status:
                self.set_status(article.id, status, author=author)
            if current is not None:
                self.save(article.id, article, author=author, change="imported")
        return len(articles)

    def import_articles(self, articles: list[ArticleIn], *, author: str | None = "import") -> int:
        """Store and publish the articles (replacing any with the same id), all or nothing.

        Embedding happens before the transaction; the index is updated in place after it.
        """
        vectors = self._embed(articles)
        by_article: dict[str, list[tuple[str, str, str, np.ndarray]]] = {}
        for item in vectors:
            by_article.setdefault(item[0], []).append(item)
        at = iso(self.clock.now())
        with self._write_lock:
            with self.storage.write() as db:
                for article in articles:
                    self._write(
                        db,
                        article,
                        status="published",
                        author=author,
                        change="imported",
                        at=at,
                        vectors=by_article.get(article.id, []),
                    )
            self._refresh([a.id for a in articles])
        return len(articles)

    def create(self, article: ArticleIn, *, author: str | None) -> Article:
        """A new draft: stored and embedded, not searched until it is published."""
        vectors = self._embed([article])
        with self._write_lock, self.storage.write() as db:
            if self.store.get(article.id) is not None:
                raise ArticleExists(article.id)
            self._write(
                db,
                article,
                status="draft",
                author=author,
                change="created",
                at=iso(self.clock.now()),
                vectors=vectors,
            )
        return self._get(article.id)

    def save(
        self, article_id: str, article: ArticleIn, *, author: str | None, change: str = "edited"
    ) -> Article:
        """Every save is a new version; a published article's edit is live on return."""
        current = self._get(article_id)
        article = article.model_copy(update={"id": article_id})
        vectors = self._embed([article])
        return self._commit(
            article, status=current.status, author=author, change=change, vectors=vectors
        )

    def set_status(self, article_id: str, status: str, *, author: str | None) -> Article:
        """Publish or archive: search reflects it on return (the index is updated in place)."""
        current = self._get(article_id)
        if current.status == status:
            return current
        change = {"published": "published", "archived": "archived", "draft": "unpublished"}[status]
        return self._commit(
            as_input(current), status=status, author=author, change=change, vectors=None
        )

    def rollback(self, article_id: str, version: int, *, author: str | None) -> Article:
        """Bring back an earlier version's content as a new version (its status is kept)."""
        current = self._get(article_id)
        rows = list(
            self.storage.db.query(
                "select * from article_versions where article_id = ? and version = ?",
                [article_id, version],
            )
        )
        if not rows:
            raise VersionNotFound(article_id, version)
        old = rows[0]
        article = ArticleIn(
            id=article_id,
            title=old["title"],
            body=old["body"] or "",
            questions=json.loads(old["questions"] or "[]"),
            skill=old["skill"] or "general",
            tags=json.loads(old["tags"] or "[]"),
        )
        vectors = self._embed([article])
        return self._commit(
            article,
            status=current.status,
            author=author,
            change=f"rolled back to version {version}",
            vectors=vectors,
        )

    # -- closing content gaps -----------------------------------------------------------------

    def draft_from_gaps(
        self, gap_ids: list[int], *, title: str | None, author: str | None
    ) -> Article:
        """A draft article whose example questions are the gaps' questions."""
        gaps = self.gaps.take(gap_ids)
        questions = unique([g.question for g in gaps])
        title = (title or questions[0].rstrip("?!. ")).strip()
        title = title[:1].upper() + title[1:]
        article_id, n = slug(title), 1
        while self.store.get(article_id) is not None:
            n += 1
            article_id = f"{slug(title)}-{n}"
        draft = self.create(
            ArticleIn(id=article_id, title=title, questions=questions), author=author
        )
        self.gaps.close(gap_ids, draft.id)
        return draft

    def attach_gaps(self, gap_ids: list[int], article_id: str, *, author: str | None) -> Article:
        """Teach an existing article the gaps' questions as example questions."""
        gaps = self.gaps.take(gap_ids)
        current = self._get(article_id)
        questions = unique([*current.questions, *(g.question for g in gaps)])
        added = len(questions) - len(current.questions)
        updated = self.save(
            article_id,
            as_input(current).model_copy(update={"questions": questions}),
            author=author,
            change=f"added {added} example question{'s' if added != 1 else ''} from content gaps",
        )
        self.gaps.close(gap_ids, article_id)
        return updated

    def feedback(self, article_id: str) -> dict[str, Any]:
        """How an article does with customers: times shown, the answers to "did that answer
        your question?", and hand-overs that followed it in the same chat."""
        self._get(article_id)
        db = self.storage.db
        shown = db.execute(
            "select count(*) from events where name = 'kb.article_shown'"
            " and json_extract(data, '$.article_id') = ?",
            [article_id],
        ).fetchone()[0]
        yes, no = db.execute(
            "select coalesce(sum(json_extract(data, '$.helpful') = 1), 0),"
            " coalesce(sum(json_extract(data, '$.helpful') = 0), 0) from events"
            " where name = 'kb.feedback' and json_extract(data, '$.article_id') = ?",
            [article_id],
        ).fetchone()
        handoffs = db.execute(
            """
            select count(distinct s.conversation_id) from events s join events h
              on h.conversation_id = s.conversation_id and h.id > s.id
             and h.name = 'conversation.handed_over'
            where s.name = 'kb.article_shown' and json_extract(s.data, '$.article_id') = ?
            """,
            [article_id],
        ).fetchone()[0]
        return {
            "article_id": article_id,
            "shown": shown,
            "helpful": yes,
            "not_helpful": no,
            "helpful_rate": round(yes / (yes + no), 4) if yes + no else None,
            "handoffs_after": handoffs,
        }

    # -- reading ------------------------------------------------------------------------------

    def _get(self, article_id: str) -> Article:
        article = self.store.get(article_id)
        if article is None:
            raise ArticleNotFound(article_id)
        return article

    def article(self, article_id: str) -> Article | None:
        return self.store.get(article_id)

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """Every version, newest first, with who, when, what changed and a diff from the one
        before."""
        self._get(article_id)
        rows = list(
            self.storage.db.query(
                "select * from article_versions where article_id = ? order by version", [article_id]
            )
        )
        out = []
        previous: dict[str, Any] | None = None
        for row in rows:
            out.append(
                {
                    "version": row["version"],
                    "author": row["author"],
                    "created_at": row["created_at"],
                    "change": row["change"],
                    "status": row["status"],
                    "title": row["title"],
                    "diff": version_diff(previous, row),
                }
            )
            previous = row
        return list(reversed(out))

    def export(self) -> list[dict[str, Any]]:
        """Every article but archived ones, in the import format (plus status), by id."""
        return [a.as_dict() for a in self.store.all() if a.status != "archived"]

    def listing(
        self, *, status: str | None = None, query: str | None = None
    ) -> list[dict[str, Any]]:
        items = [a for a in self.store.all() if status is None or a.status == status]
        if query:
            needle = query.lower()
            items = [a for a in items if needle in a.title.lower() or needle in a.body.lower()]
        return [
            {
                "id": a.id,
                "title": a.title,
                "skill": a.skill,
                "tags": a.tags,
                "status": a.status,
                "version": a.version,
                "updated_at": a.updated_at,
            }
            for a in items
        ]

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome:
        """Rank by meaning, then let the words decide among the nearest: each of the
        `candidates` nearest articles scores its cosine plus `lexical_weight` times its lexical
        agreement with the question (knowledge_base/lexical.py)."""
        vector = self.embedder.encode([query])[0]
        weight = self.thresholds.lexical_weight
        wanted = max(limit, self.thresholds.max_choices, self.candidates if weight else 0)
        nearest = [(key, s) for key, s in self.index.search(vector, wanted) if key in self._owners]
        if weight and nearest:
            agreement = self.lexical.agreement(query, [key for key, _ in nearest])
            nearest = [(key, s + weight * agreement[key]) for key, s in nearest]
            nearest.sort(key=lambda item: -item[1])
        ranked = [(self._owners[key], score) for key, score in nearest]
        decision, choices = decide(ranked, self.thresholds)
        keep = ranked[:choices] if decision is Decision.CLARIFY else ranked[:limit]
        articles = self.store.get_many([article_id for article_id, _ in keep])
        results = [
            Hit(article_id, articles[article_id].title, score, articles[article_id].skill)
            for article_id, score in keep
            if article_id in articles
        ]
        return SearchOutcome(decision, results)


def unique(questions: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for q in questions:
        if q.lower() not in seen:
            seen.add(q.lower())
            out.append(q)
    return out


def as_input(article: Article) -> ArticleIn:
    return ArticleIn(
        id=article.id,
        title=article.title,
        body=article.body,
        questions=article.questions,
        skill=article.skill,
        tags=article.tags,
    )


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
