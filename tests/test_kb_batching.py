"""Questions searched at the same time are embedded in one model run (knowledge_base/batching.py),
each caller getting the vector it would have got alone; a question alone waits for nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest

from knowledge_base.batching import QueryBatcher
from knowledge_base.embedder import Embedder, runs
from tests.factories import HashingEmbedder
from tests.helpers import wait_until

LONG = 60_000.0  # ms: a window no test may wait out


class HeldEmbedder:
    """Keeps every batch it is asked for; holds the first run until `release` is set, so the
    questions asked meanwhile wait for the next batch; fails when told to."""

    def __init__(self, model: Embedder | None = None, failure: Exception | None = None) -> None:
        self.model = model or HashingEmbedder()
        self.name, self.dim = self.model.name, self.model.dim
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.failure = failure

    def encode(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        if len(self.batches) == 1:
            assert self.release.wait(30)
        if self.failure:
            raise self.failure
        return self.model.encode(texts)


def asked_during_a_run(
    batcher: QueryBatcher, model: HeldEmbedder, calls: list[Callable[[], np.ndarray]]
) -> list[np.ndarray | Exception]:
    """The first call runs alone and is held; the others are asked while it runs; then it is
    let go. What each call returned or raised, in order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures: list[Future[np.ndarray]] = [pool.submit(calls[0])]
        wait_until(lambda: model.batches, what="the first run")
        futures += [pool.submit(call) for call in calls[1:]]
        wait_until(lambda: batcher.waiting == len(calls) - 1, what="the others waiting")
        model.release.set()
        return [f.exception() or f.result() for f in futures]  # type: ignore[misc]


def alone(texts: list[str]) -> np.ndarray:
    return HashingEmbedder().encode(texts)


QUESTIONS = ["lost my card", "open an account", "reset my password", "send money abroad"]


def test_questions_asked_together_are_embedded_in_one_run() -> None:
    model = HeldEmbedder()
    batcher = QueryBatcher(model, window_ms=LONG, max_batch=len(QUESTIONS) - 1)
    got = asked_during_a_run(
        batcher,
        model,
        [lambda q=q: batcher.encode([q]) for q in QUESTIONS],  # type: ignore[misc]
    )
    assert model.batches == [QUESTIONS[:1], QUESTIONS[1:]]  # the cap reached: no wait
    for question, vectors in zip(QUESTIONS, got, strict=True):
        np.testing.assert_array_equal(vectors, alone([question]))


def test_a_question_alone_does_not_wait_out_the_window() -> None:
    model = HashingEmbedder()
    batcher = QueryBatcher(model, window_ms=LONG, max_batch=16)
    with ThreadPoolExecutor(1) as pool:
        asked = pool.submit(batcher.encode, ["lost my card"])
        np.testing.assert_array_equal(asked.result(timeout=30), alone(["lost my card"]))


def test_a_batch_holds_at_most_the_cap() -> None:
    model = HeldEmbedder()
    batcher = QueryBatcher(model, window_ms=LONG, max_batch=2)
    texts = [f"question {n}" for n in range(6)]
    got = asked_during_a_run(
        batcher,
        model,
        [lambda t=t: batcher.encode([t]) for t in texts],  # type: ignore[misc]
    )
    # the held one alone; then full batches; the last one alone again goes at once
    assert model.batches == [texts[:1], texts[1:3], texts[3:5], texts[5:]]
    for text, vectors in zip(texts, got, strict=True):
        np.testing.assert_array_equal(vectors, alone([text]))


def test_a_caller_with_several_texts_gets_its_own_rows_in_order() -> None:
    model = HeldEmbedder()
    batcher = QueryBatcher(model, window_ms=LONG, max_batch=3)
    asked = [["hello"], ["pay a bill", "card declined"], ["change my address"]]
    got = asked_during_a_run(
        batcher,
        model,
        [lambda t=t: batcher.encode(t) for t in asked],  # type: ignore[misc]
    )
    assert model.batches[1] == [*asked[1], *asked[2]]
    for texts, vectors in zip(asked, got, strict=True):
        np.testing.assert_array_equal(vectors, alone(texts))


def test_a_failure_of_the_model_reaches_every_caller() -> None:
    model = HeldEmbedder(failure=RuntimeError("model gone"))
    batcher = QueryBatcher(model, window_ms=LONG, max_batch=3)
    got = asked_during_a_run(
        batcher,
        model,
        [lambda q=q: batcher.encode([q]) for q in QUESTIONS],  # type: ignore[misc]
    )
    assert len(model.batches) == 5  # the held one; the batch of three; each of them alone
    assert [str(e) for e in got] == ["model gone"] * 4
    assert all(isinstance(e, RuntimeError) for e in got)
    model.failure = None  # the next question is answered
    np.testing.assert_array_equal(batcher.encode(["again"]), alone(["again"]))


class RefusingEmbedder(HeldEmbedder):
    """Refuses one text, as the tokenizer refuses a lone surrogate."""

    def encode(self, texts: list[str]) -> np.ndarray:
        if "\ud800" in texts and len(self.batches) > 0:
            self.batches.append(list(texts))
            raise TypeError("TextEncodeInput must be Union[TextInputSequence, ...]")
        return super().encode(texts)


def test_a_text_the_model_refuses_fails_only_its_own_caller() -> None:
    model = RefusingEmbedder()
    batcher = QueryBatcher(model, window_ms=LONG, max_batch=3)  # the three asked fill it
    asked = ["lost my card", "open an account", "\ud800", "send money abroad"]
    got = asked_during_a_run(
        batcher,
        model,
        [lambda q=q: batcher.encode([q]) for q in asked],  # type: ignore[misc]
    )
    assert model.batches[1] == asked[1:]  # the three together first, then each alone
    assert isinstance(got[2], TypeError)
    for n in (0, 1, 3):
        np.testing.assert_array_equal(got[n], alone([asked[n]]))


def test_a_window_of_zero_embeds_each_question_alone() -> None:
    model = HeldEmbedder()
    batcher = QueryBatcher(model, window_ms=0, max_batch=16)
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(batcher.encode, [QUESTIONS[0]])
        wait_until(lambda: model.batches, what="the first run")
        others = [pool.submit(batcher.encode, [q]) for q in QUESTIONS[1:3]]
        for other in others:
            other.result(timeout=30)  # not held back by the run in progress
        model.release.set()
        first.result(timeout=30)
    assert sorted(model.batches) == sorted([[q] for q in QUESTIONS[:3]])


def test_it_bears_its_model_s_name_and_size() -> None:
    batcher = QueryBatcher(HashingEmbedder(), window_ms=2, max_batch=16)
    assert (batcher.name, batcher.dim) == (HashingEmbedder.name, HashingEmbedder.dim)
    assert batcher.encode([]).shape == (0, HashingEmbedder.dim)


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        ([12] * 16, [list(range(16))]),  # alike: one run
        ([5, 60], [[0], [1]]),  # a long one would make the short one pay for its padding
        ([9, 10, 8, 11], [[2, 0, 1, 3]]),  # near enough: one run, shortest first
        ([7, 30, 8, 29], [[0, 2], [3, 1]]),
        ([], []),
    ],
)
def test_texts_are_run_in_batches_of_like_lengths(lengths, expected) -> None:
    assert [list(r) for r in runs(np.array(lengths, dtype=np.int64))] == expected


def assert_batched_as_alone(embedder: Embedder, questions: list[str]) -> None:
    """All but the first question embedded in one run, each row as the model gives it alone."""
    model = HeldEmbedder(embedder)
    batcher = QueryBatcher(model, window_ms=LONG, max_batch=len(questions) - 1)
    got = asked_during_a_run(
        batcher,
        model,
        [lambda q=q: batcher.encode([q]) for q in questions],  # type: ignore[misc]
    )
    assert len(model.batches) == 2  # the first alone, the others together
    for question, vectors in zip(questions, got, strict=True):
        single = embedder.encode([question])
        assert isinstance(vectors, np.ndarray) and vectors.shape == single.shape
        np.testing.assert_allclose(vectors, single, atol=1e-5)


@pytest.mark.model
def test_batched_vectors_equal_the_model_s_vectors_alone(real_embedder) -> None:
    """Padding to the longest question of a run changes nothing beyond float rounding."""
    questions = [
        "hi",
        "I lost my card",
        "how do I send money to my daughter who is studying abroad in another country",
        "pin",
        "why was my payment to the electricity company declined yesterday evening",
        "open account",
        "card",
    ]
    assert_batched_as_alone(real_embedder, questions)


@pytest.mark.model
def test_japanese_questions_batched_equal_the_model_s_vectors_alone() -> None:
    from knowledge_base.embedder import E5Embedder

    e5 = E5Embedder()
    questions = [
        "定期便の配送を止めたい",
        "はい",
        "店舗で受け取りはできますか",
        "パスワードを忘れました",
    ]
    assert_batched_as_alone(e5, questions)
