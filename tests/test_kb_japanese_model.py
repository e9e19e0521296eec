"""Japanese search with the real models: multilingual-e5-small for Japanese next to
all-mpnet-base-v2 for English, through the app."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from core.settings import Settings
from tests.helpers import ADMIN, ADMIN_HEADERS, ROOT
from tests.test_kb_japanese import JAPANESE, jsonl

pytestmark = pytest.mark.model

MORE_JAPANESE = [
    {
        "id": "point-usage",
        "title": "ポイントの使い方",
        "body": "お買い物の際、1ポイント1円としてお使いいただけます。",
        "questions": [
            "ポイントは使えますか",
            "貯まったポイントで支払いたい",
            "ポイント残高を見たい",
        ],
        "skill": "orders",
    },
    {
        "id": "gift-wrapping",
        "title": "ギフト包装・のし",
        "body": "ご注文手続きの画面でギフト包装とのしをお選びいただけます。",
        "questions": ["プレゼント用に包んでほしい", "のしは付けられますか", "ラッピングできますか"],
        "skill": "orders",
    },
]


def search(client, query: str) -> dict:
    response = client.post("/api/kb/search", json={"query": query, "limit": 3})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def both(tmp_path_factory, real_embedder):
    """The app as `make demo` builds it: mpnet for English, e5 for Japanese."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("both"), admin_token=ADMIN, rasa_url="")
    app = create_app(settings)
    with TestClient(app) as test_client:
        english = (ROOT / "data" / "kb" / "articles.jsonl").read_bytes()
        japanese = jsonl(*JAPANESE, *MORE_JAPANESE)
        for body in (english, japanese):
            response = test_client.post("/api/kb/import", content=body, headers=ADMIN_HEADERS)
            assert response.status_code == 200, response.text
        yield test_client, app.state.services.kb  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("パスワードが分からなくなってしまいました", "password-reset"),
        ("頼んだ荷物が届かないんですけど", "delivery-status"),
        ("買った服を返したい", "returns"),
        ("ぽいんとでしはらいたい", "point-usage"),  # kana only: found by its reading
    ],
)
def test_a_japanese_question_finds_its_japanese_article(both, query: str, expected: str) -> None:
    client, _ = both
    found = search(client, query)
    assert found["results"][0]["article_id"] == expected
    assert found["decision"] in ("answer", "clarify")


def test_an_english_question_still_finds_its_english_article(both) -> None:
    client, _ = both
    found = search(client, "I left my debit card on the bus")
    assert found["results"][0]["article_id"] == "report-lost-stolen-card"
    assert found["decision"] in ("answer", "clarify")


def test_half_width_katakana_and_full_width_latin_match(both) -> None:
    client, _ = both
    assert search(client, "ﾊﾟｽﾜｰﾄﾞを忘れた")["results"][0]["article_id"] == "password-reset"
    found = search(client, "Ｉ ｌｅｆｔ ｍｙ ｄｅｂｉｔ ｃａｒｄ ｏｎ ｔｈｅ ｂｕｓ")
    assert found["results"][0]["article_id"] == "report-lost-stolen-card"


def test_japanese_small_talk_is_not_answered(both) -> None:
    client, _ = both
    assert search(client, "明日の大阪の天気はどう？")["decision"] == "escalate"


def test_japanese_gaps_are_grouped_by_meaning_and_apart_from_english(both) -> None:
    client, kb = both
    questions = [
        "定期便の配送を止めたい",
        "定期便を一時的にお休みしたい",
        "店舗で受け取りはできますか",
        "お店で商品を受け取りたい",
        "can I pick my order up in a store",
    ]
    for number, question in enumerate(questions):
        kb.gaps.record(question, conversation_id=f"c{number}", reason="no_answer")
    clusters = client.get("/api/kb/gaps", headers=ADMIN_HEADERS).json()
    groups = [set(c["examples"]) for c in clusters]
    assert set(questions[:2]) in groups
    assert set(questions[2:4]) in groups
    assert {questions[4]} in groups


def test_a_japanese_test_run_groups_its_escalations(both) -> None:
    client, _ = both
    lines = [
        {"text": "今日の東京の天気は", "expected": None},
        {"text": "明日の東京の天気を教えて", "expected": None},
        {"text": "can you book me a table for two tonight", "expected": None},
    ]
    body = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    report = client.post("/api/kb/replay", content=body, headers=ADMIN_HEADERS).json()
    assert report["figures"]["out_of_scope_answered"] == 0.0
    assert {"count": 2, "examples": [lines[0]["text"], lines[1]["text"]]} in report["escalated"]
