"""Content gaps: the questions the bot could not answer, grouped by meaning so editors can
close them with a new article or by teaching an existing one more example questions. Each
question is embedded by its language's model and grouped with questions of its language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from core.clock import Clock, iso
from core.db import IntegrityError, Storage
from core.language import normalise
from knowledge_base.embedder import E5, Embedder
from knowledge_base.errors import GapNotFound
from knowledge_base.languages import question_language

CLUSTER_SIMILARITY = (
    0.5  # questions this close (cosine) to a cluster join it (MiniLM paraphrases: 0.5-0.9)
)
# e5's cosines are all high: on kb-dev-ja two example questions of one article are 0.90 alike
# (median), of two articles 0.84 (median; 0.88 at the 95th percentile).
SIMILARITY_BY_MODEL = {E5.name: 0.88}


def cluster_similarity(embedder: Embedder) -> float:
    return SIMILARITY_BY_MODEL.get(embedder.name, CLUSTER_SIMILARITY)


@dataclass(frozen=True)
class Gap:
    id: int
    question: str
    conversation_id: str
    reason: str
    created_at: str
    vector: np.ndarray
    language: str = "en"


@dataclass(frozen=True)
class GapQuestion:
    """One distinct question of a cluster (however many customers asked it), with its gaps:
    what an editor ticks or leaves out when adding the cluster to an article."""

    text: str
    gap_ids: list[int]


@dataclass(frozen=True)
class GapCluster:
    """Open gaps alike in meaning, as editors see them."""

    id: int  # its oldest gap's
    count: int
    examples: list[str]  # up to five distinct questions, newest first
    latest_at: str
    reasons: list[str]
    gap_ids: list[int]
    conversation_ids: list[str]
    language: str = "en"  # its questions' (a cluster never mixes two)
    questions: list[GapQuestion] = field(default_factory=list)  # each distinct one, newest first


def group_by_meaning(
    vectors: list[np.ndarray], similarity: float = CLUSTER_SIMILARITY
) -> list[list[int]]:
    """Indexes of `vectors` grouped by meaning: each joins the first group whose centre is
    close enough (`similarity`), in the order given."""
    groups: list[tuple[np.ndarray, list[int]]] = []
    for index, vector in enumerate(vectors):
        best, best_score = None, similarity
        for number, (centre, _) in enumerate(groups):
            score = float(vector @ centre)
            if score >= best_score:
                best, best_score = number, score
        if best is None:
            groups.append((vector.copy(), [index]))
        else:
            members = groups[best][1] + [index]
            centre = np.mean([vectors[m] for m in members], axis=0)
            groups[best] = (centre / max(float(np.linalg.norm(centre)), 1e-12), members)
    return [members for _, members in groups]


class GapLog:
    def __init__(
        self, *, storage: Storage, embedders: Mapping[str, Embedder], clock: Clock
    ) -> None:
        self.storage = storage
        self.embedders = embedders
        self.clock = clock

    def record(self, question: str, *, conversation_id: str, reason: str) -> None:
        """Once per conversation and question. Only the question is stored: its vector is made
        when gaps are listed (`open_gaps`), all the new ones in one batch, so the customer's
        turn that recorded it pays nothing for it."""
        question = question.strip()
        if not question or question.startswith("/"):
            return
        try:
            with self.storage.write() as db:
                db.table("kb_gaps").insert(
                    {
                        "question": question,
                        "conversation_id": conversation_id,
                        "reason": reason,
                        "embedding": None,
                        "created_at": iso(self.clock.now()),
                        "language": question_language(question),
                    }
                )
        except IntegrityError:
            pass  # already recorded for this conversation

    def open_gaps(self) -> list[Gap]:
        """The gaps not closed yet, newest first, each with its vector."""
        rows = self.storage.db.execute(
            "select id, question, conversation_id, reason, created_at, embedding, language"
            " from kb_gaps where article_id is null order by id desc"
        ).fetchall()
        made = self._embed([(i, q, lang or "en") for i, q, _, _, _, e, lang in rows if e is None])
        return [
            Gap(i, q, c, r, t, made[i] if e is None else np.frombuffer(e, np.float32), lang or "en")
            for i, q, c, r, t, e, lang in rows
        ]

    def _embed(self, gaps: list[tuple[int, str, str]]) -> dict[int, np.ndarray]:
        """Vectors for gaps stored without one (id, question, language): each language's in
        one batch by its model, stored for the next time."""
        made: dict[int, np.ndarray] = {}
        for language in sorted({lang for _, _, lang in gaps}):
            alike = [(i, q) for i, q, lang in gaps if lang == language]
            vectors = self.embedders[language].encode([normalise(q) for _, q in alike])
            made.update(
                (i, np.ascontiguousarray(v, np.float32))
                for (i, _), v in zip(alike, vectors, strict=True)
            )
        if made:
            with self.storage.write() as db:
                db.executemany(
                    "update kb_gaps set embedding = ? where id = ? and embedding is null",
                    [(v.tobytes(), i) for i, v in made.items()],
                )
        return made

    def clusters(self, *, limit: int = 50) -> list[GapCluster]:
        """Open gaps grouped by meaning (each joins the first cluster whose centre is close
        enough), the most asked first (then the newest question's): what to write first."""
        gaps = self.open_gaps()  # newest first
        groups: list[list[Gap]] = []
        for language in sorted({g.language for g in gaps}):  # never two languages in one
            alike = [g for g in gaps if g.language == language]
            similarity = cluster_similarity(self.embedders[language])
            vectors = [g.vector for g in alike]
            groups += [[alike[i] for i in g] for g in group_by_meaning(vectors, similarity)]
        groups.sort(key=lambda members: (-len(members), -members[0].id))
        out = []
        for members in groups[:limit]:
            asked: dict[str, GapQuestion] = {}  # by the question in lower case
            for m in members:
                asked.setdefault(m.question.lower(), GapQuestion(m.question, [])).gap_ids.append(
                    m.id
                )
            questions = [q.text for q in asked.values()]
            out.append(
                GapCluster(
                    id=min(m.id for m in members),
                    count=len(members),
                    examples=questions[:5],
                    latest_at=members[0].created_at,
                    reasons=sorted({m.reason for m in members}),
                    gap_ids=[m.id for m in members],
                    conversation_ids=sorted({m.conversation_id for m in members}),
                    language=members[0].language,
                    questions=list(asked.values()),
                )
            )
        return out

    def group(self, texts: list[str]) -> list[list[int]]:
        """Indexes of `texts` grouped by meaning, as gaps are: each language by its own model."""
        languages = [question_language(t) for t in texts]
        out: list[list[int]] = []
        for language in sorted(set(languages)):
            embedder = self.embedders[language]
            rows = [i for i, lang in enumerate(languages) if lang == language]
            vectors = list(embedder.encode([normalise(texts[i]) for i in rows]))
            groups = group_by_meaning(vectors, cluster_similarity(embedder))
            out += [[rows[i] for i in members] for members in groups]
        return sorted(out, key=lambda members: members[0])

    def take(self, gap_ids: list[int]) -> list[Gap]:
        """The open gaps with these ids, or GapNotFound naming those that are not."""
        found = {g.id: g for g in self.open_gaps() if g.id in set(gap_ids)}
        missing = [i for i in gap_ids if i not in found]
        if missing or not gap_ids:
            raise GapNotFound(missing or gap_ids)
        return [found[i] for i in gap_ids]

    def close(self, gap_ids: list[int], article_id: str) -> None:
        marks = ",".join("?" for _ in gap_ids)
        with self.storage.write() as db:
            db.execute(
                f"update kb_gaps set article_id = ? where id in ({marks})", [article_id, *gap_ids]
            )


def unique(questions: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for q in questions:
        if q.lower() not in seen:
            seen.add(q.lower())
            out.append(q)
    return out
