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
