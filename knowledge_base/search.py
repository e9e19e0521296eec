"""From nearest vectors to a decision: answer, clarify or escalate.

Everything here is pure: neighbours in, decision out, so the rules are tested with tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from knowledge_base.store import Article


class Decision(StrEnum):
    ANSWER = "answer"  # one article clearly fits
    CLARIFY = "clarify"  # two or three fit: offer them as choices
    ESCALATE = "escalate"  # none fits: a person should take it


@dataclass(frozen=True)
class Thresholds:
    """The decision's limits, on the score the search ranks by: cosine plus `lexical_weight`
    times lexical agreement (0 leaves the cosine alone)."""

    answer: float
    margin: float
    clarify: float
    window: float
    max_choices: int = 3
    lexical_weight: float = 0.0


# Tuned on kb-dev through HTTP (`make bench-kb`): the most answered correctly with wrong answers
# <= 0.015 and out-of-scope questions answered <= 0.01. For all-mpnet-base-v2 a margin of 0.02
# costs 0.006 of answered-correct and lets a vague question ("my card") get choices instead of a
# coin toss between two near-equal articles. Cosines differ between models, so each model has
# its own; CASCADE_ANSWER_THRESHOLD and the others override them one by one.
TUNED = {
    "all-mpnet-base-v2": Thresholds(
        answer=0.55, margin=0.02, clarify=0.51, window=0.05, lexical_weight=0.0
    ),
    "all-MiniLM-L6-v2": Thresholds(
        answer=0.58, margin=0.035, clarify=0.54, window=0.05, lexical_weight=0.10
    ),
    # Japanese's model: multilingual-e5-small's cosines lie close together (0.85-0.95), so its
    # limits are high; Japanese words and kana readings re-score its nearest articles at 0.2
    # (README, "Knowledge search"). Its limits are calibrated once a knowledge base has 20
    # Japanese example questions.
    "multilingual-e5-small-q4": Thresholds(
        answer=0.97, margin=0.03, clarify=0.93, window=0.03, lexical_weight=0.2
    ),
}
STANDARD_MODEL = "all-mpnet-base-v2"


def tuned_for(model: str) -> Thresholds:
    """The thresholds tuned for an embedding model; the standard model's for one never tuned."""
    return TUNED.get(model, TUNED[STANDARD_MODEL])


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    score: float
    skill: str

    def as_dict(self) -> dict[str, object]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "score": round(self.score, 4),
            "skill": self.skill,
        }


@dataclass(frozen=True)
class SearchOutcome:
    decision: Decision
    results: list[Hit]

    @property
    def best(self) -> Hit | None:
        return self.results[0] if self.results else None

    def as_dict(self) -> dict[str, object]:
        return {"decision": self.decision.value, "results": [h.as_dict() for h in self.results]}


def to_a_person(
    outcome: SearchOutcome, margin: float, sensitive: Callable[[str], bool]
) -> Hit | None:
    """The sensitive article (fraud, bereavement, ...) that puts the question in a person's hands
    rather than the bot's: the answer itself (shown, then a person), or, among choices, the best
    or one as close to the question as the best is (a person decides, not a button; one further
    down is no reason to hand a routine question over). The bot (bot/actions/knowledge.py) and
    the editors' try-a-question (`POST /api/kb/search`) both go by it."""
    best = outcome.best
    if best is None or outcome.decision is Decision.ESCALATE:
        return None
    if outcome.decision is Decision.ANSWER:
        return best if sensitive(best.article_id) else None
    return next(
        (h for h in outcome.results if best.score - h.score <= margin and sensitive(h.article_id)),
        None,
    )


class Tagged(Protocol):
    """What `sent_to_person` reads of a knowledge base."""

    def thresholds_for(self, question: str) -> Thresholds: ...

    def article(self, article_id: str) -> Article | None: ...


def sent_to_person(kb: Tagged, question: str, outcome: SearchOutcome) -> Hit | None:
    """`to_a_person` with the margin of the question's language and the articles' own tags, as
    the try-a-question box and a test run apply it."""
    margin = kb.thresholds_for(question).margin
    return to_a_person(outcome, margin, lambda i: bool((a := kb.article(i)) and a.sensitive))


def decide(scores: list[tuple[str, float]], thresholds: Thresholds) -> tuple[Decision, int]:
    """The decision and how many of the ranked articles go with it (for clarify: the choices).

    `scores` are (article id, score) best first. Answer when the best is good enough and
    clearly ahead of the runner-up; offer the top two when the best is merely plausible, and
    the third too when it is close to the best or plausible itself (at least the clarify
    limit); otherwise escalate.
    """
    if not scores:
        return Decision.ESCALATE, 0
    top = scores[0][1]
    runner_up = scores[1][1] if len(scores) > 1 else -1.0
    if top >= thresholds.answer and top - runner_up >= thresholds.margin:
        return Decision.ANSWER, 1
    if top >= thresholds.clarify and len(scores) > 1:
        close = [
            s
            for _, s in scores[2 : thresholds.max_choices]
            if top - s <= thresholds.window or s >= thresholds.clarify
        ]
        return Decision.CLARIFY, 2 + len(close)
    if top >= thresholds.answer and len(scores) == 1:
        return Decision.ANSWER, 1  # the only article there is
    return Decision.ESCALATE, 0
