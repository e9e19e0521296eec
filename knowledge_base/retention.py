"""Forgetting customers' questions: the content gaps of conversations that are purged or erased,
and, on erasure, every place an editor carried a gap's question into (an article's example
questions, in every version; its title and the vectors and words it is searched by).

A draft made from the customer's gaps (its title or id is their question) is deleted, and the
other customers' gaps it closed open again, so editors keep them. Any other article only loses
the customer's questions; one whose id was made from them is named in the result, since ids are
kept (bot events and links refer to them): an editor renames it by hand.

A changed article's `updated_at` moves on, and the knowledge base's version with it, so every
running app follows with its search indexes before its next search (knowledge_base/following.py)
and any other rebuilds them at its next start; the words index (in the database) is updated at
once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from core.db import Database
from core.language import DEFAULT, normalise
from knowledge_base.following import bump_version
from knowledge_base.ids import slug
from knowledge_base.lexical import forget_words, stamp, write_words

UNTITLED = "Untitled"


@dataclass
class ErasedKnowledge:
    gaps: int = 0
    drafts_deleted: list[str] = field(default_factory=list)
    articles_changed: list[str] = field(default_factory=list)
    ids_to_rename: list[str] = field(default_factory=list)


def key(text: str) -> str:
    """How two texts are told to be the same question."""
    return normalise(text).strip().casefold()


def as_title(question: str) -> str:
    """The title a draft made from gaps takes from its first question (`draft_from_gaps`)."""
    title = question.rstrip("?!. ").strip()
    return title[:1].upper() + title[1:]


def forget_gaps(db: Database, conversation_ids: list[str]) -> int:
    """Delete the content gaps these conversations reported (a purge: questions editors
    already made example questions of are the editors' words now and stay)."""
    return db.execute(
        f"delete from kb_gaps where conversation_id in {db.json_values(':ids')}",
        {"ids": json.dumps(conversation_ids)},
    ).rowcount


def erase_gaps(db: Database, conversation_ids: list[str], *, at: str) -> ErasedKnowledge:
    """Delete these conversations' gaps and the copies of their questions in articles."""
    params = {"ids": json.dumps(conversation_ids)}
    in_ids = db.json_values(":ids")
    rows = db.execute(
        f"select question, article_id from kb_gaps where conversation_id in {in_ids}", params
    ).fetchall()
    erased = ErasedKnowledge(gaps=len(rows))
    db.execute(f"delete from kb_gaps where conversation_id in {in_ids}", params)
    questions = {key(question) for question, _ in rows}
    for article_id in sorted({article for _, article in rows if article}):
        _scrub(db, article_id, questions, at=at, erased=erased)
    if erased.articles_changed or erased.drafts_deleted:
        bump_version(db)
    return erased


def _made_from(article: dict[str, Any], questions: set[str]) -> tuple[bool, bool]:
    """Whether the article's title, and its id, were made from one of these questions."""
    titles = {key(as_title(q)) for q in questions}
    slugs = {s for s in (slug(as_title(q)) for q in questions) if s}
    by_id = any(re.fullmatch(re.escape(s) + r"(-\d+)?", article["id"]) for s in slugs)
    return key(article["title"]) in titles, by_id


def _scrub(
    db: Database, article_id: str, questions: set[str], *, at: str, erased: ErasedKnowledge
) -> None:
    found = list(db.query("select * from articles where id = ?", [article_id]))
    if not found:
        return
    article = found[0]
    keys = db.execute("select key from article_keys where article_id = ?", [article_id])
    article_key = int(keys.fetchone()[0])
    by_title, by_id = _made_from(article, questions)
    language = article.get("language") or DEFAULT
    if article["status"] == "draft" and (by_title or by_id):
        for table, column in (
            ("kb_vectors", "article_id"),
            ("article_versions", "article_id"),
            ("article_keys", "article_id"),
            ("articles", "id"),
        ):
            db.execute(f"delete from {table} where {column} = ?", [article_id])
        db.execute("update kb_gaps set article_id = null where article_id = ?", [article_id])
        _reindex_words(db, article_key, None, language)
        erased.drafts_deleted.append(article_id)
        return
    titles = {key(as_title(q)) for q in questions}
    kept: list[str] = []
    for table, column in (("articles", "id"), ("article_versions", "article_id")):
        for row in list(db.query(f"select * from {table} where {column} = ?", [article_id])):
            left = [q for q in json.loads(row["questions"] or "[]") if key(q) not in questions]
            title = row["title"]
            if key(title) in titles:
                title = as_title(left[0]) if left else UNTITLED
            db.table(table).update(row["id"], {"questions": json.dumps(left), "title": title})
            if table == "articles":
                kept = left
    for vector_id, text in db.execute(
        "select vector_id, text from kb_vectors where article_id = ?", [article_id]
    ).fetchall():
        if key(text) in questions | titles:
            db.execute("delete from kb_vectors where vector_id = ?", [vector_id])
    db.execute("update articles set updated_at = ? where id = ?", [at, article_id])
    if article["status"] == "published":
        current = next(db.query("select title, body from articles where id = ?", [article_id]))
        text = "\n".join([current["title"], *kept] if kept else [current["title"], current["body"]])
        _reindex_words(db, article_key, text, language)
    erased.articles_changed.append(article_id)
    if by_id:
        erased.ids_to_rename.append(article_id)


def _reindex_words(db: Database, article_key: int, text: str | None, language: str) -> None:
    """The article's rows in its language's words index, written again (or only deleted); the
    index's fingerprint is cleared, so the app rebuilds it at start as well."""
    forget_words(db, language, [article_key])
    if text is not None:
        write_words(db, language, [(article_key, text)])
    stamp(db, language, None)
