"""HTTP routes that tell editors how well the knowledge base will answer: the calibration
(what it expects, which articles are too close to tell apart) and the test run (past
questions replayed through the bot's decision)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from core.auth import Principal, Role
from core.deps import require
from knowledge_base.api import KB
from knowledge_base.replay import Report, parse_questions, replay_on

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

MAX_REPLAY_BYTES = 5 * 1024 * 1024


class LimitsOut(BaseModel):
    answer: float = Field(description="Answer when the best article scores at least this ...")
    margin: float = Field(description="... and leads the runner-up by at least this")
    clarify: float = Field(description="Offer choices from this score; below it, a person")


class ConfusableOut(BaseModel):
    first: str
    first_title: str
    second: str
    second_title: str
    stolen: int = Field(description="Example questions of one ranked first to the other")
    examples: int = Field(description="The two articles' example questions together")


class CalibrationOut(BaseModel):
    language: str = Field(description="Whose articles these limits are for (en, ja)")
    calibrated: bool = Field(
        description="False: too few example questions (or calibration off): standard limits"
    )
    limits: LimitsOut = Field(description="The limits search decides with now")
    given_by_settings: list[str] = Field(description="Limits set by CASCADE_* settings instead")
    target_wrong: float | None
    target_out_of_scope: float | None
    articles: int
    examples: int = Field(description="Example questions asked again, each left out in turn")
    pool: int = Field(
        description="Out-of-scope pool questions used (after dropping those answered)"
    )
    answered: float = Field(description="Expected share of questions like the examples answered")
    wrong: float = Field(description="... answered with the wrong article")
    choices: float = Field(description="... offered choices instead")
    out_of_scope_answered: float = Field(description="Share of the pool answered")
    confusable: list[ConfusableOut] = Field(description="Article pairs too close to tell apart")
    seconds: float
    note: str


class FiguresOut(BaseModel):
    questions: int
    answered: float
    choices: float
    escalated: float
    to_person: float = Field(
        description="Sent to a person at once: an article tagged sensitive was found"
    )
    in_scope: int = Field(description="Questions labelled with the article that answers them")
    out_of_scope: int = Field(description="Questions labelled `expected: null`")
    correct: float | None = Field(description="Of the labelled answerable: answered rightly")
    wrong: float | None
    helpful: float | None = Field(description="Answered rightly, or the right one among choices")
    out_of_scope_answered: float | None


class GroupOut(BaseModel):
    name: str
    questions: int
    answered: int
    choices: int
    escalated: int
    to_person: int
    right: int
    wrong: int


class ClusterOut(BaseModel):
    count: int
    examples: list[str]


class RowOut(BaseModel):
    text: str
    decision: str
    article_id: str | None
    choices: list[str]
    score: float | None
    expected: str | None
    to_person: str | None = Field(
        description="The sensitive article that sends the question to a person at once"
    )
    verdict: str = Field(description="right, wrong, choice right, ... ('' when unlabelled)")


class ReplayOut(BaseModel):
    figures: FiguresOut
    skills: list[GroupOut]
    articles: list[GroupOut]
    escalated: list[ClusterOut] = Field(description="Questions that would escalate, by meaning")
    rows: list[RowOut]


@router.get(
    "/calibration",
    summary="What the calibrated limits expect, and which articles are too close to tell apart",
)
def calibration(
    kb: KB,
    who: Annotated[Principal, Depends(require(Role.EDITOR))],
    language: Annotated[
        Literal["en", "ja"] | None,
        Query(description="Each language is calibrated on its own (default: the most published)"),
    ] = None,
) -> CalibrationOut:
    section = kb.sections[language or kb.main_language()]
    c = section.calibration
    limits = section.thresholds
    named = kb.store.get_many(sorted({i for p in c.confusable for i in (p.first, p.second)}))
    titles = {article_id: article.title for article_id, article in named.items()}
    return CalibrationOut(
        language=section.language,
        calibrated=c.calibrated,
        limits=LimitsOut(answer=limits.answer, margin=limits.margin, clarify=limits.clarify),
        given_by_settings=sorted(section.overrides),
        target_wrong=section.targets.wrong if section.targets else None,
        target_out_of_scope=section.targets.out_of_scope if section.targets else None,
        articles=c.articles,
        examples=c.examples,
        pool=c.pool,
        answered=c.answered,
        wrong=c.wrong,
        choices=c.choices,
        out_of_scope_answered=c.out_of_scope_answered,
        confusable=[
            ConfusableOut(
                first=p.first,
                first_title=titles.get(p.first, p.first),
                second=p.second,
                second_title=titles.get(p.second, p.second),
                stolen=p.stolen,
                examples=p.examples,
            )
            for p in c.confusable
        ],
        seconds=c.seconds,
        note=c.note,
    )


@router.post(
    "/replay",
    summary="Test run: past customer questions through the bot's decision",
    description=(
        'JSON Lines, one question per line: `{"text": "...", "expected": "article-id"}`;'
        " `expected` is optional (`null`: no article should answer it). Every question is"
        " searched as the bot searches and counted: answered, choices or escalated, per skill"
        " and per article, those an article tagged sensitive sends to a person at once, the"
        " escalated ones grouped by meaning, and with labels right and wrong. The same figures as `cascade replay` and `make bench-kb`. A bad line rejects"
        " the run with 422 and `problems`."
    ),
)
async def replay_questions(
    request: Request, kb: KB, who: Annotated[Principal, Depends(require(Role.EDITOR))]
) -> ReplayOut:
    raw = await request.body()
    if len(raw) > MAX_REPLAY_BYTES:
        raise HTTPException(413, f"test runs are limited to {MAX_REPLAY_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, "the file must be UTF-8 text (JSON Lines)") from exc
    known = {article.id: article.status for article in await run_in_threadpool(kb.listing)}
    questions = parse_questions(text, known)
    report: Report = await run_in_threadpool(replay_on, kb, questions)
    return ReplayOut.model_validate(
        {
            **asdict(report),
            "rows": [{**asdict(r), "verdict": r.verdict} for r in report.rows],
        }
    )
