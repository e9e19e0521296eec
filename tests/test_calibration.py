"""Limits calibrated on each knowledge base: the pure calibration on made-up vectors, and the
knowledge base calibrating itself again after every change."""

from __future__ import annotations

import numpy as np
import pytest

from core.clock import ManualClock
from knowledge_base.calibration import ArticleVectors, Targets, calibrate, unit
from knowledge_base.search import Decision, Thresholds, decide
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleIn
from tests.factories import HashingEmbedder

BASE = Thresholds(answer=0.55, margin=0.02, clarify=0.51, window=0.05)
DIM = 64


def topic(rng: np.random.Generator, centre: np.ndarray, n: int, spread: float) -> np.ndarray:
    """`n` unit vectors around `centre`: paraphrases of one question."""
    return unit(centre + spread * rng.standard_normal((n, DIM)))


def made_up_kb(
    rng: np.random.Generator, *, articles: int = 12, spread: float = 0.08
) -> tuple[list[ArticleVectors], list[np.ndarray]]:
    centres = [unit(rng.standard_normal(DIM)) for _ in range(articles)]
    kb = []
    for number, centre in enumerate(centres):
        vectors = np.vstack([unit(centre), topic(rng, centre, 10, spread)])  # title + examples
        kb.append(ArticleVectors(f"a{number}", vectors, np.arange(1, 11)))
    return kb, centres


def test_separate_articles_answer_their_examples_and_nothing_far_away() -> None:
    rng = np.random.default_rng(1)
    kb, centres = made_up_kb(rng)
    pool = unit(rng.standard_normal((300, DIM)))  # nothing like any article
    result = calibrate(kb, pool, base=BASE)
    assert result.calibrated
    assert result.answered > 0.9 and result.wrong <= Targets().wrong
    # a new paraphrase of article 3 is answered; a random question is not
    question = topic(rng, centres[3], 1, 0.08)[0]
    scores = sorted((float(question @ unit(a.vectors.sum(0))) for a in kb), reverse=True)
    assert scores[0] >= result.thresholds.answer
    assert scores[0] - scores[1] >= result.thresholds.margin
    stray = unit(rng.standard_normal(DIM))
    assert max(float(stray @ unit(a.vectors.sum(0))) for a in kb) < result.thresholds.answer


def test_close_articles_raise_the_bar_and_are_named() -> None:
    rng = np.random.default_rng(2)
    kb, centres = made_up_kb(rng)
    apart = calibrate(kb, np.zeros((0, DIM)), base=BASE)
    # article 1 becomes a near twin of article 0: their examples land on each other
    twin = unit(centres[0] + 0.01 * rng.standard_normal(DIM))
    kb[1] = ArticleVectors("a1", np.vstack([twin, topic(rng, twin, 10, 0.08)]), np.arange(1, 11))
    close = calibrate(kb, np.zeros((0, DIM)), base=BASE)
    assert close.wrong <= Targets().wrong  # the target holds ...
    assert close.answered < apart.answered  # ... by answering less
    first = close.confusable[0]
    assert {first.first, first.second} == {"a0", "a1"} and first.stolen >= 2


def test_a_pool_question_the_knowledge_base_answers_is_not_held_against_it() -> None:
    rng = np.random.default_rng(3)
    kb, centres = made_up_kb(rng)
    far = unit(rng.standard_normal((200, DIM)))
    without = calibrate(kb, far, base=BASE)
    # the pool also holds paraphrases of article 5: they must be dropped, not counted
    with_answerable = calibrate(kb, np.vstack([far, topic(rng, centres[5], 20, 0.08)]), base=BASE)
    assert with_answerable.pool <= without.pool + 5  # most of the 20 are dropped
    assert with_answerable.thresholds.answer <= without.thresholds.answer + 0.02


def test_near_out_of_scope_questions_raise_the_answer_limit() -> None:
    rng = np.random.default_rng(4)
    kb, centres = made_up_kb(rng, spread=0.12)
    calm = calibrate(kb, unit(rng.standard_normal((300, DIM))), base=BASE)
    # questions half way between an article and elsewhere: plausible, but not answered by it
    near = unit(
        np.vstack([c + unit(rng.standard_normal(DIM)) * 0.9 for c in centres for _ in range(25)])
    )
    wary = calibrate(kb, near, base=BASE)
    assert wary.thresholds.answer > calm.thresholds.answer
    assert wary.out_of_scope_answered <= 0.5 * Targets().out_of_scope


def test_too_few_examples_keep_the_standard_limits() -> None:
    rng = np.random.default_rng(5)
    kb, _ = made_up_kb(rng, articles=1)
    result = calibrate(kb, np.zeros((0, DIM)), base=BASE)
    assert not result.calibrated and result.thresholds == BASE


@pytest.fixture
def knowledge_base(storage, tmp_path) -> KnowledgeBase:
    return KnowledgeBase(
        storage=storage,
        embedder=HashingEmbedder(),
        index_path=tmp_path / "kb.faiss",
        thresholds=BASE,
        clock=ManualClock(),
    )


def articles(count: int) -> list[ArticleIn]:
    subjects = ["card", "loan", "transfer", "password", "statement", "address", "pin", "cheque"]
    return [
        ArticleIn(
            id=f"{s}-help",
            title=f"{s.title()} help",
            body=f"All about your {s}.",
            questions=[f"{verb} my {s}" for verb in ("change", "cancel", "find", "renew")]
            + [f"how do i {verb} a {s}" for verb in ("get", "use", "replace")],
            skill="general",
        )
        for s in subjects[:count]
    ]


def test_the_knowledge_base_calibrates_again_after_every_change(knowledge_base) -> None:
    assert not knowledge_base.calibration.calibrated  # empty: nothing to learn from
    knowledge_base.import_articles(articles(8))
    after_import = knowledge_base.calibration
    assert after_import.calibrated and after_import.articles == 8
    assert knowledge_base.thresholds.answer == after_import.thresholds.answer

    knowledge_base.set_status("cheque-help", "archived", author="editor")
    assert knowledge_base.calibration.articles == 7
    knowledge_base.set_status("cheque-help", "published", author="editor")
    assert knowledge_base.calibration.articles == 8


def test_limits_the_settings_give_win_over_the_calibrated_ones(storage, tmp_path) -> None:
    kb = KnowledgeBase(
        storage=storage,
        embedder=HashingEmbedder(),
        index_path=tmp_path / "kb.faiss",
        thresholds=BASE,
        overrides={"answer": 0.9},
        clock=ManualClock(),
    )
    kb.import_articles(articles(8))
    assert kb.thresholds.answer == 0.9
    assert kb.thresholds.margin == kb.calibration.thresholds.margin


def test_a_draft_s_save_does_not_calibrate_again_and_a_failure_keeps_the_limits(
    knowledge_base, monkeypatch
) -> None:
    knowledge_base.import_articles(articles(8))
    before = knowledge_base.calibration
    draft = ArticleIn(id="new-draft", title="Draft", body="Soon.", questions=["soon?"])
    knowledge_base.create(draft, author="editor")
    knowledge_base.save("new-draft", draft, author="editor")
    assert knowledge_base.calibration is before  # nothing searched changed

    def broken(*args, **kwargs):
        raise MemoryError("no room")

    monkeypatch.setattr("knowledge_base.sections.calibrate", broken)
    knowledge_base.set_status("new-draft", "published", author="editor")  # saved all the same
    assert knowledge_base.article("new-draft").status == "published"
    assert knowledge_base.calibration is before


def test_limits_given_out_of_order_still_offer_choices_before_an_answer(storage, tmp_path) -> None:
    kb = KnowledgeBase(
        storage=storage,
        embedder=HashingEmbedder(),
        index_path=tmp_path / "kb.faiss",
        thresholds=BASE,
        overrides={"answer": 0.5, "clarify": 0.7, "margin": 0.1},
        targets=None,
        clock=ManualClock(),
    )
    assert kb.thresholds.clarify == 0.5
    # two near-equal articles above the answer limit: choices, not a coin toss
    assert decide([("a", 0.62), ("b", 0.61)], kb.thresholds) == (Decision.CLARIFY, 2)
