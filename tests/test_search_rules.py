from __future__ import annotations

import pytest

from knowledge_base.search import Decision, Thresholds, decide
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


def test_long_bodies_split_into_passages() -> None:
    body = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(5))
    parts = passages(body, max_chars=600)
    assert len(parts) > 1
    assert all(len(p) <= 600 + 400 for p in parts)
    assert "".join(parts).count("Paragraph") == 5
