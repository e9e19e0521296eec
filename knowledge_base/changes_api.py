"""HTTP routes of a published article's changes kept apart until published
(knowledge_base/changes.py): keep, read, publish, discard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from knowledge_base.api import KB, ArticleOut, Editor, author
from knowledge_base.changes import Changes, ChangesMoved, NotPublished, UnpublishedChanges
from knowledge_base.conflicts import check_base
from knowledge_base.store import Article, ArticleIn

router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

BaseVersion = Annotated[
    int | None,
    Query(ge=1, description="The published version the editor saw: 409 if it is not current"),
]
ChangesSeen = Annotated[
    str | None,
    Query(
        max_length=40,
        description="The `updated_at` of the changes the editor opened (none opened: left out):"
        " 409 if other changes were saved since",
    ),
]


class ChangesSummaryOut(BaseModel):
    article_id: str
    based_on: int = Field(description="The published version the changes began from")
    author: str | None = Field(description="Who saved them last")
    updated_at: str


class ChangesOut(ChangesSummaryOut):
    article: ArticleIn = Field(description="The article as the changes make it")


def summary(changes: Changes) -> ChangesSummaryOut:
    return ChangesSummaryOut(
        article_id=changes.article.id,
        based_on=changes.based_on,
        author=changes.author,
        updated_at=changes.updated_at,
    )


def full(changes: Changes) -> ChangesOut:
    return ChangesOut(**summary(changes).model_dump(), article=changes.article)


@router.get(
    "/changes",
    response_model=list[ChangesSummaryOut],
    summary="Published articles with changes kept apart, not yet published",
)
def list_changes(kb: KB, _: Editor) -> list[ChangesSummaryOut]:
    return [summary(c) for c in UnpublishedChanges(kb).all()]


@router.get(
    "/articles/{article_id}/changes",
    response_model=ChangesOut,
    summary="A published article's unpublished changes (404 if it keeps none)",
)
def get_changes(article_id: str, kb: KB, _: Editor) -> ChangesOut:
    changes = UnpublishedChanges(kb).get(article_id)
    if changes is None:
        raise HTTPException(404, f"article {article_id!r} has no unpublished changes")
    return full(changes)


@router.put(
    "/articles/{article_id}/changes",
    response_model=ChangesOut | None,
    summary="Save changes to a published article without publishing them; customers keep"
    " seeing the published text (null: they change nothing, and none are kept)",
)
async def keep_changes(
    article_id: str,
    body: ArticleIn,
    kb: KB,
    who: Editor,
    base_version: BaseVersion = None,
    changes_at: ChangesSeen = None,
    rebase: Annotated[
        bool,
        Query(
            description="The changes now build on the version published (the editor carried"
            " its change over): else they keep the version they began from"
        ),
    ] = False,
) -> ChangesOut | None:
    if body.id != article_id:
        raise HTTPException(422, f"the body's id {body.id!r} does not match {article_id!r}")
    check_base(kb, article_id, base_version)
    try:
        changes = await run_in_threadpool(
            UnpublishedChanges(kb).keep,
            article_id,
            body,
            author=author(who),
            seen=changes_at,
            rebase=rebase,
        )
    except (NotPublished, ChangesMoved) as err:
        raise HTTPException(409, str(err)) from None
    return None if changes is None else full(changes)


@router.post(
    "/articles/{article_id}/changes/publish",
    response_model=ArticleOut,
    summary="Publish the changes: the article's next version, live on return",
)
async def publish_changes(
    article_id: str,
    kb: KB,
    who: Editor,
    base_version: BaseVersion = None,
    changes_at: ChangesSeen = None,
) -> Article:
    check_base(kb, article_id, base_version)
    try:
        return await run_in_threadpool(
            UnpublishedChanges(kb).publish, article_id, author=author(who), seen=changes_at
        )
    except ChangesMoved as err:
        raise HTTPException(409, str(err)) from None


@router.delete(
    "/articles/{article_id}/changes",
    status_code=204,
    response_class=Response,
    summary="Discard the changes; the published article stays as it is",
)
def discard_changes(article_id: str, kb: KB, _: Editor) -> Response:
    UnpublishedChanges(kb).discard(article_id)
    return Response(status_code=204)
