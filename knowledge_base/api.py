"""HTTP routes of the knowledge base."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from cascade.auth import Principal, Role
from cascade.deps import ServicesDep, require
from knowledge_base.service import parse_jsonl

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

MAX_IMPORT_BYTES = 50 * 1024 * 1024


class SearchIn(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    limit: int = Field(default=5, ge=1, le=50)


@router.post("/import", summary="Import articles (JSON Lines), published on return")
async def import_articles(
    request: Request,
    services: ServicesDep,
    _: Annotated[Principal, Depends(require(Role.EDITOR))],
) -> dict[str, int]:
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise HTTPException(413, f"import files are limited to {MAX_IMPORT_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"the body is not UTF-8 text (byte {exc.start})") from exc
    articles = parse_jsonl(text)
    imported = await run_in_threadpool(services.kb.import_articles, articles)
    return {"imported": imported}


@router.post("/search", summary="Search published articles by meaning")
async def search(body: SearchIn, services: ServicesDep) -> dict[str, Any]:
    if not body.query.strip():
        raise HTTPException(422, "query must not be blank")
    outcome = await run_in_threadpool(services.kb.search, body.query, limit=body.limit)
    return outcome.as_dict()


@router.get("/articles/{article_id}", summary="One published article")
async def get_article(article_id: str, services: ServicesDep) -> dict[str, Any]:
    article = services.kb.article(article_id)
    if article is None or article.status != "published":
        raise HTTPException(404, f"no published article with id {article_id!r}")
    return article.as_dict()
