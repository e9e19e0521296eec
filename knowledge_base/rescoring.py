"""Search's lexical re-scoring, done again by the calibration over the articles' own texts, so
that the limits are fitted on the scores search compares with them (knowledge_base/lexical.py
says what lexical agreement is)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge_base.calibration import ArticleVectors, best_three
from knowledge_base.lexical import terms


class Agreement:
    """Lexical agreement as knowledge_base/lexical.py scores it, over the articles' own texts:
    the idf-weighted share of a question's words that an article uses, optionally with one
    example's words taken out of its article (leave one out)."""

    def __init__(self, articles: Sequence[ArticleVectors], language: str) -> None:
        self.language = language
        self.texts = [[set(terms(t, language)) for t in a.texts] for a in articles]
        self.docs = [Counter(w for words in texts for w in words) for texts in self.texts]
        self.df = Counter(w for doc in self.docs for w in doc)
        self.n = len(self.docs)
        self.using: dict[str, list[int]] = {}  # word -> the articles that use it
        for article, doc in enumerate(self.docs):
            for w in doc:
                self.using.setdefault(w, []).append(article)

    def words(self, text: str) -> set[str]:
        return set(terms(text, self.language))

    def matching(self, words: set[str], limit: int) -> list[int]:
        """The `limit` articles that agree most with these words (search takes them from
        FTS5's bm25: close to this, not the same)."""
        shared = {a for w in words for a in self.using.get(w, ())}
        return sorted(shared, key=lambda a: -self.score(words, a))[:limit]

    def score(self, words: set[str], article: int, left_out: set[str] | None = None) -> float:
        if not words:
            return 0.0
        doc = self.docs[article]
        weight = {w: math.log(1 + (self.n + 0.5) / (self.df.get(w, 0) + 0.5)) for w in words}
        used = (w for w in words if doc.get(w, 0) - (1 if left_out and w in left_out else 0) > 0)
        return sum(weight[w] for w in used) / sum(weight.values())


@dataclass(frozen=True)
class Rescoring:
    """Search's lexical re-scoring, for the calibration to do the same."""

    agreement: Agreement
    weight: float
    candidates: int

    def best_three(
        self,
        queries: np.ndarray,
        words: list[set[str]],
        centroids: np.ndarray,
        owner: np.ndarray | None,
        own: np.ndarray | None,
        left_out: list[set[str]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """As `best_three`, each query's `candidates` nearest by cosine and its `candidates`
        best matches by words scoring their cosine plus `weight` times their agreement with
        the query's words."""
        k = min(self.candidates, centroids.shape[0])
        order, _ = best_three(queries, centroids, owner, own, k=k)
        width = 2 * k
        orders = np.zeros((len(queries), width), dtype=np.int64)
        scores = np.full((len(queries), width), -np.inf)
        for i in range(len(order)):
            extra = [a for a in self.agreement.matching(words[i], k) if a not in set(order[i])]
            chosen = [*order[i].tolist(), *extra]
            mine = left_out[i] if left_out is not None and owner is not None else None
            for j, article in enumerate(chosen):
                own_article = owner is not None and article == owner[i]
                cosine = (
                    float(own[i])
                    if own_article and own is not None
                    else float(queries[i] @ centroids[article])
                )
                orders[i, j] = article
                scores[i, j] = cosine + self.weight * self.agreement.score(
                    words[i], int(article), mine if own_article else None
                )
        ranks = np.argsort(-scores, axis=1, kind="stable")[:, :3]
        return np.take_along_axis(orders, ranks, axis=1), np.take_along_axis(scores, ranks, axis=1)
