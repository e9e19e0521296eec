"""Answer and clarify limits taken from the knowledge base itself, not from one data set.

Each published article's example questions are questions whose right answer is known. Every
example is asked again with itself left out of its article's centroid (leave one out): whether
the search would rank its own article first, and by how much, is what a customer asking
something like it would meet. Out-of-scope questions come from a pool the product ships
(`out_of_scope.txt`: everyday requests no help article answers), after dropping those this
knowledge base does answer (a pool question as close to an example as the article's own
examples are to each other). The answer limit and margin are the pair that answers the most
examples rightly while the examples answered wrongly stay under `Targets.wrong` and the pool
questions answered under half of `Targets.out_of_scope` (`Targets.aim`): a limit fitted exactly
on a few hundred pool questions overshoots on new ones. The wrong-answer limit is fitted at its
target: an example left out of its own article is harder to place than a new question asked of
the whole article, so the examples already err on the safe side (kb-dev: 2.0% of examples
placed wrongly at the chosen limits, 0.7% of new questions).

The pool cannot hold every near-domain question a company's customers will ask, so the answer
limit is never below the score that all but `Targets.floor` of the rightly ranked examples
reach: an answer is given only to a question that looks like the examples do.

Below the answer limit the customer is offered choices down to the clarify limit: the score
that `clarify_reach` of the examples reach, so a question like the examples nearly always gets
its article at least as a choice. Below that, a person.

When search re-scores its nearest articles with lexical agreement (`Thresholds.lexical_weight`,
as Japanese search does), the examples and pool questions are re-scored the same way, each
example's words left out of its own article's (`Agreement`), so the limits are fitted on the
scores search will compare them with.

Each language is calibrated on its own: its articles, and the pool's lines in that language.

Measured on the three development sets, the best example, neighbour agreement and a logistic
regression over those features did not beat the centroid's top score and margin on all of
them (README, "Knowledge search"). Written here because the leave-one-out over centroids and
the search over two limits are a few lines of numpy; no library does this calibration.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.language import DEFAULT
from core.settings import Settings
from knowledge_base.embedder import Embedder
from knowledge_base.languages import by_script
from knowledge_base.search import Thresholds

if TYPE_CHECKING:
    from knowledge_base.rescoring import Rescoring

POOL_FILE = Path(__file__).with_name("out_of_scope.txt")
ANSWER_GRID = np.round(np.arange(0.20, 1.0001, 0.005), 3)
MARGIN_GRID = np.round(np.arange(0.0, 0.2001, 0.005), 3)
NEVER = 1.01  # an answer limit no cosine reaches


@dataclass(frozen=True)
class Targets:
    wrong: float = 0.02  # of questions like the examples, at most this share answered wrongly
    out_of_scope: float = 0.01  # of out-of-scope questions, at most this share answered
    aim: float = (
        0.5  # fit the out-of-scope limit at this share of its target (a new pool overshoots)
    )
    aim_wrong: float = 1.0  # leaving one out is already harder than a new question: at target
    clarify_reach: float = 0.99  # share of example-like questions offered at least as a choice
    floor: float = 0.05  # never answer below the score all but this share of the examples reach
    min_examples: int = 20  # fewer than this: the model's standard limits apply
    max_examples: int = 3000  # more than this: a seeded sample of them is asked

    @classmethod
    def from_settings(cls, settings: Settings) -> Targets | None:
        """The settings' targets; None when calibration is turned off."""
        if not settings.kb_calibration:
            return None
        return cls(wrong=settings.kb_target_wrong, out_of_scope=settings.kb_target_out_of_scope)


@dataclass(frozen=True)
class ArticleVectors:
    """What an article's centroid is made of, and which of those vectors are its examples."""

    article_id: str
    vectors: np.ndarray  # unit rows: title, example questions (passages when it has none)
    examples: np.ndarray  # row numbers in `vectors` that are example questions
    texts: tuple[str, ...] = ()  # the text of each row (for lexical agreement)


@dataclass(frozen=True)
class Confusable:
    """Two articles whose examples rank the other first: `stolen` of them in all."""

    first: str
    second: str
    stolen: int
    examples: int  # the two articles' examples together


@dataclass(frozen=True)
class Calibration:
    thresholds: Thresholds
    calibrated: bool  # False: too few examples, calibration off, or no model: standard limits
    articles: int
    examples: int
    pool: int  # pool questions used, after dropping those this knowledge base answers
    answered: float  # expected share of example-like questions answered
    wrong: float  # expected share answered with the wrong article
    choices: float  # expected share offered choices
    out_of_scope_answered: float  # pool questions answered
    confusable: list[Confusable] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""


def unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12)


def load_pool(path: Path = POOL_FILE, language: str | None = None) -> list[str]:
    """The pool's lines (in this language only, if given: Japanese by script, the rest
    English, as questions are searched)."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    pool = [line for line in lines if line and not line.startswith("#")]
    return pool if language is None else [line for line in pool if by_script(line) == language]


def pool_vectors(
    embedder: Embedder, folders: Sequence[Path], language: str = DEFAULT
) -> np.ndarray:
    """The pool's lines in `language` embedded by this model: read from a cache file in the
    first of `folders` that has one, else embedded once and written to the first that can be
    written (the model's folder first, so every data directory shares it)."""
    texts = load_pool(language=language)
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
    name = f"out-of-scope.{slug(embedder.name)}.{language}.{digest}.npy"
    for folder in folders:
        try:
            vectors = np.load(folder / name)
        except (OSError, ValueError):
            continue
        if vectors.shape == (len(texts), embedder.dim):
            return vectors
    vectors = embedder.encode(texts).astype(np.float32)
    for folder in folders:
        try:
            tmp = folder / f"{name}.{os.getpid()}.tmp"
            with tmp.open("wb") as handle:
                np.save(handle, vectors)
            tmp.replace(folder / name)
            break
        except OSError:
            continue
    return vectors


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[-60:]


def standard(base: Thresholds, articles: int, examples: int, note: str) -> Calibration:
    return Calibration(base, False, articles, examples, 0, 0.0, 0.0, 0.0, 0.0, note=note)


def calibrate(
    articles: Sequence[ArticleVectors],
    pool: np.ndarray,
    *,
    base: Thresholds,
    targets: Targets | None = None,
    seed: int = 7,
    rescoring: Rescoring | None = None,
    pool_texts: Sequence[str] = (),
) -> Calibration:
    """Limits for this knowledge base (`base` gives the rest of the thresholds, and the
    limits themselves when there are too few examples to learn from). With `rescoring`,
    search's lexical re-scoring is applied to the examples and to the pool (`pool_texts`)."""
    started = time.perf_counter()
    targets = targets or Targets()
    examples = sum(len(a.examples) for a in articles)
    if len(articles) < 2 or examples < targets.min_examples:
        note = (
            f"{examples} example questions: the standard limits apply below {targets.min_examples}"
        )
        return standard(base, len(articles), examples, note)

    sums = np.vstack([a.vectors.sum(axis=0) for a in articles]).astype(np.float64)
    centroids = unit(sums)
    owner = np.concatenate([np.full(len(a.examples), i) for i, a in enumerate(articles)])
    ex = np.vstack([a.vectors[a.examples] for a in articles if len(a.examples)]).astype(np.float64)
    where = [(i, int(row)) for i, a in enumerate(articles) for row in a.examples]
    if len(ex) > targets.max_examples:
        keep = np.sort(np.random.default_rng(seed).choice(len(ex), targets.max_examples, False))
        ex, owner = ex[keep], owner[keep]
        where = [where[i] for i in keep]

    # Leave one out: each example against every centroid, its own made without it.
    own = np.einsum("ij,ij->i", ex, unit(sums[owner] - ex))
    if rescoring is None:
        order, ranked = best_three(ex, centroids, owner, own)
    else:
        words = [rescoring.agreement.texts[i][row] for i, row in where]
        order, ranked = rescoring.best_three(ex, words, centroids, owner, own, left_out=words)
    right = order[:, 0] == owner
    top, margin = ranked[:, 0], ranked[:, 0] - ranked[:, 1]

    pool_top, pool_margin, pool_used = pool_scores(
        pool, centroids, ex, owner, rescoring=rescoring, texts=pool_texts
    )
    floor = float(np.quantile(top[right], targets.floor)) if right.any() else NEVER
    answer, gap = fit(top, margin, right, pool_top, pool_margin, targets, floor)
    # With re-scoring, the examples' own words flatter them (their author wrote their article's
    # other examples too: customers' words agree less), so the clarify limit is the score the
    # examples reach by their meaning alone (kb-dev-ja: README, "Knowledge search").
    reach = top if rescoring is None else best_three(ex, centroids, owner, own)[1][:, 0]
    clarify = min(float(np.quantile(reach, 1 - targets.clarify_reach)), answer)
    thresholds = replace(base, answer=answer, margin=gap, clarify=round(clarify, 3))

    answered = (top >= answer) & (margin >= gap)
    ids = [a.article_id for a in articles]
    notes = []
    if answer >= NEVER:
        notes.append("no limits meet the targets here: questions get choices or a person")
    if pool_used == 0:
        notes.append("every pool question looked answerable here: out-of-scope not checked")
    return Calibration(
        thresholds=thresholds,
        calibrated=True,
        articles=len(articles),
        examples=len(ex),
        pool=pool_used,
        answered=round(float(answered.mean()), 4),
        wrong=round(float((answered & ~right).mean()), 4),
        choices=round(float((~answered & (top >= clarify)).mean()), 4),
        out_of_scope_answered=round(
            float(((pool_top >= answer) & (pool_margin >= gap)).mean()) if pool_used else 0.0, 4
        ),
        confusable=confusable(ids, owner, order[:, 0]),
        seconds=round(time.perf_counter() - started, 3),
        note="; ".join(notes),
    )


def best_three(
    queries: np.ndarray,
    centroids: np.ndarray,
    owner: np.ndarray | None,
    own: np.ndarray | None,
    *,
    k: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """The three (`k`) best articles and their scores per query, in blocks so that a large
    knowledge base never needs a queries x articles matrix at once; with `owner`, each query's
    own article scores `own` instead (left out)."""
    orders, scores = [], []
    k = min(k, centroids.shape[0])
    for start in range(0, len(queries), 256):
        block = queries[start : start + 256] @ centroids.T
        if owner is not None and own is not None:
            rows = np.arange(len(block))
            block[rows, owner[start : start + 256]] = own[start : start + 256]
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        part_scores = np.take_along_axis(block, part, axis=1)
        ranks = np.argsort(-part_scores, axis=1)
        orders.append(np.take_along_axis(part, ranks, axis=1))
        scores.append(np.take_along_axis(part_scores, ranks, axis=1))
    return np.vstack(orders), np.vstack(scores)


def pool_scores(
    pool: np.ndarray,
    centroids: np.ndarray,
    ex: np.ndarray,
    owner: np.ndarray,
    *,
    rescoring: Rescoring | None = None,
    texts: Sequence[str] = (),
) -> tuple[np.ndarray, np.ndarray, int]:
    """Top score and margin of the pool questions this knowledge base does not answer: a pool
    question is dropped when it is as close to some example as the knowledge base's examples
    typically are to their nearest sibling in the same article (the median over all examples)."""
    if len(pool) == 0:
        return np.zeros(0), np.zeros(0), 0
    same = ex @ ex.T
    np.fill_diagonal(same, -1.0)
    same[owner[:, None] != owner[None, :]] = -1.0
    nearest_sibling = same.max(axis=1)
    known = nearest_sibling > -1.0
    bar = float(np.median(nearest_sibling[known])) if known.any() else 1.0
    outside = (pool @ ex.T).max(axis=1) < bar
    kept = pool[outside]
    if len(kept) == 0:
        return np.zeros(0), np.zeros(0), 0
    if rescoring is None:
        _, scores = best_three(kept, centroids, None, None)
    else:
        words = [rescoring.agreement.words(t) for t, out in zip(texts, outside, strict=True) if out]
        _, scores = rescoring.best_three(kept, words, centroids, None, None)
    return scores[:, 0], scores[:, 0] - scores[:, 1], len(kept)


def fit(
    top: np.ndarray,
    margin: np.ndarray,
    right: np.ndarray,
    pool_top: np.ndarray,
    pool_margin: np.ndarray,
    targets: Targets,
    floor: float,
) -> tuple[float, float]:
    """The (answer, margin) pair answering the most examples rightly within the aimed targets,
    the limit no lower than `floor`; never answering when no pair meets them."""
    a = top[None, :, None] >= ANSWER_GRID[:, None, None]  # limit x example x 1
    m = margin[None, :, None] >= MARGIN_GRID[None, None, :]  # 1 x example x margin
    answered = a & m
    correct = (answered & right[None, :, None]).mean(axis=1)
    wrong = (answered & ~right[None, :, None]).mean(axis=1)
    ok = (wrong <= targets.aim_wrong * targets.wrong) & (floor <= ANSWER_GRID)[:, None]
    if len(pool_top):
        pa = pool_top[None, :, None] >= ANSWER_GRID[:, None, None]
        pm = pool_margin[None, :, None] >= MARGIN_GRID[None, None, :]
        ok &= (pa & pm).mean(axis=1) <= targets.aim * targets.out_of_scope
    best = np.where(ok, correct, -1.0)
    if best.max() <= 0:  # nothing meets the targets, or only by answering nothing rightly
        return NEVER, 0.0
    # the most answered rightly; among equals the lowest limit, then the lowest margin
    i, j = np.unravel_index(int(np.argmax(best)), best.shape)
    return float(ANSWER_GRID[i]), float(MARGIN_GRID[j])


def confusable(
    ids: list[str], owner: np.ndarray, first: np.ndarray, limit: int = 10
) -> list[Confusable]:
    """Pairs of articles whose examples were ranked to the other, most first."""
    per_article = Counter(owner.tolist())
    stolen: Counter[tuple[int, int]] = Counter()
    for own, got in zip(owner.tolist(), first.tolist(), strict=True):
        if own != got:
            stolen[(min(own, got), max(own, got))] += 1
    return [
        Confusable(ids[a], ids[b], n, per_article[a] + per_article[b])
        for (a, b), n in stolen.most_common(limit)
    ]
