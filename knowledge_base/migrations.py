"""The tables the knowledge base owns: articles and their versions, the vectors of their
texts, the model that made those vectors, and content gaps."""

from __future__ import annotations

from core.db import Database, Migrations

MIGRATIONS = Migrations("knowledge_base")


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    # "If not exists": a database made by the retired "cascade" set has these in this shape
    # already (columns in the order it added them).
    db.table("articles").create(
        {
            "id": str,
            "title": str,
            "body": str,
            "questions": str,  # JSON list
            "skill": str,
            "tags": str,  # JSON list
            "status": str,
            "created_at": str,
            "updated_at": str,
            "version": int,
            "author": str,
        },
        pk="id",
        not_null={"title", "status"},
        if_not_exists=True,
    )
    db.table("kb_vectors").create(
        {"vector_id": int, "article_id": str, "kind": str, "text": str, "embedding": bytes},
        pk="vector_id",
        if_not_exists=True,
    )
    db.table("kb_vectors").create_index(["article_id"], if_not_exists=True)
    db.table("article_versions").create(
        {
            "id": int,
            "article_id": str,
            "version": int,
            "title": str,
            "body": str,
            "questions": str,  # JSON list
            "skill": str,
            "tags": str,  # JSON list
            "status": str,
            "author": str,
            "change": str,  # created, edited, published, archived, imported, rolled back to N
            "created_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("article_versions").create_index(
        ["article_id", "version"], unique=True, if_not_exists=True
    )
    db.table("kb_gaps").create(
        {
            "id": int,
            "question": str,
            "conversation_id": str,
            "reason": str,  # no_answer, low_nlu_confidence, clarification_declined, unhelpful_answers
            "embedding": bytes,
            "article_id": str,  # set when the gap was closed with an article
            "created_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("kb_gaps").create_index(
        ["conversation_id", "question"], unique=True, if_not_exists=True
    )
    db.table("kb_gaps").create_index(["article_id"], if_not_exists=True)
    # Which model made the stored vectors, so a change of model re-embeds them (from their text).
    db.table("kb_embedder").create(
        {"id": int, "name": str, "dim": int}, pk="id", if_not_exists=True
    )


@MIGRATIONS()
def m002_languages(db: Database) -> None:
    # Each article is searched with the articles of its language, content gaps are grouped per
    # language, and each language's vectors are made by its own model. Rows from before have
    # none: they are English (every reader takes a missing language for "en").
    db.table("articles").add_column("language", str)
    db.table("kb_gaps").add_column("language", str)
    db.table("kb_embedder").add_column("language", str)


@MIGRATIONS()
def m003_version(db: Database) -> None:
    # One row, bumped in the write transaction of every change to the articles: each replica
    # holds its own search indexes and compares this with the version they are at before
    # searching (knowledge_base/following.py). The row is made at start-up, not here.
    db.table("kb_version").create({"id": int, "version": int}, pk="id", not_null={"version"})


@MIGRATIONS()
def m004_article_keys(db: Database) -> None:
    # An article's key in the search indexes (the vector index's id, the words index's key):
    # an integer both engines give out. It was the row's rowid in `articles`, which PostgreSQL
    # has not; existing articles keep theirs, so the vector index files saved under them stay
    # valid. A new PostgreSQL database has no articles yet (numbered in id order if it had).
    db.table("article_keys").create(
        {"key": int, "article_id": str}, pk="key", not_null={"article_id"}
    )
    db.table("article_keys").create_index(["article_id"], unique=True)
    if db.dialect == "sqlite":
        db.execute("insert into article_keys (key, article_id) select rowid, id from articles")
    else:
        db.execute("insert into article_keys (article_id) select id from articles order by id")


@MIGRATIONS()
def m005_words_index(db: Database) -> None:
    # The words index (knowledge_base/lexical.py), one set of tables for every language: each
    # article's length in words, and how often it uses each word (with its length again, so
    # that ranking by words reads one index: the words' rows, in the order of the words). It
    # replaces one SQLite FTS5 table per language (with its vocabulary and fingerprint tables),
    # dropped here: the new tables start without a fingerprint, so the app fills them at its
    # next start.
    db.table("kb_lexical_articles").create(
        {"language": str, "article_key": int, "length": int},
        not_null={"language", "article_key", "length"},
    )
    db.table("kb_lexical_articles").create_index(["language", "article_key"], unique=True)
    db.table("kb_lexical_terms").create(
        {"language": str, "term": str, "article_key": int, "uses": int, "length": int},
        not_null={"language", "term", "article_key", "uses", "length"},
    )
    db.table("kb_lexical_terms").create_index(["language", "term", "article_key", "uses", "length"])
    db.table("kb_lexical_terms").create_index(["language", "article_key"])
    db.table("kb_lexical_stamps").create(
        {"language": str, "fingerprint": str}, pk="language", not_null={"fingerprint"}
    )
    for suffix in ("", "_ja"):
        for table in ("kb_lexical_vocab", "kb_lexical", "kb_lexical_stamp"):
            db.execute(f"drop table if exists {table}{suffix}")


@MIGRATIONS()
def m006_unpublished_changes(db: Database) -> None:
    # Changes to a published article saved without publishing them (knowledge_base/changes.py):
    # at most one set per article, until they are published as its next version or discarded.
    db.table("article_changes").create(
        {
            "article_id": str,
            "title": str,
            "body": str,
            "questions": str,  # JSON list
            "skill": str,
            "tags": str,  # JSON list
            "language": str,
            "based_on": int,  # the version they began from
            "author": str,
            "updated_at": str,
        },
        pk="article_id",
        not_null={"title", "based_on"},
    )
