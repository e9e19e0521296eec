"""HTTP routes of the knowledge base."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from core.auth import Principal, Role
from core.db import MAX_ID
from core.deps import maybe_principal, provided, require
from core.rate_limits import public_rate_limited
from core.unstorable import blank
from knowledge_base.conflicts import check_base
from knowledge_base.errors import (
    ArticleExists,
    ArticleNotFound,
    GapNotFound,
    ImportRejected,
    NoAnswer,
    VersionNotFound,
)
from knowledge_base.gaps import GapCluster
from knowledge_base.ids import new_article_id
from knowledge_base.importing import read_jsonl
from knowledge_base.markdown import read_zip, without_body, write_zip
from knowledge_base.search import Decision, SearchOutcome, sent_to_person
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ARTICLE_ID, Article, ArticleIn
from knowledge_base.versions import Version

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

# The HTTP status of each knowledge-base error. An ImportRejected body also lists `problems`.
ERRORS: dict[type[Exception], int] = {
    ImportRejected: 422,
    ArticleNotFound: 404,
    ArticleExists: 409,
    NoAnswer: 422,
    VersionNotFound: 404,
    GapNotFound: 404,
}

KB = Annotated[KnowledgeBase, Depends(provided(KnowledgeBase))]

ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed"})


GapId = Annotated[int, Field(ge=1, le=MAX_ID)]


class SearchIn(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    limit: int = Field(default=5, ge=1, le=50)


class HitOut(BaseModel):
    article_id: str
    title: str
    score: float = Field(description="What the search ranks by (cosine, plus lexical agreement)")
    skill: str


class SearchOut(BaseModel):
    decision: Decision = Field(
        description="answer, clarify (the results are the choices) or escalate"
    )
    results: list[HitOut]
    to_person: str | None = Field(
        default=None,
        description="The article tagged sensitive that sends the question to a person at once, "
        "as the bot does: the answer (shown first), or a choice as close as the best",
    )


class ImportOut(BaseModel):
    imported: int = Field(description="How many articles the import held")
    skipped: list[str] | None = Field(
        default=None, description="Files in the zip that are not `.md`"
    )
    no_body: list[str] | None = Field(default=None, description="Articles kept as drafts")


class ArticleSummaryOut(BaseModel):
    """An article as lists show it: no body, no questions."""

    id: str
    title: str
    skill: str
    tags: list[str]
    language: str = Field(description="en or ja: the articles a question in it searches")
    status: Literal["draft", "published", "archived"]
    version: int
    updated_at: str


class ArticleOut(ArticleSummaryOut):
    body: str
    questions: list[str]


class VersionOut(BaseModel):
    version: int
    author: str | None
    created_at: str
    change: str = Field(description="created, edited, published, archived, imported, ...")
    status: Literal["draft", "published", "archived"]
    title: str
    diff: str = Field(description="Unified diff of the text fields from the version before")


@router.post(
    "/import",
    summary="Import articles (JSON Lines, or a zip of Markdown files), all or nothing",
    response_model_exclude_none=True,
    description=(
        "JSON Lines: one article per line, `{id, title, body, questions, skill, tags}` and"
        " optionally `status`, as `GET /api/kb/export` writes them. Articles without a status,"
        " or `published`, are published and searchable on return; `draft` or `archived` keeps"
        " them out of search.\n\n"
        "Zip (`Content-Type: application/zip`, as `GET /api/kb/export?format=markdown` gives):"
        " one `<id>.md` per article, YAML front matter (title, questions, skill, tags, and"
        " optionally id and status) above the Markdown body. Articles without a status, or"
        " `status: published`, are published and searchable on return; `status: draft` or"
        " `archived` keeps them out of search, so an export imported elsewhere gives back the"
        " same articles. An article with no body is kept as a draft (customers would get its"
        " title alone), named in `no_body`. Other files in the zip are skipped and named in"
        " `skipped`. Either is absent when empty.\n\n"
        "Articles with an id already in use are replaced (as a new version). A bad line, a bad"
        " file or a bad zip rejects the whole import with 422 and `problems` naming each line"
        " or file and what is wrong; nothing of it is kept.\n\n"
        "A file larger than CASCADE_KB_IMPORT_MAX_BYTES (50 MB unless set) is refused with 413"
        " as it arrives."
    ),
)
async def import_articles(
    request: Request,
    kb: KB,
    who: Annotated[Principal, Depends(require(Role.EDITOR))],
) -> ImportOut:
    raw = await request.body()  # counted as it arrives: past the import limit it is a 413
    skipped: list[str] = []
    if is_zip(request, raw):
        articles, skipped = await run_in_threadpool(read_zip, raw)
    else:
        try:
            articles = read_jsonl(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise HTTPException(400, f"the body is not UTF-8 text (byte {exc.start})") from exc
    imported = await run_in_threadpool(
        kb.import_with_status, articles, author=who.subject or "admin"
    )
    drafts = without_body(articles)
    return ImportOut(imported=imported, skipped=skipped or None, no_body=drafts or None)


def is_zip(request: Request, raw: bytes) -> bool:
    """Said so by its Content-Type, or a zip by its first bytes (a JSON line never is)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ZIP_TYPES or raw.startswith(b"PK\x03\x04")


@router.post(
    "/search",
    summary="Search published articles by meaning",
    dependencies=[public_rate_limited("search")],
    description="Open to everyone, so limited per client address (CASCADE_RATE_LIMIT_SEARCH): "
    "past the limit, 429 with Retry-After; staff with their token are not limited.",
)
async def search(body: SearchIn, kb: KB) -> SearchOut:
    if blank(body.query):
        raise HTTPException(422, "query must not be blank (spaces or invisible characters alone)")
    outcome: SearchOutcome = await run_in_threadpool(kb.search, body.query, limit=body.limit)
    person = sent_to_person(kb, body.query, outcome)
    to_person = person.article_id if person else None  # scores rounded as the bot shows them:
    return SearchOut.model_validate({**outcome.as_dict(), "to_person": to_person})


Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
MaybeCaller = Annotated[Principal | None, Depends(maybe_principal)]


def is_editor(who: Principal | None) -> bool:
    return who is not None and who.has(Role.EDITOR)


def author(who: Principal) -> str:
    return who.subject or ("admin" if who.is_admin() else "editor")


class RollbackIn(BaseModel):
    version: int = Field(ge=1, le=MAX_ID)


@router.get(
    "/articles",
    response_model=list[ArticleSummaryOut],
    summary="Articles (editors see drafts and archived ones too)",
)
def list_articles(
    kb: KB,
    who: MaybeCaller,
    status: Annotated[Literal["draft", "published", "archived"] | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in any field")] = None,
) -> list[Article]:
    if not is_editor(who):
        if status not in (None, "published"):
            raise HTTPException(403, "only editors see drafts and archived articles")
        status = "published"
    return kb.listing(status=status, query=q)


class NewArticleIn(ArticleIn):
    """A new article: its id may be left out, and one is made from the title."""

    id: str | None = Field(  # type: ignore[assignment]  # optional here, required on import
        default=None,
        json_schema_extra={"pattern": ARTICLE_ID.pattern},  # checked as on import
        description=(
            "Left out: a slug of a title in Latin letters (`reset-your-password`, then"
            " `reset-your-password-2`...), else a short random id (`a-7kq2xm`)"
        ),
    )


@router.post(
    "/articles",
    status_code=201,
    response_model=ArticleOut,
    summary="Create a draft (not searched until published); without an id, one is made",
)
async def create_article(body: NewArticleIn, kb: KB, who: Editor) -> Article:
    if body.id is not None:
        return await run_in_threadpool(kb.create, body, author=author(who))
    return await run_in_threadpool(create_with_new_id, kb, body, author(who))


def create_with_new_id(kb: KnowledgeBase, body: NewArticleIn, author: str) -> Article:
    """Create under a new id; if another editor took it in between, under the next one."""
    tries = 3
    while True:
        article_id = new_article_id(body.title, taken=lambda i: kb.article(i) is not None)
        try:
            return kb.create(body.model_copy(update={"id": article_id}), author=author)
        except ArticleExists:
            tries -= 1
            if not tries:
                raise


@router.get(
    "/articles/{article_id}", response_model=ArticleOut, summary="One article (editors: any status)"
)
def get_article(article_id: str, kb: KB, who: MaybeCaller) -> Article:
    article = kb.article(article_id)
    if article is None or (article.status != "published" and not is_editor(who)):
        kind = "article" if is_editor(who) else "published article"  # editors see every status
        raise HTTPException(404, f"no {kind} with id {article_id!r}")
    return article


@router.put(
    "/articles/{article_id}",
    response_model=ArticleOut,
    summary="Save: a new version; live at once if published",
)
async def save_article(
    article_id: str,
    body: ArticleIn,
    kb: KB,
    who: Editor,
    base_version: Annotated[
        int | None,
        Query(ge=1, description="The version the edit started from: 409 if it is not current"),
    ] = None,
) -> Article:
    if body.id != article_id:
        raise HTTPException(422, f"the body's id {body.id!r} does not match {article_id!r}")
    check_base(kb, article_id, base_version)
    return await run_in_threadpool(kb.save, article_id, body, author=author(who))


@router.post(
    "/articles/{article_id}/publish",
    response_model=ArticleOut,
    summary="Publish: searchable on return",
)
async def publish(article_id: str, kb: KB, who: Editor) -> Article:
    return await run_in_threadpool(kb.set_status, article_id, "published", author=author(who))


@router.post(
    "/articles/{article_id}/archive",
    response_model=ArticleOut,
    summary="Archive: out of search on return",
)
async def archive(article_id: str, kb: KB, who: Editor) -> Article:
    return await run_in_threadpool(kb.set_status, article_id, "archived", author=author(who))


@router.post(
    "/articles/{article_id}/rollback",
    response_model=ArticleOut,
    summary="Bring back an earlier version",
)
async def rollback(article_id: str, body: RollbackIn, kb: KB, who: Editor) -> Article:
    return await run_in_threadpool(kb.rollback, article_id, body.version, author=author(who))


@router.get(
    "/articles/{article_id}/versions",
    response_model=list[VersionOut],
    summary="Versions, newest first, with diffs",
)
def versions(article_id: str, kb: KB, _: Editor) -> list[Version]:
    return kb.versions(article_id)


@router.get(
    "/export",
    summary="Every article, with its status: JSON Lines, or a zip of Markdown files",
    description=(
        "`format=jsonl` (the default): one article per line, re-importable with"
        " `POST /api/kb/import`.\n\n"
        "`format=markdown`: `knowledge-base.zip`, one `<id>.md` per article with YAML front"
        " matter (id, title, skill, tags, questions, language, status) above the Markdown body,"
        " what editors keep in git; `POST /api/kb/import` takes the zip back as it is."
    ),
    response_class=Response,
    responses={
        200: {"content": {"application/x-ndjson": {}, "application/zip": {}}},
    },
)
def export(
    kb: KB,
    _: Editor,
    format: Annotated[Literal["jsonl", "markdown"], Query()] = "jsonl",
) -> Response:
    articles = kb.export()
    if format == "markdown":
        return Response(
            write_zip(articles),
            media_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="knowledge-base.zip"'},
        )
    lines = [json.dumps(article, ensure_ascii=False) for article in articles]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="application/x-ndjson")


class GapsIn(BaseModel):
    gap_ids: list[GapId] = Field(min_length=1, max_length=500)
    title: str | None = Field(default=None, min_length=1, max_length=300)


class AttachIn(BaseModel):
    gap_ids: list[GapId] = Field(min_length=1, max_length=500)
    article_id: str = Field(min_length=1, max_length=128)


@router.get(
    "/gaps",
    response_model=list[GapCluster],
    summary="Questions the bot could not answer, grouped by meaning",
)
def gaps(kb: KB, _: Editor) -> list[GapCluster]:
    return kb.gaps.clusters()


@router.post(
    "/gaps/draft",
    status_code=201,
    response_model=ArticleOut,
    summary="Turn gap questions into a draft article",
)
async def draft_from_gaps(body: GapsIn, kb: KB, who: Editor) -> Article:
    return await run_in_threadpool(
        kb.draft_from_gaps, body.gap_ids, title=body.title, author=author(who)
    )


@router.post(
    "/gaps/attach",
    response_model=ArticleOut,
    summary="Add gap questions to an article's example questions",
)
async def attach_gaps(body: AttachIn, kb: KB, who: Editor) -> Article:
    return await run_in_threadpool(
        kb.attach_gaps, body.gap_ids, body.article_id, author=author(who)
    )
