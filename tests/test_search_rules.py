from __future__ import annotations

import pytest

from knowledge_base.search import Decision, Hit, SearchOutcome, Thresholds, decide, to_a_person
from knowledge_base.store import passages

T = Thresholds(answer=0.56, margin=0.03, clarify=0.52, window=0.05)


@pytest.mark.parametrize(
    ("scores", "decision", "count"),
    [
        ([], Decision.ESCALATE, 0),
        ([0.80, 0.40], Decision.ANSWER, 1),  # clear winner
        ([0.60, 0.58], Decision.CLARIFY, 2),  # good but too close to the runner-up
        ([0.60, 0.58, 0.57], Decision.CLARIFY, 3),  # third within the window joins
        ([0.60, 0.58, 0.50], Decision.CLARIFY, 2),  # third too far behind, and implausible
        ([0.70, 0.69, 0.53], Decision.CLARIFY, 3),  # far behind, but plausible on its own
        ([0.54, 0.30], Decision.CLARIFY, 2),  # plausible, not good enough to answer
        ([0.50, 0.49], Decision.ESCALATE, 0),  # nothing fits
        ([0.70], Decision.ANSWER, 1),  # the only article
        ([0.51], Decision.ESCALATE, 0),
    ],
)
def test_decide(scores: list[float], decision: Decision, count: int) -> None:
    ranked = [(f"a{i}", s) for i, s in enumerate(scores)]
    assert decide(ranked, T) == (decision, count)


@pytest.mark.parametrize(
    ("decision", "scores", "sensitive", "person"),
    [
        (Decision.ANSWER, [0.80], {"a0"}, "a0"),  # shown, then a person
        (Decision.ANSWER, [0.80, 0.40], {"a1"}, None),  # the answer is a routine one
        (Decision.CLARIFY, [0.60, 0.58], {"a0"}, "a0"),  # the best choice
        (Decision.CLARIFY, [0.60, 0.58], {"a1"}, "a1"),  # as close as the best (margin 0.03)
        (Decision.CLARIFY, [0.60, 0.58, 0.56], {"a2"}, None),  # further down: left out
        (Decision.ESCALATE, [0.50], {"a0"}, None),  # nothing fits: a person anyway
    ],
)
def test_a_sensitive_article_sends_the_question_to_a_person(
    decision: Decision, scores: list[float], sensitive: set[str], person: str | None
) -> None:
    hits = [Hit(f"a{i}", f"A{i}", s, "cards") for i, s in enumerate(scores)]
    found = to_a_person(SearchOutcome(decision, hits), T.margin, sensitive.__contains__)
    assert (found.article_id if found else None) == person


def test_long_bodies_split_into_passages() -> None:
    body = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(5))
    parts = passages(body, max_chars=600)
    assert len(parts) > 1
    assert all(len(p) <= 600 + 400 for p in parts)
    assert "".join(parts).count("Paragraph") == 5
