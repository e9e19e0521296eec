"""Changes to a published article kept apart until they are published.

An editor reworking a live article saves their changes without publishing them: customers keep
the published text, and the bot keeps answering with it, until an editor publishes the changes
(they become the article's next version, live at once) or discards them. One set of changes per
article, kept in `article_changes` with the version they began from and who saved them last; a
save of them never touches the article, its versions or the search indexes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.clock import iso
from core.db import Database
from knowledge_base.errors import ArticleNotFound, KnowledgeBaseError, NoAnswer
from knowledge_base.languages import with_language
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import Article, ArticleIn, content_from_row
from knowledge_base.versions import as_input


class NoChanges(ArticleNotFound):
    """The article keeps no unpublished changes (404)."""

    def __init__(self, article_id: str) -> None:
        super().__init__(article_id)
        self.args = (f"article {article_id!r} has no unpublished changes",)


class NotPublished(KnowledgeBaseError):
    """Changes are kept apart for a published article only: a draft or an archived article is
    saved as it is, since no customer is answered with it (409)."""

    def __init__(self, article: Article) -> None:
        super().__init__(
            f"article {article.id!r} is {article.status}, not published: save it directly"
            " (no customer is answered with it)"
        )


class ChangesMoved(KnowledgeBaseError):
    """The kept changes are not the ones the editor saw (409): another editor saved other ones,
    or the article moved on since they began. Nothing is overwritten or published unseen."""


@dataclass(frozen=True)
class Changes:
    article: ArticleIn
    based_on: int  # the published version they began from
    author: str | None
    updated_at: str


class UnpublishedChanges:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.storage = kb.storage

    def get(self, article_id: str, db: Database | None = None) -> Changes | None:
        rows = (db or self.storage.db).query(
            "select * from article_changes where article_id = ?", [article_id]
        )
        return next((from_row(row) for row in rows), None)

    def all(self) -> list[Changes]:
        """Every article's unpublished changes, by article id."""
        rows = self.storage.db.query("select * from article_changes order by article_id")
        return [from_row(row) for row in rows]

    def keep(
        self,
        article_id: str,
        article: ArticleIn,
        *,
        author: str | None,
        seen: str | None = None,
        rebase: bool = False,
    ) -> Changes | None:
        """Keep the changes apart from the published article; changes that leave it as it is
        are no changes (any kept before are dropped: None). `seen`: when the changes kept
        already were saved, as the editor opened them (None: they opened none); other changes
        kept meanwhile are not overwritten (ChangesMoved). They keep the version they began
        from, unless `rebase`: the editor has carried over what was published since."""
        current = self._published(article_id)
        article = with_language(article.model_copy(update={"id": article_id}))
        same = article == as_input(current)
        if not same and not article.body.strip():
            raise NoAnswer(article_id, edit=True)  # publishing them would be refused: now
        with self.storage.write() as db:  # looked at and written in one transaction
            before = self._as_seen(db, article_id, seen)
            if same:
                db.execute("delete from article_changes where article_id = ?", [article_id])
                return None
            db.table("article_changes").upsert(
                {
                    "article_id": article_id,
                    "title": article.title,
                    "body": article.body,
                    "questions": json.dumps(article.questions),
                    "skill": article.skill,
                    "tags": json.dumps(article.tags),
                    "language": article.language,
                    "based_on": before.based_on if before and not rebase else current.version,
                    "author": author,
                    "updated_at": iso(self.kb.clock.now()),
                },
                pk="article_id",
            )
        changes = self.get(article_id)
        assert changes is not None
        return changes

    def publish(self, article_id: str, *, author: str | None, seen: str | None = None) -> Article:
        """The changes become the article's next version, live on return, and are no longer
        kept apart. (An article archived meanwhile takes them and stays archived.) Refused
        (ChangesMoved) for changes saved again since `seen`, when given, and for changes begun
        from an earlier version than the published one: they would undo it unseen."""
        changes = self.get(article_id)
        if changes is None:
            if self.kb.article(article_id) is None:
                raise ArticleNotFound(article_id)
            raise NoChanges(article_id)
        if seen is not None:
            as_seen(changes, article_id, seen)  # read above: no second look
        live = self.kb.article(article_id)
        published = live is not None and live.status == "published"
        if published and live is not None and live.version != changes.based_on:
            raise ChangesMoved(
                f"article {article_id!r} changed since these changes began: they began from"
                f" version {changes.based_on}, it is now at version {live.version}"
                f" ({live.author or 'someone'} saved it at {stamp(live.updated_at)} UTC), which"
                " publishing them would undo; save them again to base them on it, then publish"
            )
        change = "changes published" if published else "changes saved in"
        article = self.kb.save(article_id, changes.article, author=author, change=change)
        self.discard(article_id, missing_ok=True)
        return article

    def discard(self, article_id: str, *, missing_ok: bool = False) -> None:
        with self.storage.write() as db:
            gone = db.execute("delete from article_changes where article_id = ?", [article_id])
        if not gone.rowcount and not missing_ok:
            if self.kb.article(article_id) is None:
                raise ArticleNotFound(article_id)
            raise NoChanges(article_id)

    def _as_seen(self, db: Database, article_id: str, seen: str | None) -> Changes | None:
        """The changes kept, if they are those the editor saw (else ChangesMoved)."""
        return as_seen(self.get(article_id, db), article_id, seen)

    def _published(self, article_id: str) -> Article:
        current = self.kb.article(article_id)
        if current is None:
            raise ArticleNotFound(article_id)
        if current.status != "published":
            raise NotPublished(current)
        return current


def from_row(row: dict) -> Changes:
    article = content_from_row(row, article_id=row["article_id"])
    return Changes(article, row["based_on"], row["author"], row["updated_at"])


def stamp(at: str) -> str:
    return at[:16].replace("T", " ")


def as_seen(kept: Changes | None, article_id: str, seen: str | None) -> Changes | None:
    """`kept`, if they are the changes the editor saw (saved at `seen`), else ChangesMoved."""
    if kept is not None and kept.updated_at != seen:
        raise ChangesMoved(
            f"article {article_id!r} has other unpublished changes than those you saw"
            f" ({kept.author or 'someone'} saved them at {stamp(kept.updated_at)} UTC): open"
            " them from the article to see theirs"
        )
    return kept
