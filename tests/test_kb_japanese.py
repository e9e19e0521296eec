"""Knowledge search reads Japanese: each article has a language, a question searches the
articles of its language with that language's model, and text is NFKC-normalised."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from cascade.storage import open_storage
from core.clock import ManualClock
from knowledge_base.calibration import Targets, load_pool
from knowledge_base.search import tuned_for
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleIn
from tests.factories import HashingEmbedder, article

JAPANESE = [
    {
        "id": "password-reset",
        "title": "パスワードの再設定",
        "body": "ログイン画面の「パスワードをお忘れの方」から再設定できます。",
        "questions": ["パスワードを忘れました", "ログインできません", "パスワードを変えたい"],
        "skill": "account",
    },
    {
        "id": "delivery-status",
        "title": "ご注文商品の配送状況",
        "body": "マイページの注文履歴から配送状況をご確認いただけます。",
        "questions": ["荷物はいつ届きますか", "配送状況を確認したい", "注文した商品がまだ来ない"],
        "skill": "orders",
    },
    {
        "id": "returns",
        "title": "返品・交換について",
        "body": "商品到着から8日以内でしたら返品・交換を承ります。",
        "questions": ["商品を返品したい", "サイズが合わないので交換したい", "返金はいつですか"],
        "skill": "orders",
    },
]


def jsonl(*items: dict) -> bytes:
    return "\n".join(json.dumps(i, ensure_ascii=False) for i in items).encode()


def language_of(client, admin, article_id: str) -> str:
    return client.get(f"/api/kb/articles/{article_id}", headers=admin).json()["language"]


def test_an_article_s_language_is_detected_or_taken_as_given(client, admin) -> None:
    given = {**JAPANESE[1], "id": "given-english", "language": "en"}
    response = client.post(
        "/api/kb/import", content=jsonl(JAPANESE[0], article("freeze-card"), given), headers=admin
    )
    assert response.status_code == 200, response.text
    assert language_of(client, admin, "password-reset") == "ja"
    assert language_of(client, admin, "freeze-card") == "en"
    assert language_of(client, admin, "given-english") == "en"
    listed = client.get("/api/kb/articles", headers=admin).json()
    assert {a["id"]: a["language"] for a in listed}["password-reset"] == "ja"


def test_the_majority_of_title_and_questions_decides(client, admin) -> None:
    mixed = {**JAPANESE[0], "id": "mixed", "questions": [*JAPANESE[0]["questions"], "reset pw"]}
    client.post("/api/kb/import", content=jsonl(mixed), headers=admin)
    assert language_of(client, admin, "mixed") == "ja"


def test_a_japanese_article_naming_a_product_in_latin_letters_is_japanese(client, admin) -> None:
    pay = {
        "id": "apple-pay",
        "title": "Apple Payで支払う",
        "body": "Walletアプリにカードを追加すると、Apple Payでお支払いいただけます。",
        "questions": ["アップルペイは使えますか", "iPhoneで支払いたい"],
    }
    client.post("/api/kb/import", content=jsonl(pay, *JAPANESE), headers=admin)
    assert language_of(client, admin, "apple-pay") == "ja"
    # A customer naming the product the same way is searched among the Japanese articles.
    found = client.post("/api/kb/search", json={"query": "Apple Payで払えますか"}, headers=admin)
    assert [r["article_id"] for r in found.json()["results"]][:1] == ["apple-pay"]


def test_an_unknown_language_is_refused(client, admin) -> None:
    response = client.post(
        "/api/kb/import", content=jsonl({**JAPANESE[0], "language": "fr"}), headers=admin
    )
    assert response.status_code == 422
    assert "language" in json.dumps(response.json())
    created = client.post(
        "/api/kb/articles", json={**article("new-one"), "language": "xx"}, headers=admin
    )
    assert created.status_code == 422
    assert client.get("/api/kb/articles/new-one", headers=admin).status_code == 404


class CharEmbedder(HashingEmbedder):
    """Character pairs hashed into a vector: reads any script, for fast tests only."""

    name = "char-test"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            text = re.sub(r"\s+", "", text.lower())
            for pair in (text[i : i + 2] for i in range(len(text) - 1)):
                out[row, int(hashlib.md5(pair.encode()).hexdigest(), 16) % self.dim] += 1.0
            out[row] /= max(float(np.linalg.norm(out[row])), 1e-12)
        return out


def knowledge_base(tmp_path: Path, *, japanese=None) -> KnowledgeBase:
    english = CharEmbedder()
    return KnowledgeBase(
        storage=open_storage(tmp_path / "kb.db"),
        embedder=english,
        index_path=tmp_path / "kb.faiss",
        thresholds=tuned_for(english.name),
        clock=ManualClock(),
        embedders={"ja": japanese} if japanese else None,
        targets=Targets(min_examples=6),
    )


def english_articles() -> list[ArticleIn]:
    topics = ["card", "loan", "transfer", "statement"]
    return [
        ArticleIn(
            id=f"{t}-help",
            title=f"Help with your {t}",
            questions=[f"question about my {t}", f"problem with the {t}", f"{t} not working"],
        )
        for t in topics
    ]


def test_each_language_is_calibrated_on_its_own_articles_and_pool_lines(tmp_path) -> None:
    kb = knowledge_base(tmp_path)
    kb.import_articles([*english_articles(), *(ArticleIn(**a) for a in JAPANESE)])
    english, japanese = kb.sections["en"].calibration, kb.sections["ja"].calibration
    assert (english.articles, english.examples) == (4, 12)
    assert (japanese.articles, japanese.examples) == (3, 9)
    assert english.calibrated and japanese.calibrated
    japanese_pool = load_pool(language="ja")
    assert len(japanese_pool) >= 150
    assert 0 < japanese.pool <= len(japanese_pool)
    assert english.pool > len(japanese_pool)  # the English lines, never the Japanese ones


def test_a_question_searches_only_the_articles_of_its_language(tmp_path) -> None:
    kb = knowledge_base(tmp_path)
    kb.import_articles(english_articles())
    assert kb.search("パスワードを忘れました").decision == "escalate"  # no Japanese articles
    assert kb.search("パスワードを忘れました").results == []
    kb.import_articles([ArticleIn(**a) for a in JAPANESE])
    found = kb.search("パスワードを忘れました")
    assert found.best is not None and found.best.article_id == "password-reset"
    assert kb.search("problem with the loan").best.article_id == "loan-help"  # type: ignore[union-attr]


def test_an_article_moved_to_another_language_moves_between_indexes(tmp_path) -> None:
    kb = knowledge_base(tmp_path)
    kb.import_articles([*english_articles(), ArticleIn(**JAPANESE[0])])
    kb.save("password-reset", ArticleIn(**{**JAPANESE[0], "language": "en"}), author="ed")
    assert kb.sections["ja"].index.size == 0
    assert kb.sections["en"].index.size == 5


def test_half_width_and_full_width_text_is_normalised(tmp_path) -> None:
    kb = knowledge_base(tmp_path)
    kb.import_articles([*english_articles(), *(ArticleIn(**a) for a in JAPANESE)])
    plain = kb.search("パスワードを忘れました")
    assert kb.search("ﾊﾟｽﾜｰﾄﾞを忘れました") == plain
    assert kb.search("ｐｒｏｂｌｅｍ ｗｉｔｈ ｔｈｅ ｌｏａｎ") == kb.search(
        "problem with the loan"
    )


def test_the_quality_view_shows_each_language_s_calibration(client, admin) -> None:
    client.post("/api/kb/import", content=jsonl(*JAPANESE, article("freeze-card")), headers=admin)
    japanese = client.get("/api/kb/calibration", params={"language": "ja"}, headers=admin).json()
    english = client.get("/api/kb/calibration", params={"language": "en"}, headers=admin).json()
    assert (japanese["language"], japanese["articles"]) == ("ja", 3)
    assert (english["language"], english["articles"]) == ("en", 1)
    assert client.get("/api/kb/calibration", headers=admin).json()["language"] == "ja"
