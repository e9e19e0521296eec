"""A save over someone else's newer version is refused: the editor named the version their edit
began from (`base_version`), and the article has moved on since. The 409 says who saved it and
when, for the article's own save and for its kept changes (knowledge_base/changes_api.py)."""

from __future__ import annotations

from fastapi import HTTPException

from knowledge_base.service import KnowledgeBase


def check_base(kb: KnowledgeBase, article_id: str, base_version: int | None) -> None:
    """409 when the article moved on from the version the editor saw."""
    current = kb.article(article_id)
    if base_version is None or current is None or current.version == base_version:
        return
    raise HTTPException(
        409,
        f"article {article_id!r} changed since you opened it: you edited version {base_version},"
        f" it is now at version {current.version} ({current.author or 'someone'} saved it at"
        f" {current.updated_at[:16].replace('T', ' ')} UTC); open it again from the list to see"
        " their change",
    )
