"""Lexical agreement (a words index in the database) beside the vectors: what it measures,
that it follows publish, edit and archive in place, that it is rebuilt when stale, and how it
changes ranking."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from cascade.storage import open_storage
from core.settings import Settings
from knowledge_base.lexical import LexicalIndex, terms
from tests.factories import HashingEmbedder, article, jsonl
from tests.helpers import ADMIN, ADMIN_HEADERS


def test_terms_drop_stopwords_and_fold_endings() -> None:
    assert terms("What are the fees for my transfers?") == ["fee", "transfer"]
    assert terms("Blocking cards, blocked card") == ["block", "card", "block", "card"]
    assert terms("Ändern der Überweisung") == ["ändern", "der", "überweisung"]
    assert terms("how do I") == []


@pytest.fixture
def lexical(tmp_path: Path) -> LexicalIndex:
    index = LexicalIndex(open_storage(tmp_path / "kb.db"))
    index.rebuild(
        [
            (1, "Freeze your card\nlock my card\npause my debit card"),
            (2, "Order a new card\nreplace my card"),
            (3, "Change your PIN\nforgot my pin"),
        ],
        "v1",
    )
    return index


def test_agreement_weighs_rare_words_over_common_ones(lexical: LexicalIndex) -> None:
    found = lexical.agreement("lock my card", [1, 2, 3])
    assert found[1] == pytest.approx(1.0)  # every word of the question is in article 1
    assert 0 < found[2] < 0.5  # only "card", which two of three articles use
    assert found[3] == 0.0


def test_a_word_no_article_uses_lowers_every_agreement(lexical: LexicalIndex) -> None:
    assert lexical.agreement("card payday", [1])[1] < lexical.agreement("card", [1])[1]
    assert lexical.agreement("the and of", [1]) == {1: 0.0}  # nothing but stopwords


def test_refresh_replaces_only_the_changed_rows(lexical: LexicalIndex) -> None:
    lexical.refresh([2], [(2, "Order a new card\nmy card is broken")], "v2")
    assert lexical.agreement("broken card", [2])[2] == pytest.approx(1.0)
    assert lexical.agreement("lock my card", [1])[1] == pytest.approx(1.0)
    lexical.refresh([3], [], "v3")  # archived: gone
    assert lexical.agreement("forgot my pin", [3])[3] == 0.0
    assert lexical.fingerprint == "v3"


def agreement(client: TestClient, question: str, article_id: str) -> float:
    kb = client.app.state.services.kb  # type: ignore[attr-defined]
    (key,) = kb.store.keys_of([article_id])
    return float(kb.lexical.agreement(question, [key])[key])


def test_publish_edit_archive_reach_the_lexical_table_on_return(client, admin) -> None:
    pet = article("pet-insurance", title="Pet insurance", questions=["can i insure my dog"])
    client.post("/api/kb/articles", json=pet, headers=admin)
    assert agreement(client, "insure my dog", "pet-insurance") == 0.0  # a draft is not searched
    client.post("/api/kb/articles/pet-insurance/publish", headers=admin)
    assert agreement(client, "insure my dog", "pet-insurance") == pytest.approx(1.0)
    edited = {**pet, "questions": ["can i insure my hamster"]}
    client.put("/api/kb/articles/pet-insurance", json=edited, headers=admin)
    assert agreement(client, "insure my hamster", "pet-insurance") == pytest.approx(1.0)
    assert agreement(client, "insure my dog", "pet-insurance") < 1.0
    client.post("/api/kb/articles/pet-insurance/archive", headers=admin)
    assert agreement(client, "insure my hamster", "pet-insurance") == 0.0


def test_a_stale_lexical_table_is_rebuilt_at_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN, rasa_url="")
    with TestClient(create_app(settings, embedder=HashingEmbedder())) as client:
        client.post("/api/kb/import", content=jsonl(article()), headers=ADMIN_HEADERS)
        db = client.app.state.services.storage.db  # type: ignore[attr-defined]
        for table in ("kb_lexical_terms", "kb_lexical_articles", "kb_lexical_stamps"):
            db.execute(f"delete from {table}")
    with TestClient(create_app(settings, embedder=HashingEmbedder())) as client:
        assert agreement(client, "lock my card", "freeze-card") == pytest.approx(1.0)


TWINS = jsonl(
    article(
        "order-checks",
        title="Order checks",
        questions=["i need new checks", "order a checkbook", "can i get more checks"],
        skill="banking",
    ),
    article(
        "deposit-check",
        title="Deposit a check",
        questions=["how do i deposit a check", "pay in a cheque with the app"],
        skill="banking",
    ),
)


def lead(tmp_path: Path, embedder, weight: float) -> tuple[str, float]:
    """The top article for "order a checkbook" and its lead over the other."""
    settings = Settings(
        data_dir=tmp_path / str(weight), admin_token=ADMIN, rasa_url="", kb_lexical_weight=weight
    )
    with TestClient(create_app(settings, embedder=embedder)) as client:
        client.post("/api/kb/import", content=TWINS, headers=ADMIN_HEADERS)
        found = client.post("/api/kb/search", json={"query": "order a checkbook"}).json()
    scores = {r["article_id"]: r["score"] for r in found["results"]}
    return found["results"][0]["article_id"], scores["order-checks"] - scores["deposit-check"]


@pytest.mark.model
def test_lexical_weight_lifts_the_article_that_uses_the_questions_words(
    tmp_path: Path, real_embedder
) -> None:
    top_by_meaning, lead_by_meaning = lead(tmp_path, real_embedder, 0.0)
    top, lead_with_words = lead(tmp_path, real_embedder, 0.10)
    assert (top_by_meaning, top) == ("order-checks", "order-checks")
    # "order" and "checkbook" are order-checks' words only; "check" ("checks") is shared
    assert lead_with_words - lead_by_meaning > 0.05
