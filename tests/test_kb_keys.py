"""An article's key in the search indexes (`article_keys`): given when the article is first
stored, on either engine, and kept through edits, archiving and publishing again; a data
directory from before keeps its articles' keys (SQLite's rowids), so the vector index file it
saved under them is loaded as it is, not rebuilt, and its FTS5 words index is replaced by the
words index both engines have, made again from the articles at start."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from cascade.app import create_app
from core.db import Database, engine_for
from core.migrations import MIGRATIONS as CORE
from core.settings import Settings
from knowledge_base.index import VectorIndex, fingerprint
from knowledge_base.migrations import MIGRATIONS as KNOWLEDGE_BASE
from tests.factories import HashingEmbedder, article, jsonl
from tests.helpers import ADMIN, ADMIN_HEADERS

AT = "2026-03-02T09:00:00.000+00:00"
PIN = article("change-pin", title="Change your PIN", questions=["forgot my pin", "new pin please"])


def keys(client: TestClient) -> dict[str, int]:
    rows = client.app.state.services.storage.db.execute(  # type: ignore[attr-defined]
        "select article_id, key from article_keys"
    )
    return dict(rows.fetchall())


def top(client: TestClient, question: str) -> str:
    found = client.post("/api/kb/search", json={"query": question}).json()
    return str(found["results"][0]["article_id"])


def test_an_article_keeps_its_key_through_edits_and_archiving(client, admin) -> None:
    client.post("/api/kb/import", content=jsonl(article(), PIN), headers=admin)
    client.post("/api/kb/articles", json=article("draft-one", title="A draft"), headers=admin)
    first = keys(client)
    assert sorted(first) == ["change-pin", "draft-one", "freeze-card"]
    assert len(set(first.values())) == 3

    edited = {**PIN, "questions": ["i forgot my pin number"]}
    client.put("/api/kb/articles/change-pin", json=edited, headers=admin)
    client.post("/api/kb/articles/freeze-card/archive", headers=admin)
    client.post("/api/kb/articles/freeze-card/publish", headers=admin)
    client.post("/api/kb/import", content=jsonl(article()), headers=admin)
    assert keys(client) == first
    assert top(client, "i forgot my pin number") == "change-pin"
    assert top(client, "lock my card") == "freeze-card"


def old_data_directory(path: Path, rowids: dict[str, int]) -> None:
    """A database as the release before article keys left it: articles stored under these
    rowids (not in the order of their ids), with their vectors."""
    engine = engine_for(path, None)
    embedder = HashingEmbedder()
    with engine.connect() as connection:
        db = Database(engine, connection)
        for migrations in (CORE, KNOWLEDGE_BASE):
            migrations.apply(
                db,
                lambda db: db.execute("BEGIN IMMEDIATE"),
                stop_before="m004_article_keys",
            )
        db.execute("BEGIN")
        vector_id = 0
        for item in (article(), PIN):
            db.execute(
                "insert into articles (rowid, id, title, body, questions, skill, tags, status,"
                " created_at, updated_at, version, author, language)"
                " values (?, ?, ?, ?, ?, ?, ?, 'published', ?, ?, 1, 'import', 'en')",
                [
                    rowids[item["id"]],
                    item["id"],
                    item["title"],
                    item["body"],
                    json.dumps(item["questions"]),
                    item["skill"],
                    json.dumps(item["tags"]),
                    AT,
                    AT,
                ],
            )
            texts = [("title", item["title"])] + [("question", q) for q in item["questions"]]
            for (kind, text), vector in zip(
                texts, embedder.encode([t for _, t in texts]), strict=True
            ):
                vector_id += 1
                db.execute(
                    "insert into kb_vectors (vector_id, article_id, kind, text, embedding)"
                    " values (?, ?, ?, ?, ?)",
                    [vector_id, item["id"], kind, text, vector.tobytes()],
                )
        # its words index: an FTS5 table (with its vocabulary and fingerprint) under rowids
        db.execute("create virtual table kb_lexical using fts5(terms)")
        db.execute("create virtual table kb_lexical_vocab using fts5vocab(kb_lexical, 'row')")
        db.execute("create table kb_lexical_stamp (fingerprint text not null)")
        db.execute("insert into kb_lexical (rowid, terms) values (7, 'freeze card lock')")
        db.execute("COMMIT")
    engine.dispose()


def saved_index(path: Path, rowids: dict[str, int]) -> None:
    """The vector index file that release saved: each article's centroid under its rowid,
    stamped with the rowids and states of the published articles, by id."""
    embedder = HashingEmbedder()
    items = sorted((article(), PIN), key=lambda a: a["id"])
    centroids = []
    for item in items:
        vectors = embedder.encode([item["title"], *item["questions"]])
        centroid = vectors.mean(axis=0)
        centroids.append(centroid / np.linalg.norm(centroid))
    index = VectorIndex.build(
        embedder.dim,
        np.array([rowids[a["id"]] for a in items], dtype=np.int64),
        np.vstack(centroids).astype(np.float32),
        ivf_from=50_000,
        nprobe=16,
    )
    index.fingerprint = fingerprint(
        [(rowids[a["id"]], f"{a['id']}:1:{AT}") for a in items], embedder.name
    )
    index.save(path)


def test_a_data_directory_from_before_keeps_its_keys_and_its_index_files(
    tmp_path: Path, monkeypatch
) -> None:
    # Data directories from before are SQLite files, whatever database the tests otherwise use.
    monkeypatch.delenv("CASCADE_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN, rasa_url="", database_url=None)
    rowids = {"freeze-card": 7, "change-pin": 3}
    old_data_directory(settings.database_path, rowids)
    saved_index(settings.index_path, rowids)
    saved = settings.index_path.read_bytes(), settings.index_path.stat().st_mtime_ns

    with TestClient(create_app(settings, embedder=HashingEmbedder())) as client:
        assert keys(client) == rowids
        assert (settings.index_path.read_bytes(), settings.index_path.stat().st_mtime_ns) == saved
        assert top(client, "lock my card") == "freeze-card"
        assert top(client, "forgot my pin") == "change-pin"
        # the words index is made again from the articles, under the same keys
        lexical = client.app.state.services.kb.lexical  # type: ignore[attr-defined]
        assert lexical.agreement("lock my card", [7, 3]) == {7: 1.0, 3: 0.0}
        assert lexical.agreement("forgot my pin", [7, 3]) == {7: 0.0, 3: 1.0}
        tables = client.app.state.services.storage.db.table_names()  # type: ignore[attr-defined]
        assert not {"kb_lexical", "kb_lexical_vocab", "kb_lexical_stamp"} & set(tables)
        new = article("new-one", title="Order a new card", questions=["send me a new card"])
        client.post("/api/kb/import", content=jsonl(new), headers=ADMIN_HEADERS)
        assert keys(client)["new-one"] not in rowids.values()
        assert top(client, "send me a new card") == "new-one"
        assert top(client, "forgot my pin") == "change-pin"
