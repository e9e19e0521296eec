"""Replay before go-live: past customer questions through the decision the bot makes.

A replay file is JSON Lines, one question per line: `{"text": "...", "expected": "article-id"}`.
`expected` is optional: absent, the question is unlabelled; `null`, it is one no article should
answer (out of scope). Each question is searched exactly as the bot searches (the knowledge
base's `search`, with its calibrated limits; the bot first sets aside messages in a language it
does not read, which a replay does not) and counted: answered, choices or escalated, per
skill and per article, and which of them the bot sends to a person at once for an article
tagged sensitive (`to_a_person`: shown, or among the choices, it hands the chat over); the
questions that would escalate are grouped by meaning like content gaps; with labels, right and
wrong (of the search: a sensitive article found is right, whatever follows). `cascade replay`, the editor's "Test run" and
`make bench-kb` all count with `summarize`, so their figures are the same.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from knowledge_base.errors import ReplayRejected
from knowledge_base.gaps import group_by_meaning
from knowledge_base.search import Decision, Hit, SearchOutcome, sent_to_person

if TYPE_CHECKING:
    from knowledge_base.service import KnowledgeBase

MAX_QUESTIONS = 20_000
UNLABELLED = object()  # `expected` absent from the line


@dataclass(frozen=True)
class Question:
    text: str
    expected: str | None = None
    labelled: bool = False


@dataclass(frozen=True)
class Row:
    """One question's predicted outcome."""

    text: str
    decision: str  # answer / clarify / escalate
    article_id: str | None  # the answer, or the first choice
    skill: str | None
    choices: list[str]
    score: float | None
    expected: str | None
    labelled: bool
    to_person: str | None = None  # the sensitive article that sends it to a person at once

    @property
    def verdict(self) -> str:
        """right / wrong / choice right / choice wrong / out of scope answered / out of scope
        kept / escalated (in scope) / "" when unlabelled."""
        if not self.labelled:
            return ""
        if self.expected is None:
            return "out of scope answered" if self.decision == "answer" else "out of scope kept"
        if self.decision == "answer":
            return "right" if self.article_id == self.expected else "wrong"
        if self.decision == "clarify":
            return "choice right" if self.expected in self.choices else "choice wrong"
        return "escalated"


@dataclass(frozen=True)
class Figures:
    """The rates the README reports; None when the file has no such labelled questions."""

    questions: int
    answered: float
    choices: float
    escalated: float
    to_person: float  # sent to a person at once for a sensitive article (of all questions)
    in_scope: int
    out_of_scope: int
    correct: float | None
    wrong: float | None
    helpful: float | None
    out_of_scope_answered: float | None


@dataclass(frozen=True)
class Group:
    name: str
    questions: int
    answered: int
    choices: int
    escalated: int
    to_person: int
    right: int
    wrong: int


@dataclass(frozen=True)
class EscalatedCluster:
    count: int
    examples: list[str]


@dataclass(frozen=True)
class Report:
    figures: Figures
    skills: list[Group]
    articles: list[Group]
    escalated: list[EscalatedCluster]
    rows: list[Row] = field(default_factory=list)


def encodable(text: str) -> bool:
    """False for text JSON can carry but no model or database can take: a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_questions(text: str, article_ids: Mapping[str, str] | None = None) -> list[Question]:
    """Questions from a replay file; ReplayRejected lists every bad line, every label that
    names none of `article_ids` (id -> status; a mistyped id would count its question as
    answered wrongly) and every label naming an article search never answers with (a draft
    or an archived one: every such question would count as wrong)."""
    questions: list[Question] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        except RecursionError:
            problems.append(f"line {number}: nested too deeply")
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            problems.append(f'line {number}: needs a "text" string')
            continue
        if not encodable(item["text"]):
            problems.append(f'line {number}: "text" holds invalid Unicode (a lone surrogate)')
            continue
        if not item["text"].strip() or len(item["text"]) > 2000:
            problems.append(f'line {number}: "text" must have 1-2000 characters')
            continue
        expected = item.get("expected", UNLABELLED)
        if expected is not UNLABELLED and expected is not None and not isinstance(expected, str):
            problems.append(f'line {number}: "expected" must be an article id or null')
            continue
        if isinstance(expected, str) and article_ids is not None and expected not in article_ids:
            problems.append(f"line {number}: no article with id {expected!r}")
            continue
        if isinstance(expected, str) and article_ids and article_ids[expected] != "published":
            problems.append(
                f"line {number}: article {expected!r} is {article_ids[expected]}, so no question"
                " is answered with it: publish it, or label the question with another"
            )
            continue
        labelled = expected is not UNLABELLED
        questions.append(
            Question(item["text"].strip(), expected if labelled else None, labelled)  # type: ignore[arg-type]
        )
    if not questions and not problems:
        problems.append('no questions: one JSON object per line with a "text"')
    if len(questions) > MAX_QUESTIONS:
        problems.append(f"{len(questions)} questions: at most {MAX_QUESTIONS} per run")
    if problems:
        raise ReplayRejected(problems)
    return questions


def row_for(question: Question, outcome: SearchOutcome, to_person: str | None = None) -> Row:
    best = outcome.best
    shown = outcome.results if outcome.decision is Decision.CLARIFY else []
    keep = outcome.decision is not Decision.ESCALATE and best is not None
    return Row(
        text=question.text,
        decision=outcome.decision.value,
        article_id=best.article_id if keep and best else None,
        skill=best.skill if keep and best else None,
        choices=[h.article_id for h in shown],
        score=round(best.score, 4) if best else None,
        expected=question.expected,
        labelled=question.labelled,
        to_person=to_person,
    )


def replay(
    questions: Iterable[Question],
    search: Callable[[str], SearchOutcome],
    encode: Callable[[list[str]], np.ndarray] | None = None,
    *,
    group: Callable[[list[str]], list[list[int]]] | None = None,
    person: Callable[[str, SearchOutcome], Hit | None] | None = None,
) -> Report:
    """Every question through `search` (the bot's own), summed up; `group` (or `encode`)
    groups the escalated questions by meaning; `person` (`sent_to_person` with the knowledge
    base) names the sensitive article that sends a question to a person."""
    rows = []
    for question in questions:
        outcome = search(question.text)
        hit = person(question.text, outcome) if person else None
        rows.append(row_for(question, outcome, hit.article_id if hit else None))
    return summarize(rows, encode, group=group)


def replay_on(kb: KnowledgeBase, questions: Iterable[Question]) -> Report:
    """`replay` as the bot decides on `kb`: its search, its sensitive rule, the escalated
    questions grouped as its content gaps are (`cascade replay`, the editor's test run)."""
    return replay(questions, kb.search, group=kb.gaps.group, person=partial(sent_to_person, kb))


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarize(
    rows: list[Row],
    encode: Callable[[list[str]], np.ndarray] | None = None,
    *,
    group: Callable[[list[str]], list[list[int]]] | None = None,
) -> Report:
    """The figures, and the escalated questions grouped by meaning: by `group` (the knowledge
    base's, each language by its own model), else by `encode`'s vectors."""
    total = len(rows)
    decisions = Counter(r.decision for r in rows)
    verdicts = Counter(r.verdict for r in rows)
    in_scope = sum(r.labelled and r.expected is not None for r in rows)
    out_of_scope = sum(r.labelled and r.expected is None for r in rows)
    figures = Figures(
        questions=total,
        answered=rate(decisions["answer"], total) or 0.0,
        choices=rate(decisions["clarify"], total) or 0.0,
        escalated=rate(decisions["escalate"], total) or 0.0,
        to_person=rate(sum(r.to_person is not None for r in rows), total) or 0.0,
        in_scope=in_scope,
        out_of_scope=out_of_scope,
        correct=rate(verdicts["right"], in_scope),
        wrong=rate(verdicts["wrong"], in_scope),
        helpful=rate(verdicts["right"] + verdicts["choice right"], in_scope),
        out_of_scope_answered=rate(verdicts["out of scope answered"], out_of_scope),
    )
    escalated = [r.text for r in rows if r.decision == "escalate"]
    clusters: list[EscalatedCluster] = []
    if escalated and group is None and encode is not None:
        group = lambda texts: group_by_meaning(list(encode(texts)))  # noqa: E731
    if escalated and group is not None:
        for members in group(escalated):
            texts = list(dict.fromkeys(escalated[i] for i in members))
            clusters.append(EscalatedCluster(len(members), texts[:5]))
        clusters.sort(key=lambda c: -c.count)
    return Report(
        figures=figures,
        skills=groups(rows, lambda r: r.skill or "(escalated)"),
        articles=groups(rows, lambda r: r.article_id or "(escalated)"),
        escalated=clusters[:50],
        rows=rows,
    )


def groups(rows: list[Row], key: Callable[[Row], str]) -> list[Group]:
    by: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by[key(row)].append(row)
    out = []
    for name, members in by.items():
        decisions = Counter(r.decision for r in members)
        verdicts = Counter(r.verdict for r in members)
        out.append(
            Group(
                name=name,
                questions=len(members),
                answered=decisions["answer"],
                choices=decisions["clarify"],
                escalated=decisions["escalate"],
                to_person=sum(r.to_person is not None for r in members),
                right=verdicts["right"] + verdicts["choice right"],
                wrong=verdicts["wrong"] + verdicts["out of scope answered"],
            )
        )
    return sorted(out, key=lambda g: (-g.questions, g.name))


CSV_FIELDS = [
    "text",
    "decision",
    "article_id",
    "choices",
    "to_person",
    "score",
    "expected",
    "verdict",
]


def spreadsheet_safe(text: str) -> str:
    """A question a spreadsheet would take for a formula (=, +, -, @) is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def as_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for r in rows:
        expected = "" if not r.labelled else (r.expected or "(none)")
        writer.writerow(
            [
                spreadsheet_safe(r.text),
                r.decision,
                r.article_id or "",
                " ".join(r.choices),
                r.to_person or "",
                r.score,
                expected,
                r.verdict,
            ]
        )
    return out.getvalue()


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(report: Report, *, top: int = 15) -> str:
    """The report as text: the figures, per skill, per article (the busiest), what escalates."""
    f = report.figures
    lines = [
        f"{f.questions} questions: answered {pct(f.answered)}, choices {pct(f.choices)},"
        f" escalated {pct(f.escalated)}",
    ]
    if f.to_person:
        lines.append(f"sent to a person at once for a sensitive article {pct(f.to_person)}")
    if f.in_scope or f.out_of_scope:
        lines.append(
            f"labelled: {f.in_scope} answerable, {f.out_of_scope} out of scope;"
            f" answered correctly {pct(f.correct)}, wrongly {pct(f.wrong)},"
            f" helpful {pct(f.helpful)}, out of scope answered {pct(f.out_of_scope_answered)}"
        )
    for title, rows in (("skill", report.skills), ("article", report.articles[:top])):
        lines += [
            "",
            f"{'by ' + title:<32} questions answered choices escalated to-person right wrong",
        ]
        lines += [
            f"{g.name[:32]:<32} {g.questions:>9} {g.answered:>8} {g.choices:>7}"
            f" {g.escalated:>9} {g.to_person:>9} {g.right:>5} {g.wrong:>5}"
            for g in rows
        ]
    if report.escalated:
        lines += ["", "would escalate, grouped by meaning:"]
        lines += [f"{c.count:>5}  " + " | ".join(c.examples[:3]) for c in report.escalated[:top]]
    return "\n".join(lines)
