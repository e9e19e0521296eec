"""One language's part of the knowledge base: its embedder, its search indexes and the limits
calibrated on its own articles and on the out-of-scope pool's lines in its language.

A question is searched in the section of its language (knowledge_base/languages.py), so an
English question never meets a Japanese article's score nor a Japanese question an English
model that cannot read it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from core.db import Storage
from core.memory import release_freed_memory
from knowledge_base.batching import QueryBatcher
from knowledge_base.calibration import (
    Calibration,
    Targets,
    calibrate,
    load_pool,
    pool_vectors,
    standard,
)
from knowledge_base.embedder import Embedder, NoModel
from knowledge_base.indexing import SearchIndex, centroid_parts, follow_embedder
from knowledge_base.lexical import LexicalIndex
from knowledge_base.rescoring import Agreement, Rescoring
from knowledge_base.search import Thresholds
from knowledge_base.store import ArticleStore, VectorRow

log = logging.getLogger(__name__)
RECENT_QUERIES = 256  # question vectors kept (a few seconds of a busy desk's questions)


class Section:
    def __init__(
        self,
        *,
        language: str,
        storage: Storage,
        store: ArticleStore,
        embedder: Embedder,
        index_path: Path,
        thresholds: Thresholds,
        overrides: Mapping[str, float],
        targets: Targets | None,
        ivf_from: int,
        nprobe: int,
        candidates: int,
        batch_window_ms: float = 0.0,
        batch_max: int = 16,
    ) -> None:
        """`batch_window_ms` and `batch_max`: questions searched at the same time are embedded
        together (knowledge_base/batching.py); 0 ms: each alone."""
        self.language = language
        self.store = store
        self.embedder = embedder
        self.queries = QueryBatcher(embedder, window_ms=batch_window_ms, max_batch=batch_max)
        # A conversation asks about one question more than once in a few seconds (the answer,
        # then the hand-over's skill): the last few questions' vectors are kept.
        self._query_vector = functools.lru_cache(maxsize=RECENT_QUERIES)(self._embed_query)
        self.standard = thresholds
        self.overrides = dict(overrides)
        self.targets = targets
        self.candidates = candidates
        follow_embedder(storage, embedder, language)
        self.lexical = LexicalIndex(storage, language)
        self.index = SearchIndex(
            store=store,
            embedder=embedder,
            lexical=self.lexical,
            path=index_path,
            ivf_from=ivf_from,
            nprobe=nprobe,
            language=language,
        )
        self._pool: np.ndarray | None = None
        self._calibrated_for = ""
        self.calibration = self.calibrate()

    @property
    def thresholds(self) -> Thresholds:
        """The calibrated limits, with any the settings give instead."""
        limits = Thresholds(**{**asdict(self.calibration.thresholds), **self.overrides})
        # a clarify limit given above a calibrated answer limit (or the reverse) offers choices
        # only where an answer would not do
        return replace(limits, clarify=min(limits.clarify, limits.answer))

    def thresholds_given(self, name: str) -> float:
        """A limit as the settings give it, else as the model's standard has it."""
        return float(self.overrides.get(name, getattr(self.standard, name)))

    def calibrate(self) -> Calibration:
        """Limits for this language's published articles as they are now
        (knowledge_base/calibration.py); made again whenever they change. A failure keeps the
        limits there were, and is logged: the change itself is saved."""
        if self.targets is None:
            return standard(self.standard, 0, 0, "calibration is off")
        if isinstance(self.embedder, NoModel):  # a command that searches nothing
            return standard(self.standard, 0, 0, "no embedding model loaded")
        weight = self.thresholds_given("lexical_weight")
        try:
            if self._pool is None:
                folders = [f for f in (getattr(self.embedder, "folder", None),) if f is not None]
                folders.append(self.index.path.parent)
                self._pool = pool_vectors(self.embedder, folders, self.language)
            groups: dict[str, list[VectorRow]] = {}
            for row in self.store.vectors(language=self.language):
                groups.setdefault(row.article_id, []).append(row)
            articles = [centroid_parts(a, rows) for a, rows in sorted(groups.items())]
            rescoring = (
                Rescoring(Agreement(articles, self.language), weight, self.candidates)
                if weight
                else None
            )
            calibration = calibrate(
                articles,
                self._pool,
                base=replace(self.standard, lexical_weight=weight),
                targets=self.targets,
                rescoring=rescoring,
                pool_texts=load_pool(language=self.language) if rescoring else (),
            )
        except Exception:  # noqa: BLE001 - the article is saved; search keeps its limits
            log.exception("calibration failed: keeping the limits there were")
            return getattr(self, "calibration", None) or standard(
                self.standard, 0, 0, "calibration failed: the standard limits"
            )
        self._calibrated_for = self.index.vectors.fingerprint
        log.info("%s articles calibrated: %s", self.language, calibration.thresholds)
        release_freed_memory()  # its similarity matrices: hundreds of MiB with many articles
        return calibration

    def recalibrate(self) -> None:
        """Calibrate again if the published articles changed since the last time (a draft's
        save does not change what is searched)."""
        if self.index.vectors.fingerprint != self._calibrated_for:
            self.calibration = self.calibrate()

    def _embed_query(self, query: str) -> np.ndarray:
        vector = self.queries.encode([query])[0]
        vector.setflags(write=False)  # shared by whoever asks the same question next
        return vector

    def rank(self, query: str, *, limit: int) -> list[tuple[str, float]]:
        """The nearest articles by meaning, re-scored by their words when the limits say so
        (see KnowledgeBase.search)."""
        vector = self._query_vector(query)
        weight = self.thresholds.lexical_weight
        wanted = max(limit, self.thresholds.max_choices, self.candidates if weight else 0)
        return self.index.rank(query, vector, wanted=wanted, lexical_weight=weight)
