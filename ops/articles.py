"""How each knowledge article does with customers, from the event log: times shown, the
answers to "did that answer your question?", and hand-overs that followed it in the same chat.
The editor shows these beside the article's history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from conversations.events import ArticleShown, FeedbackGiven, HandedOver
from core.auth import Principal, Role
from core.db import Storage
from core.deps import provided, require
from ops.errors import UnknownArticle


class Articles(Protocol):
    """The knowledge base, as far as these figures need it."""

    def article(self, article_id: str) -> object | None: ...


@dataclass(frozen=True)
class ArticleFeedback:
    article_id: str
    shown: int
    helpful: int
    not_helpful: int
    helpful_rate: float | None  # None until someone answers
    handoffs_after: int


class ArticleFigures:
    def __init__(self, *, storage: Storage, articles: Articles) -> None:
        self.storage = storage
        self.articles = articles

    def feedback(self, article_id: str) -> ArticleFeedback:
        if self.articles.article(article_id) is None:
            raise UnknownArticle(article_id)
        db = self.storage.db
        shown_id = db.json_field("data", "article_id")
        shown = db.execute(
            f"select count(*) from events where name = ? and {shown_id} = ?",
            [ArticleShown.name, article_id],
        ).fetchone()[0]
        # true / false: 1 / 0 on SQLite, "true" / "false" on PostgreSQL; the same as text.
        helpful = f"cast({db.json_field('data', 'helpful')} as text)"
        yes, no = db.execute(
            f"select coalesce(sum(case when {helpful} in ('1', 'true') then 1 else 0 end), 0),"
            f" coalesce(sum(case when {helpful} in ('0', 'false') then 1 else 0 end), 0)"
            f" from events where name = ? and {shown_id} = ?",
            [FeedbackGiven.name, article_id],
        ).fetchone()
        handoffs = db.execute(
            f"""
            select count(distinct s.conversation_id) from events s join events h
              on h.conversation_id = s.conversation_id and h.id > s.id
             and h.name = ?
            where s.name = ? and {db.json_field("s.data", "article_id")} = ?
            """,
            [HandedOver.name, ArticleShown.name, article_id],
        ).fetchone()[0]
        return ArticleFeedback(
            article_id=article_id,
            shown=shown,
            helpful=yes,
            not_helpful=no,
            helpful_rate=round(yes / (yes + no), 4) if yes + no else None,
            handoffs_after=handoffs,
        )


router = APIRouter(tags=["knowledge base"])

Figures = Annotated[ArticleFigures, Depends(provided(ArticleFigures))]
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]


class ArticleFeedbackOut(BaseModel):
    article_id: str
    shown: int
    helpful: int
    not_helpful: int
    helpful_rate: float | None
    handoffs_after: int


@router.get(
    "/api/kb/articles/{article_id}/feedback",
    response_model=ArticleFeedbackOut,
    summary="Shown, helpful rate, hand-overs after",
)
def article_feedback(article_id: str, figures: Figures, _: Editor) -> ArticleFeedback:
    return figures.feedback(article_id)
