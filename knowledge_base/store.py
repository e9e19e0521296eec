"""Articles and their vectors in the database: the `articles` and `kb_vectors` tables.

An article's key in the search indexes is an integer of its own (`article_keys`, given when
the article is first stored and kept while it exists), so the indexes change one entry in
place when an article is published, edited or archived."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from core.db import Database, Storage
from core.language import LANGUAGES, normalise
from core.skills import SkillName
from core.unstorable import one_line, without_nul

ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")  # as JSON Schema says it


class ArticleIn(BaseModel):
    """One article as editors import it (a line of JSON Lines)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(json_schema_extra={"pattern": ARTICLE_ID.pattern})
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=100_000)
    questions: list[str] = Field(default_factory=list, max_length=500)
    skill: SkillName = "general"
    tags: list[str] = Field(default_factory=list, max_length=50)
    language: str | None = Field(
        default=None, description="en or ja; detected from the title and questions if not given"
    )

    @field_validator("id")
    @classmethod
    def _usable_id(cls, article_id: str | None) -> str | None:
        # Said in words: the pattern itself means nothing to an editor. (None: a new article
        # whose id the server makes, `knowledge_base/api.py`.)
        if article_id is not None and not ARTICLE_ID.fullmatch(article_id):
            raise PydanticCustomError(
                "article_id",
                "must be 1 to 128 letters, digits, '-', '_' or '.', starting with a letter or digit",
            )
        return article_id

    @field_validator("language")
    @classmethod
    def _known_language(cls, language: str | None) -> str | None:
        if language is not None and language not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return language

    @field_validator("questions", "tags")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        """Each once (the first as written): the same question or tag again, whatever its case
        or width, is dropped, as the editor's form refuses it."""
        cleaned = [without_nul(item.strip()) for item in items]
        if any(not item for item in cleaned):
            raise ValueError("must not contain empty strings")
        unique: dict[str, str] = {}
        for item in cleaned:
            unique.setdefault(normalise(item).casefold(), item)
        return list(unique.values())

    @field_validator("title")
    @classmethod
    def _title_line(cls, title: str) -> str:
        return one_line(title)

    @field_validator("body")
    @classmethod
    def _storable_body(cls, body: str) -> str:
        return without_nul(body)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str
    questions: list[str]
    skill: str
    tags: list[str]
    status: str = "published"
    created_at: str = ""
    updated_at: str = ""
    version: int = 1
    author: str | None = None
    language: str = "en"

    @property
    def sensitive(self) -> bool:
        """Tagged `sensitive`, however it is typed ("Sensitive", full-width ｓｅｎｓｉｔｉｖｅ): a
        tag that looks right to the editor must not leave the topic to the bot."""
        return any(normalise(tag).casefold() == "sensitive" for tag in self.tags)

    def has_words(self, words: list[str]) -> bool:
        """Whether every one of `words` (NFKC, lower case) is in its title, body or example
        questions: the editor's article search."""
        text = normalise(" ".join([self.title, self.body, *self.questions])).lower()
        return all(word in text for word in words)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "questions": self.questions,
            "skill": self.skill,
            "tags": self.tags,
            "language": self.language,
            "status": self.status,
            "version": self.version,
            "updated_at": self.updated_at,
        }


class Embedded(NamedTuple):
    """One text an article is found by (its title, an example question, a passage), embedded."""

    article_id: str
    kind: str
    text: str
    vector: np.ndarray


@dataclass(frozen=True)
class VectorRow:
    article_id: str
    kind: str
    text: str
    embedding: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class IndexText:
    """What the lexical index holds of a published article (see `SearchIndex.documents`)."""

    key: int
    title: str
    questions: list[str]
    body: str


def content_from_row(row: dict, *, article_id: str) -> ArticleIn:
    """An article's content as a row of `article_versions` or `article_changes` holds it."""
    return ArticleIn(
        id=article_id,
        title=row["title"],
        body=row["body"] or "",
        questions=json.loads(row["questions"] or "[]"),
        skill=row["skill"] or "general",
        tags=json.loads(row["tags"] or "[]"),
        language=row.get("language") or None,
    )


def article_from_row(row: dict) -> Article:
    return Article(
        id=row["id"],
        title=row["title"],
        body=row["body"] or "",
        questions=json.loads(row["questions"] or "[]"),
        skill=row["skill"] or "general",
        tags=json.loads(row["tags"] or "[]"),
        status=row["status"],
        created_at=row["created_at"] or "",
        updated_at=row["updated_at"] or "",
        version=row.get("version") or 1,
        author=row.get("author"),
        language=row.get("language") or "en",
    )


def passages(body: str, *, max_chars: int = 600) -> list[str]:
    """Split a body into paragraph-sized passages, so a long article matches by its parts."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        if current and len(current) + len(paragraph) > max_chars:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return chunks


def searchable_texts(article: ArticleIn | Article) -> list[tuple[str, str]]:
    """What an article is found by: its title and example questions, or its title and its
    body's passages when it has no example questions (the index's vector is their mean)."""
    texts = [("title", article.title)]
    if article.questions:
        return texts + [("question", q) for q in article.questions]
    return texts + [("passage", p) for p in passages(article.body)]


def in_language(language: str | None) -> str:
    """The SQL condition (one parameter) that keeps articles (`a`) of `language`, if given."""
    return " and coalesce(a.language, 'en') = ?" if language else ""


KEYED = "articles a join article_keys k on k.article_id = a.id"  # articles with their keys


class ArticleStore:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def get(self, article_id: str) -> Article | None:
        rows = list(self.storage.db.query("select * from articles where id = ?", [article_id]))
        return article_from_row(rows[0]) if rows else None

    def get_many(self, article_ids: list[str]) -> dict[str, Article]:
        if not article_ids:
            return {}
        marks = ",".join("?" for _ in article_ids)
        rows = self.storage.db.query(f"select * from articles where id in ({marks})", article_ids)
        return {row["id"]: article_from_row(row) for row in rows}

    def all(self) -> Iterator[Article]:
        """Every article, by id (in code point order, whatever the database's collation)."""
        rows = sorted(self.storage.db.query("select * from articles"), key=lambda r: r["id"])
        for row in rows:
            yield article_from_row(row)

    def vectors(
        self, article_ids: list[str] | None = None, *, language: str | None = None
    ) -> Iterator[VectorRow]:
        """Stored vectors of published articles (of these articles, of this language, if given)."""
        sql = (
            "select v.article_id, v.kind, v.text, v.embedding from kb_vectors v"
            " join articles a on a.id = v.article_id where a.status = 'published'"
        )
        params: list[str] = []
        if article_ids is not None:
            sql += f" and a.id in ({','.join('?' for _ in article_ids)})"
            params = list(article_ids)
        if language is not None:
            sql += " and coalesce(a.language, 'en') = ?"
            params.append(language)
        for article_id, kind, text, blob in self.storage.db.execute(
            sql + " order by v.vector_id", params
        ).fetchall():
            yield VectorRow(article_id, kind, text, np.frombuffer(blob, np.float32))

    def replace_vectors(self, db: Database, article_id: str, vectors: list[Embedded]) -> None:
        """An article's vectors, after its text changed. Must run inside a write transaction."""
        db.execute("delete from kb_vectors where article_id = ?", [article_id])
        start = (db.execute("select max(vector_id) from kb_vectors").fetchone()[0] or 0) + 1
        db.table("kb_vectors").insert_all(
            {
                "vector_id": start + i,
                "article_id": item.article_id,
                "kind": item.kind,
                "text": item.text,
                "embedding": item.vector.tobytes(),
            }
            for i, item in enumerate(vectors)
        )

    # -- what the search indexes are made of ---------------------------------------------------

    def add_key(self, db: Database, article_id: str) -> None:
        """Give a new article its key in the indexes. Must run inside a write transaction."""
        db.execute(
            "insert into article_keys (article_id) values (?) on conflict (article_id) do nothing",
            [article_id],
        )

    def published_keys(self, language: str | None = None) -> dict[str, int]:
        """Published article id -> its key in the indexes (of this language, if given)."""
        sql = f"select a.id, k.key from {KEYED} where a.status = 'published'"
        sql += in_language(language)
        return dict(self.storage.db.execute(sql, [language] if language else []).fetchall())

    def keys_of(self, article_ids: list[str]) -> set[int]:
        """These articles' keys, whatever their status."""
        marks = ",".join("?" for _ in article_ids)
        sql = f"select key from article_keys where article_id in ({marks})"
        return {key for (key,) in self.storage.db.execute(sql, article_ids).fetchall()}

    def published_states(self, language: str | None = None) -> list[tuple[int, str]]:
        """(key, "id:version:updated_at") of every published article (of this language), by id
        (in code point order)."""
        rows = self.storage.db.execute(
            "select k.key, a.id, coalesce(a.version, 1), a.updated_at"
            f" from {KEYED} where a.status = 'published'{in_language(language)}",
            [language] if language else [],
        ).fetchall()
        return [
            (key, f"{article_id}:{version}:{updated or ''}")
            for key, article_id, version, updated in sorted(rows, key=lambda r: r[1])
        ]

    def index_texts(
        self, article_ids: list[str] | None = None, *, language: str | None = None
    ) -> list[IndexText]:
        """Title, example questions and body of published articles (these only, of this
        language only, if given)."""
        sql = f"select k.key, a.title, a.questions, a.body from {KEYED}"
        sql += f" where a.status = 'published'{in_language(language)}"
        params: list[str] = [language] if language else []
        if article_ids is not None:
            sql += f" and a.id in ({','.join('?' for _ in article_ids)})"
            params += list(article_ids)
        return [
            IndexText(key, title, json.loads(questions or "[]"), body)
            for key, title, questions, body in self.storage.db.execute(sql, params).fetchall()
        ]
