"""What the knowledge base forgets of a customer (knowledge_base/retention.py), on either
engine: a purge deletes their conversations' content gaps; an erasure also deletes the draft
made from their questions (with its key), takes their question out of the article it taught
and out of the words index, and opens the other customers' gaps that draft had closed."""

from __future__ import annotations

from pathlib import Path

from cascade.storage import open_storage
from core.clock import ManualClock, iso
from knowledge_base.retention import erase_gaps, forget_gaps
from knowledge_base.search import tuned_for
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleIn
from tests.factories import HashingEmbedder, article

HERON = "does the heron discount apply to pelican vouchers"
PUFFIN = "Puffin cards for kids"


def knowledge_base(tmp_path: Path) -> KnowledgeBase:
    embedder = HashingEmbedder()
    kb = KnowledgeBase(
        storage=open_storage(tmp_path / "cascade.db"),
        embedder=embedder,
        index_path=tmp_path / "kb.faiss",
        thresholds=tuned_for(embedder.name),
        clock=ManualClock(),
        targets=None,
    )
    kb.import_articles([ArticleIn(**article())])
    return kb


def gaps(kb: KnowledgeBase) -> dict[str, list[str]]:
    rows = kb.storage.db.execute("select conversation_id, question from kb_gaps order by id")
    found: dict[str, list[str]] = {}
    for conversation, question in rows.fetchall():
        found.setdefault(conversation, []).append(question)
    return found


def uses_word(kb: KnowledgeBase, word: str) -> int:
    """How many articles the words index says use `word`."""
    rows = kb.storage.db.execute("select count(*) from kb_lexical_terms where term = ?", [word])
    return int(rows.fetchone()[0])


def test_a_purge_deletes_the_conversations_gaps_only(tmp_path: Path) -> None:
    kb = knowledge_base(tmp_path)
    kb.gaps.record(HERON, conversation_id="zoe-1", reason="no_answer")
    kb.gaps.record(PUFFIN, conversation_id="zoe-2", reason="no_answer")
    kb.gaps.record("can i pay with coupons", conversation_id="olaf", reason="no_answer")
    with kb.storage.write() as db:
        assert forget_gaps(db, ["zoe-1", "zoe-2", "nobody"]) == 2
    assert gaps(kb) == {"olaf": ["can i pay with coupons"]}


def test_an_erasure_takes_the_customers_questions_out_of_articles_and_words(
    tmp_path: Path,
) -> None:
    kb = knowledge_base(tmp_path)
    for conversation, question in [
        ("zoe-1", HERON),
        ("zoe-2", PUFFIN),
        ("olaf", "puffin card for my son"),
    ]:
        kb.gaps.record(question, conversation_id=conversation, reason="no_answer")
    ids = {g.question: g.id for g in kb.gaps.open_gaps()}
    kb.attach_gaps([ids[HERON]], "freeze-card", author="editor")
    draft = kb.draft_from_gaps(
        [ids[PUFFIN], ids["puffin card for my son"]], title=None, author="editor"
    )
    assert draft.id == "puffin-cards-for-kids"
    assert uses_word(kb, "pelican") == 1  # the published article's words include her question

    with kb.storage.write() as db:
        erased = erase_gaps(db, ["zoe-1", "zoe-2"], at=iso(kb.clock.now()))

    assert (erased.gaps, erased.drafts_deleted, erased.articles_changed) == (
        2,
        [draft.id],
        ["freeze-card"],
    )
    assert gaps(kb) == {"olaf": ["puffin card for my son"]}
    assert [g.question for g in kb.gaps.open_gaps()] == ["puffin card for my son"]  # open again
    assert kb.article(draft.id) is None and kb.store.keys_of([draft.id]) == set()
    card = kb.article("freeze-card")
    assert card is not None and HERON not in card.questions
    assert card.questions == article()["questions"]
    assert uses_word(kb, "pelican") == 0 and uses_word(kb, "heron") == 0
    (card_key,) = kb.store.keys_of(["freeze-card"])
    assert kb.lexical.agreement("lock my card", [card_key]) == {card_key: 1.0}  # its own words
    assert kb.lexical.fingerprint == ""  # the app makes the words index again at its next start
