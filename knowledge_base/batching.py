"""Micro-batching of query embeddings: searches that arrive together (the action endpoint and
the search route run them on worker threads) are embedded in one model run instead of one run
each. A batch costs the CPU less per question than single questions do (all-mpnet-base-v2 on
ONNX: about 30 ms of CPU a question in batches of 8, 37-39 ms alone) and the runs no longer
fight over the two cores.

The first caller to find no batch running leads: alone, it runs at once (a quiet moment's
question pays nothing); with others already waiting (they came while a batch ran), it waits up
to the window for more, never past the cap. It runs one encode, hands each caller its rows and
wakes them; callers who came meanwhile form the next batch. When a batch fails, each of its
callers' texts is run alone, so only the caller whose text the model refused gets the error.
Vectors are the same as one question's alone, to float tolerance (a batch pads its texts to
the longest; the attention mask keeps padding out of the mean).

Written here rather than taken from a library: `batched` (PyPI) polls its queue from a thread
of its own every window even when idle, and makes a lone question wait out the window;
`fast-dynamic-batcher` runs the model in a second process (a second copy of it in memory).
This is one condition variable and no thread of its own.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from knowledge_base.embedder import Embedder


class _Request:
    __slots__ = ("texts", "done", "vectors", "error")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.done = False
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None


class QueryBatcher:
    """An `Embedder` whose concurrent `encode` calls are run as one batch by `embedder`.

    Args:
        embedder: the model that embeds.
        window_ms: how long the first question of a batch waits for others; 0: no batching,
            every call goes straight to `embedder`.
        max_batch: the most texts in one batch.
    """

    def __init__(self, embedder: Embedder, *, window_ms: float, max_batch: int) -> None:
        self.embedder = embedder
        self.window_s = max(0.0, window_ms) / 1000
        self.max_batch = max(1, max_batch)
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._running = False  # a caller is gathering or running a batch

    @property
    def name(self) -> str:
        return self.embedder.name

    @property
    def dim(self) -> int:
        return self.embedder.dim

    @property
    def waiting(self) -> int:
        """Requests waiting for a batch (not those of the batch running)."""
        with self._cond:
            return len(self._pending)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not self.window_s or not texts:
            return self.embedder.encode(texts)
        request = _Request(list(texts))
        with self._cond:
            self._pending.append(request)
            self._cond.notify_all()  # a leader waiting for a fuller batch
        while True:
            with self._cond:
                while self._running and not request.done:
                    self._cond.wait()
                if request.done:
                    break
                self._running = True
                batch = self._gather()
            self._run(batch)
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

    def _gather(self) -> list[_Request]:
        """The pending requests up to the cap (in arrival order; at least one). A request alone
        goes at once; one with others already waiting waits up to the window for more (the cap
        reached, it goes). Called holding the lock."""
        # Alone: nothing is coming (it would be waiting already). Others came while a batch
        # ran: a busy moment, worth waiting a little for more.
        alone = len(self._pending) == 1
        deadline = time.monotonic() + (0.0 if alone else self.window_s)
        while self._rows() < self.max_batch:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._cond.wait(left)
        batch: list[_Request] = []
        rows = 0
        while self._pending and (not batch or rows + len(self._pending[0].texts) <= self.max_batch):
            request = self._pending.pop(0)
            batch.append(request)
            rows += len(request.texts)
        return batch

    def _rows(self) -> int:
        return sum(len(r.texts) for r in self._pending)

    def _run(self, batch: list[_Request]) -> None:
        try:
            vectors = self.embedder.encode([t for r in batch for t in r.texts])
        except BaseException as exc:  # noqa: BLE001 - handed to the caller whose text it was
            if len(batch) == 1:
                batch[0].error = exc
            for request in batch if len(batch) > 1 else []:
                self._embed_alone(request)
        else:
            start = 0
            for request in batch:
                request.vectors = vectors[start : start + len(request.texts)].copy()
                start += len(request.texts)
        with self._cond:
            for request in batch:
                request.done = True
            self._running = False
            self._cond.notify_all()

    def _embed_alone(self, request: _Request) -> None:
        """A failed batch's request run by itself: the text the model refused fails only its
        own caller, not the questions that happened to share its batch."""
        try:
            request.vectors = self.embedder.encode(request.texts)
        except BaseException as exc:  # noqa: BLE001 - handed to its caller
            request.error = exc
