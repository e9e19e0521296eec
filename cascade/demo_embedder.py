"""The embedding model for seeding the demo's traffic, remembering each text's vector."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from knowledge_base.embedder import Embedder


class RememberingEmbedder:
    """The embedding model, loaded when first needed, remembering each text's vector:
    customers repeat each other, and a question searched is embedded again when it is kept as
    a content gap. The customers' first messages are embedded together before the run, in
    batches, which is much faster than one by one."""

    def __init__(self, name: str, dim: int, load: Callable[[], Embedder]) -> None:
        self.name, self.dim = name, dim
        self._load = load
        self._model: Embedder | None = None
        self._known: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        if missing:
            self._model = self._model or self._load()
            self._known.update(zip(missing, self._model.encode(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._known[t] for t in texts])
