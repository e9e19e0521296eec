"""The search indexes' life: made from the vectors and text stored beside the articles, kept
in step with every publish, edit and archive, and rebuilt when they no longer match.

Both indexes hold one entry per published article, under its key (`article_keys`): the vector
index its centroid, the lexical index its words (knowledge_base/lexical.py). Each language has
its own pair, made by its own embedder: a Japanese question searches the Japanese articles.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from core.db import Storage
from core.language import DEFAULT, LANGUAGES
from knowledge_base.calibration import ArticleVectors
from knowledge_base.embedder import Embedder, NoModel
from knowledge_base.index import VectorIndex, fingerprint
from knowledge_base.lexical import LexicalIndex
from knowledge_base.store import ArticleStore, VectorRow

log = logging.getLogger(__name__)

CENTROID_KINDS = frozenset({"title", "question"})


def follow_embedder(storage: Storage, embedder: Embedder, language: str = DEFAULT) -> None:
    """Vectors of this language's articles made by another model (a data directory from
    before a change of CASCADE_EMBEDDING_MODEL) are made again from their stored text; gaps'
    are dropped, to be made when gaps are next listed. An embedder that loads no model takes
    the stored model's name and size instead."""
    db = storage.db
    row = db.execute(
        "select name, dim from kb_embedder where coalesce(language, 'en') = ?", [language]
    ).fetchone()
    blob = None
    if not row:
        blob = db.execute(
            "select length(v.embedding) from kb_vectors v join articles a on a.id = v.article_id"
            " where coalesce(a.language, 'en') = ?",
            [language],
        ).fetchone()
    if blob:  # not recorded yet (an older directory): judge by the vectors' length
        dim = blob[0] // 4
        row = (embedder.name if dim == embedder.dim else "", dim)
    if isinstance(embedder, NoModel):
        if row is not None:
            embedder.name, embedder.dim = row
        return
    current = (embedder.name, embedder.dim)
    if row is not None and tuple(row) != current:
        log.warning(
            "stored %s vectors are from %s: embedding them again with %s",
            language,
            row[0] or "an earlier model",
            embedder.name,
        )
        rows = db.execute(
            "select v.vector_id, v.text from kb_vectors v join articles a"
            " on a.id = v.article_id where coalesce(a.language, 'en') = ?",
            [language],
        ).fetchall()
        vectors = embedder.encode([t for _, t in rows])
        with storage.write() as tx:
            tx.executemany(
                "update kb_vectors set embedding = ? where vector_id = ?",
                [(v.tobytes(), k) for (k, _), v in zip(rows, vectors, strict=True)],
            )
            # gaps' vectors are made again when gaps are next listed (GapLog.open_gaps)
            tx.execute(
                "update kb_gaps set embedding = null where coalesce(language, 'en') = ?",
                [language],
            )
    if row is None or tuple(row) != current:
        with storage.write() as tx:
            tx.table("kb_embedder").upsert(
                {
                    "id": list(LANGUAGES).index(language) + 1,
                    "name": current[0],
                    "dim": current[1],
                    "language": language,
                },
                pk="id",
            )


def owner(state: str) -> str:
    """The article id of a published state, "id:version:updated_at" (ids have no colon)."""
    return state.split(":", 1)[0]


def centroid_parts(article_id: str, rows: list[VectorRow]) -> ArticleVectors:
    """The vectors an article's centroid is the mean of: its title and example questions (its
    passages too when it has no questions), with which of them are example questions."""
    chosen = [r for r in rows if r.kind in CENTROID_KINDS]
    if not any(r.kind == "question" for r in rows):
        chosen = rows
    examples = [i for i, r in enumerate(chosen) if r.kind == "question"]
    return ArticleVectors(
        article_id,
        np.vstack([r.embedding for r in chosen]),
        np.array(examples, dtype=np.int64),
        tuple(r.text for r in chosen),
    )


class SearchIndex:
    """The vector index (a file beside the database) and the lexical index (a table in it),
    with which article each key stands for. Loaded at start, or rebuilt from the database
    when missing or stale."""

    def __init__(
        self,
        *,
        store: ArticleStore,
        embedder: Embedder,
        lexical: LexicalIndex,
        path: Path,
        ivf_from: int,
        nprobe: int,
        language: str = DEFAULT,
    ) -> None:
        self.language = language
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self.path = path
        self.ivf_from = ivf_from
        self.nprobe = nprobe
        self._owners: dict[int, str] = {}  # key -> article id, of the articles indexed
        self._states: dict[int, str] = {}  # key -> "id:version:updated_at", as indexed
        self.vectors = self._load_or_rebuild()

    @property
    def size(self) -> int:
        """How many articles the index holds."""
        return len(self._owners)

    def _stamp(self, states: list[tuple[int, str]] | None = None) -> str:
        """Identifies what the index must hold: every published article at its version."""
        if states is None:
            states = self.store.published_states(self.language)
        name = self.embedder.name
        return fingerprint(states, name if self.language == DEFAULT else f"{name}:{self.language}")

    def changed(self) -> set[str]:
        """The articles whose published state differs from what the indexes hold: changed by
        another replica (knowledge_base/following.py)."""
        now = dict(self.store.published_states(self.language))
        keys = now.keys() | self._states.keys()
        differ = [key for key in keys if now.get(key) != self._states.get(key)]
        return {owner(now.get(key) or self._states[key]) for key in differ}

    def centroids(
        self, article_ids: list[str] | None = None
    ) -> tuple[list[tuple[int, str]], np.ndarray]:
        """One vector per published article: the normalised mean of its title and example
        questions (its passages too when it has no questions). Measured on kb-dev, this ranks
        and rejects better than the nearest single example (README, "Knowledge search")."""
        keys = self.store.published_keys(self.language)
        grouped: dict[str, list[VectorRow]] = {}
        for row in self.store.vectors(article_ids, language=self.language):
            grouped.setdefault(row.article_id, []).append(row)
        members: list[tuple[int, str]] = []
        vectors: list[np.ndarray] = []
        for article_id, rows in sorted(grouped.items()):
            centroid = centroid_parts(article_id, rows).vectors.mean(axis=0)
            vectors.append(centroid / max(float(np.linalg.norm(centroid)), 1e-12))
            members.append((keys[article_id], article_id))
        matrix = np.vstack(vectors) if vectors else np.zeros((0, self.embedder.dim), np.float32)
        return members, matrix.astype(np.float32)

    def documents(self, article_ids: list[str] | None = None) -> list[tuple[int, str]]:
        """What the lexical index holds per published article, keyed like the vector index:
        its title and example questions (its body when it has no questions), as the centroid."""
        return [
            (t.key, "\n".join([t.title, *t.questions] if t.questions else [t.title, t.body]))
            for t in self.store.index_texts(article_ids, language=self.language)
        ]

    def _load_or_rebuild(self) -> VectorIndex:
        states = self.store.published_states(self.language)
        stamp = self._stamp(states)
        index = VectorIndex.load(self.path, self.embedder.dim)
        if index is None or index.fingerprint != stamp:
            log.info("knowledge index missing or stale: rebuilding from the database")
            return self.rebuild()
        if self.lexical.fingerprint != stamp:
            self.lexical.rebuild(self.documents(), stamp)
        self._owners = {key: owner(state) for key, state in states}
        self._states = dict(states)
        index.set_nprobe(self.nprobe)
        return index

    def rebuild(self) -> VectorIndex:
        """Build both indexes from what the database holds (no re-embedding)."""
        states = self.store.published_states(self.language)  # read first: a later change shows
        members, matrix = self.centroids()
        index = VectorIndex.build(
            self.embedder.dim,
            np.array([key for key, _ in members], dtype=np.int64),
            matrix,
            ivf_from=self.ivf_from,
            nprobe=self.nprobe,
        )
        index.fingerprint = self._stamp(states)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        index.save(self.path)
        self.lexical.rebuild(self.documents(), index.fingerprint)
        self._owners = {key: article_id for key, article_id in members}
        self._states = dict(states)
        self.vectors = index
        return index

    def refresh(self, article_ids: list[str]) -> None:
        """Update only the changed articles, in place: removed if no longer published,
        re-added with their new vector if they are."""
        changed = set(article_ids)
        if not changed:
            return
        # The states are read before the vectors: a change in between shows as a difference.
        states = dict(self.store.published_states(self.language))
        indexed = {key for key, article_id in self._owners.items() if article_id in changed}
        # its row in the lexical table too, even if the vector index had lost it
        removed = indexed | self.store.keys_of(sorted(changed))
        self.vectors.remove(indexed)
        self._owners = {k: a for k, a in self._owners.items() if a not in changed}
        members, matrix = self.centroids(sorted(changed))
        self.vectors.add(np.array([key for key, _ in members], dtype=np.int64), matrix)
        self._owners.update({key: article_id for key, article_id in members})
        for key in indexed | {k for k, state in states.items() if owner(state) in changed}:
            if key in states:
                self._states[key] = states[key]
            else:
                self._states.pop(key, None)
        # what the indexes hold, in the tables' order (by id): others' changes are not in it
        self.vectors.fingerprint = self._stamp(
            sorted(self._states.items(), key=lambda item: owner(item[1]))
        )
        self.vectors.save(self.path)
        if self.lexical.fingerprint == self.vectors.fingerprint:
            self.lexical.recount()  # the replica that made the change wrote the shared table
        else:
            self.lexical.refresh(removed, self.documents(sorted(changed)), self.vectors.fingerprint)

    def rank(
        self, query: str, vector: np.ndarray, *, wanted: int, lexical_weight: float
    ) -> list[tuple[str, float]]:
        """The `wanted` nearest articles by meaning, as (article id, score) best first; with a
        lexical weight, those and the `wanted` best matches by words each score their cosine
        plus the weight times their lexical agreement with the question."""
        nearest = [(k, s) for k, s in self.vectors.search(vector, wanted) if k in self._owners]
        if lexical_weight and nearest:
            found = {key for key, _ in nearest}
            by_words = [k for k in self.lexical.matching(query, wanted) if k not in found]
            nearest += [(k, s) for k, s in self.vectors.cosines(vector, by_words)]
            agreement = self.lexical.agreement(query, [key for key, _ in nearest])
            nearest = [(key, s + lexical_weight * agreement[key]) for key, s in nearest]
            nearest.sort(key=lambda item: -item[1])
        return [(self._owners[key], score) for key, score in nearest if key in self._owners]
