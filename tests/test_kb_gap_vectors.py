"""A content gap is recorded without embedding its question (the customer's turn pays nothing
for it); its vector is made when editors list the gaps, all new ones in one batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from cascade.app import create_app
from core.clock import ManualClock
from core.db import Storage
from knowledge_base.gaps import GapLog
from knowledge_base.search import tuned_for
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleIn
from tests.factories import HashingEmbedder, ScriptedBot, article, jsonl, make_agent
from tests.helpers import ADMIN_HEADERS
from tests.test_kb_gaps import NO_ANSWER, ask


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, keeping every batch it was asked to embed."""

    def __init__(self, name: str = HashingEmbedder.name, dim: int = HashingEmbedder.dim) -> None:
        self.name, self.dim = name, dim
        self.batches: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return super().encode(texts)


class CharacterEmbedder(CountingEmbedder):
    """Hashes characters, not words: Japanese questions sharing characters come out alike."""

    def encode(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return HashingEmbedder.encode(self, [" ".join(hex(ord(c)) for c in t) for t in texts])


QUESTIONS = [
    "do you offer pet insurance",
    "what time does the branch open on sunday",
    "do you offer pet insurance for dogs",
    "what time does the branch open on saturday",
]


def test_a_gap_is_recorded_without_embedding_and_listed_grouped(settings, clock) -> None:
    embedder = CountingEmbedder()
    bot = ScriptedBot()
    with TestClient(create_app(settings, embedder=embedder, bot=bot, clock=clock)) as client:
        make_agent(client, ADMIN_HEADERS, "On duty", {"general": 1})
        client.post("/api/kb/import", content=jsonl(article()), headers=ADMIN_HEADERS)
        before = len(embedder.batches)
        for question in QUESTIONS:
            clock.advance(seconds=5)
            ask(client, question, NO_ANSWER, bot)
        assert len(embedder.batches) == before  # the customers' turns embedded nothing

        clusters = client.get("/api/kb/gaps", headers=ADMIN_HEADERS).json()
        assert (
            [sorted(c["examples"]) for c in clusters]
            == [
                sorted(QUESTIONS[1::2]),  # the newest question's cluster first
                sorted(QUESTIONS[0::2]),
            ]
        )
        assert [c["count"] for c in clusters] == [2, 2]
        assert embedder.batches[before:] == [QUESTIONS[::-1]]  # all four in one batch

        again = client.get("/api/kb/gaps", headers=ADMIN_HEADERS).json()
        assert again == clusters
        assert len(embedder.batches) == before + 1  # the vectors were kept


def test_gaps_of_each_language_are_embedded_by_its_model(storage) -> None:
    english, japanese = CountingEmbedder(), CharacterEmbedder("ja-test", 64)
    gaps = GapLog(storage=storage, embedders={"en": english, "ja": japanese}, clock=ManualClock())
    for number, question in enumerate(
        ["定期便を止めたい", "can I pay by cheque", "定期便を休みたい"]
    ):
        gaps.record(question, conversation_id=f"c{number}", reason="no_answer")
    assert english.batches == japanese.batches == []

    clusters = gaps.clusters()
    assert english.batches == [["can I pay by cheque"]]
    assert japanese.batches == [["定期便を休みたい", "定期便を止めたい"]]  # newest first
    assert {len(g.vector) for g in gaps.open_gaps()} == {384, 64}
    assert sorted(c.count for c in clusters) == [1, 2]  # never two languages in one cluster


def knowledge_base(storage: Storage, folder: Path, embedder: CountingEmbedder) -> KnowledgeBase:
    return KnowledgeBase(
        storage=storage,
        embedder=embedder,
        index_path=folder / "kb.faiss",
        thresholds=tuned_for(embedder.name),
        targets=None,
        clock=ManualClock(),
    )


def test_a_new_model_makes_the_gap_vectors_again_when_listed(storage, tmp_path) -> None:
    first = CountingEmbedder()
    kb = knowledge_base(storage, tmp_path, first)
    for number, question in enumerate(QUESTIONS):
        kb.gaps.record(question, conversation_id=f"c{number}", reason="no_answer")
    assert len(kb.gaps.clusters()) == 2

    second = CountingEmbedder("other-model", 64)
    kb = knowledge_base(storage, tmp_path, second)
    assert not any(second.batches)  # no article to embed again, no gap embedded at start
    clusters = kb.gaps.clusters()
    assert [b for b in second.batches if b] == [QUESTIONS[::-1]]
    assert {len(g.vector) for g in kb.gaps.open_gaps()} == {64}
    assert [c.count for c in clusters] == [2, 2]


def test_a_question_asked_again_soon_is_not_embedded_again(storage, tmp_path) -> None:
    """The answer and then the hand-over's skill search the same question: one model run."""
    embedder = CountingEmbedder()
    kb = knowledge_base(storage, tmp_path, embedder)
    kb.import_articles([ArticleIn.model_validate(article())])
    embedder.batches.clear()
    first = kb.search("my card has not arrived", limit=5)
    again = kb.search("my card has not arrived", limit=5)
    other = kb.search("how do I change my address", limit=5)
    assert [b for b in embedder.batches if b] == [
        ["my card has not arrived"],
        ["how do I change my address"],
    ]
    assert again == first
    assert other.best is None or other.best.score != first.best.score  # its own vector
