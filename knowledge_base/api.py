"""HTTP routes of the knowledge base."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from cascade.services import ServicesDep
from core.auth import Principal, Role
from core.deps import maybe_principal, require
from knowledge_base.markdown import read_zip, write_zip
from knowledge_base.service import parse_jsonl
from knowledge_base.store import ArticleIn

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

MAX_IMPORT_BYTES = 50 * 1024 * 1024
ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed"})


class SearchIn(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    limit: int = Field(default=5, ge=1, le=50)


@router.post(
    "/import",
    summary="Import articles (JSON Lines, or a zip of Markdown files), all or nothing",
    description=(
        "JSON Lines: one article per line, `{id, title, body, questions, skill, tags}`; every"
        " article is published and searchable on return.\n\n"
        "Zip (`Content-Type: application/zip`, as `GET /api/kb/export?format=markdown` gives):"
        " one `<id>.md` per article, YAML front matter (title, questions, skill, tags, and"
        " optionally id and status) above the Markdown body. Articles without a status, or"
        " `status: published`, are published and searchable on return; `status: draft` or"
        " `archived` keeps them out of search, so an export imported elsewhere gives back the"
        " same articles.\n\n"
        "Articles with an id already in use are replaced (as a new version). A bad line, a bad"
        " file or a bad zip rejects the whole import with 422 and `problems` naming each line"
        " or file and what is wrong; nothing of it is kept."
    ),
)
async def import_articles(
    request: Request,
    services: ServicesDep,
    who: Annotated[Principal, Depends(require(Role.EDITOR))],
) -> dict[str, int]:
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise HTTPException(413, f"import files are limited to {MAX_IMPORT_BYTES} bytes")
    if is_zip(request, raw):
        files = await run_in_threadpool(read_zip, raw)
        imported = await run_in_threadpool(
            services.kb.import_with_status, files, author=who.subject or "admin"
        )
        return {"imported": imported}
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"the body is not UTF-8 text (byte {exc.start})") from exc
    articles = parse_jsonl(text)
    imported = await run_in_threadpool(
        services.kb.import_articles, articles, author=who.subject or "admin"
    )
    return {"imported": imported}


def is_zip(request: Request, raw: bytes) -> bool:
    """Said so by its Content-Type, or a zip by its first bytes (a JSON line never is)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ZIP_TYPES or raw.startswith(b"PK\x03\x04")


@router.post("/search", summary="Search published articles by meaning")
async def search(body: SearchIn, services: ServicesDep) -> dict[str, Any]:
    if not body.query.strip():
        raise HTTPException(422, "query must not be blank")
    outcome = await run_in_threadpool(services.kb.search, body.query, limit=body.limit)
    return outcome.as_dict()


Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
MaybeCaller = Annotated[Principal | None, Depends(maybe_principal)]


def is_editor(who: Principal | None) -> bool:
    return who is not None and who.has(Role.EDITOR)


def author(who: Principal) -> str:
    return who.subject or ("admin" if who.is_admin() else "editor")


class RollbackIn(BaseModel):
    version: int = Field(ge=1)


@router.get("/articles", summary="Articles (editors see drafts and archived ones too)")
def list_articles(
    services: ServicesDep,
    who: MaybeCaller,
    status: Annotated[Literal["draft", "published", "archived"] | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in title or body")] = None,
) -> list[dict[str, Any]]:
    if not is_editor(who):
        if status not in (None, "published"):
            raise HTTPException(403, "only editors see drafts and archived articles")
        status = "published"
    return services.kb.listing(status=status, query=q)


@router.post("/articles", status_code=201, summary="Create a draft (not searched until published)")
async def create_article(body: ArticleIn, services: ServicesDep, who: Editor) -> dict[str, Any]:
    article = await run_in_threadpool(services.kb.create, body, author=author(who))
    return article.as_dict()


@router.get("/articles/{article_id}", summary="One article (editors: any status)")
def get_article(article_id: str, services: ServicesDep, who: MaybeCaller) -> dict[str, Any]:
    article = services.kb.article(article_id)
    if article is None or (article.status != "published" and not is_editor(who)):
        raise HTTPException(404, f"no published article with id {article_id!r}")
    return article.as_dict()


@router.put("/articles/{article_id}", summary="Save: a new version; live at once if published")
async def save_article(
    article_id: str,
    body: ArticleIn,
    services: ServicesDep,
    who: Editor,
    base_version: Annotated[
        int | None,
        Query(ge=1, description="The version the edit started from: 409 if it is not current"),
    ] = None,
) -> dict[str, Any]:
    if body.id != article_id:
        raise HTTPException(422, f"the body's id {body.id!r} does not match {article_id!r}")
    current = services.kb.article(article_id)
    if base_version is not None and current is not None and current.version != base_version:
        raise HTTPException(
            409,
            f"article {article_id!r} changed since you opened it: you edited version"
            f" {base_version}, it is now at version {current.version} ({current.author or 'someone'}"
            f" saved it {current.updated_at}); reload it to see their change",
        )
    article = await run_in_threadpool(services.kb.save, article_id, body, author=author(who))
    return article.as_dict()


@router.post("/articles/{article_id}/publish", summary="Publish: searchable on return")
async def publish(article_id: str, services: ServicesDep, who: Editor) -> dict[str, Any]:
    article = await run_in_threadpool(
        services.kb.set_status, article_id, "published", author=author(who)
    )
    return article.as_dict()


@router.post("/articles/{article_id}/archive", summary="Archive: out of search on return")
async def archive(article_id: str, services: ServicesDep, who: Editor) -> dict[str, Any]:
    article = await run_in_threadpool(
        services.kb.set_status, article_id, "archived", author=author(who)
    )
    return article.as_dict()


@router.post("/articles/{article_id}/rollback", summary="Bring back an earlier version")
async def rollback(
    article_id: str, body: RollbackIn, services: ServicesDep, who: Editor
) -> dict[str, Any]:
    article = await run_in_threadpool(
        services.kb.rollback, article_id, body.version, author=author(who)
    )
    return article.as_dict()


@router.get("/articles/{article_id}/versions", summary="Versions, newest first, with diffs")
def versions(article_id: str, services: ServicesDep, _: Editor) -> list[dict[str, Any]]:
    return services.kb.versions(article_id)


@router.get(
    "/export",
    summary="Every article but archived ones: JSON Lines, or a zip of Markdown files",
    description=(
        "`format=jsonl` (the default): one article per line, re-importable with"
        " `POST /api/kb/import`.\n\n"
        "`format=markdown`: `knowledge-base.zip`, one `<id>.md` per article with YAML front"
        " matter (id, title, skill, tags, questions, status) above the Markdown body, what"
        " editors keep in git; `POST /api/kb/import` takes the zip back as it is."
    ),
    response_class=Response,
    responses={
        200: {"content": {"application/x-ndjson": {}, "application/zip": {}}},
    },
)
def export(
    services: ServicesDep,
    _: Editor,
    format: Annotated[Literal["jsonl", "markdown"], Query()] = "jsonl",
) -> Response:
    articles = services.kb.export()
    if format == "markdown":
        return Response(
            write_zip(articles),
            media_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="knowledge-base.zip"'},
        )
    lines = [json.dumps(article, ensure_ascii=False) for article in articles]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="application/x-ndjson")


class GapsIn(BaseModel):
    gap_ids: list[int] = Field(min_length=1, max_length=500)
    title: str | None = Field(default=None, min_length=1, max_length=300)


class AttachIn(BaseModel):
    gap_ids: list[int] = Field(min_length=1, max_length=500)
    article_id: str = Field(min_length=1, max_length=128)


@router.get("/gaps", summary="Questions the bot could not answer, grouped by meaning")
def gaps(services: ServicesDep, _: Editor) -> list[dict[str, Any]]:
    return services.kb.gaps.clusters()


@router.post("/gaps/draft", status_code=201, summary="Turn gap questions into a draft article")
async def draft_from_gaps(body: GapsIn, services: ServicesDep, who: Editor) -> dict[str, Any]:
    article = await run_in_threadpool(
        services.kb.draft_from_gaps, body.gap_ids, title=body.title, author=author(who)
    )
    return article.as_dict()


@router.post("/gaps/attach", summary="Add gap questions to an article's example questions")
async def attach_gaps(body: AttachIn, services: ServicesDep, who: Editor) -> dict[str, Any]:
    article = await run_in_threadpool(
        services.kb.attach_gaps, body.gap_ids, body.article_id, author=author(who)
    )
    return article.as_dict()


@router.get("/articles/{article_id}/feedback", summary="Shown, helpful rate, hand-overs after")
def article_feedback(article_id: str, services: ServicesDep, _: Editor) -> dict[str, Any]:
    return services.kb.feedback(article_id)
