"""A FAISS inner-product index of one vector per published article (its centroid), keyed by
the article's key (`article_keys`: for articles stored before it existed, their rowid in
`articles`, so index files saved then stay valid).

Vectors are unit length, so inner product is cosine similarity. The index is a cache: the
vectors it is made from live in the database (`kb_vectors.embedding`), so a missing or stale
index file is rebuilt from there without re-embedding anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np


class VectorIndex:
    """Exact search (flat) for small collections; an inverted file (IVF) for large ones, which
    searches only the `nprobe` nearest of its lists (README, "Scale", has the measurements).
    Both support adding and removing vectors in place."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._index: faiss.Index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._lock = threading.RLock()
        self._quantizer: faiss.Index | None = None
        self.fingerprint = ""

    def _ivf(self) -> faiss.IndexIVF | None:
        try:
            return faiss.extract_index_ivf(self._index)
        except RuntimeError:
            return None

    @classmethod
    def build(
        cls, dim: int, keys: np.ndarray, vectors: np.ndarray, *, ivf_from: int, nprobe: int
    ) -> VectorIndex:
        """Flat below `ivf_from` vectors, IVF (trained on these vectors) from there on."""
        index = cls(dim)
        if len(keys) >= ivf_from:
            nlist = max(16, int(4 * np.sqrt(len(keys))))
            quantizer = faiss.IndexFlatIP(dim)
            ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.train(np.ascontiguousarray(vectors, dtype=np.float32))
            ivf.nprobe = nprobe
            index._quantizer = quantizer  # the IVF index refers to it: keep it alive
            index._index = ivf
        index.add(keys, vectors)
        return index

    def set_nprobe(self, nprobe: int) -> None:
        ivf = self._ivf()
        if ivf is not None:
            ivf.nprobe = nprobe

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        if len(keys) == 0:
            return
        with self._lock:
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32),
                np.ascontiguousarray(keys, dtype=np.int64),
            )

    def remove(self, keys: Iterable[int]) -> None:
        key_array = np.fromiter(keys, dtype=np.int64)
        if len(key_array):
            with self._lock:
                self._index.remove_ids(key_array)  # type: ignore[arg-type]

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest vectors as (key, cosine), best first."""
        # FAISS's OpenMP threads fight torch's for the cores: one query's search takes
        # microseconds on one thread, the contention ~10 ms (measured). The setting is per
        # calling thread, so it is made here, on the thread that searches.
        faiss.omp_set_num_threads(1)
        with self._lock:
            if self._index.ntotal == 0:
                return []
            scores, keys = self._index.search(
                np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32),
                min(k, int(self._index.ntotal)),
            )
        return [(int(k), float(s)) for k, s in zip(keys[0], scores[0], strict=True) if k != -1]

    def cosines(self, vector: np.ndarray, keys: Iterable[int]) -> list[tuple[int, float]]:
        """(key, cosine) of these keys' vectors, for those the index can give back (a flat
        index can; an IVF one, for large collections, does not keep them by key)."""
        out = []
        with self._lock:
            for key in keys:
                try:
                    stored = self._index.reconstruct(int(key))
                except RuntimeError:
                    continue
                out.append((int(key), float(np.dot(stored, vector))))
        return out

    def save(self, path: Path) -> None:
        """Each file written beside and moved into place: two processes saving into one
        directory (replicas on one database file) never leave half of one."""
        with self._lock:
            mine = f"{os.getpid()}.{threading.get_ident()}.tmp"
            tmp = path.with_name(f"{path.name}.{mine}")
            faiss.write_index(self._index, str(tmp))
            tmp.replace(path)
            stamp, stamp_tmp = (
                stamp_path(path),
                stamp_path(path).with_name(f"{path.name}.json.{mine}"),
            )
            stamp_tmp.write_text(json.dumps({"fingerprint": self.fingerprint}))
            stamp_tmp.replace(stamp)

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorIndex | None:
        """The saved index, or None when it is missing or unreadable."""
        stamp = stamp_path(path)
        if not path.exists() or not stamp.exists():
            return None
        try:
            raw = faiss.read_index(str(path))
            fingerprint = json.loads(stamp.read_text())["fingerprint"]
        except (RuntimeError, ValueError, KeyError):
            return None
        if raw.d != dim:
            return None
        index = cls(dim)
        index._index = raw
        index.fingerprint = fingerprint
        return index

    def size_bytes(self) -> int:
        return int(faiss.serialize_index(self._index).size)


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def fingerprint(rows: Iterable[tuple[int, str | None]], model_name: str) -> str:
    """Identifies what an index must hold: (key, state) pairs and the model."""
    digest = hashlib.sha256(model_name.encode())
    for key, state in rows:
        digest.update(f"{key}\x00{state}\x01".encode())
    return digest.hexdigest()
