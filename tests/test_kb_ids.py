"""`POST /api/kb/articles` without an id: a readable slug of a title in Latin letters, a short
unique id for any other title (Japanese titles do not all become `article-2`, `article-3`)."""

from __future__ import annotations

import re

import pytest

from knowledge_base.ids import slug
from tests.factories import make_agent
from tests.test_kb_gaps import NO_ANSWER, ask


def create(client, admin, title: str, **fields) -> dict:
    created = client.post("/api/kb/articles", json={"title": title, **fields}, headers=admin)
    assert created.status_code == 201, created.text
    return created.json()


def test_an_english_title_gives_its_slug_and_a_number_when_taken(client, admin) -> None:
    first = create(client, admin, "Reset your password", questions=["forgot my password"])
    second = create(client, admin, "Reset your password!")
    third = create(client, admin, "  RESET your password ")

    assert [first["id"], second["id"], third["id"]] == [
        "reset-your-password",
        "reset-your-password-2",
        "reset-your-password-3",
    ]
    assert (first["status"], first["questions"]) == ("draft", ["forgot my password"])
    opened = client.get("/api/kb/articles/reset-your-password-2", headers=admin).json()
    assert opened["title"] == "Reset your password!"


def test_japanese_titles_get_short_ids_of_their_own(client, admin) -> None:
    titles = ["返品について", "返品について", "交換について", "ｷｬﾝｾﾙ方法", "iPhoneの設定"]
    ids = [create(client, admin, title, skill="returns")["id"] for title in titles]

    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"a-[a-z2-9]{6}", i) for i in ids), ids
    for article_id, title in zip(ids, titles, strict=True):
        assert client.get(f"/api/kb/articles/{article_id}", headers=admin).json()["title"] == title


def test_an_id_given_is_kept_and_still_checked(client, admin) -> None:
    assert create(client, admin, "返品について", id="returns-policy")["id"] == "returns-policy"
    again = client.post(
        "/api/kb/articles", json={"id": "returns-policy", "title": "x"}, headers=admin
    )
    assert again.status_code == 409
    bad = client.post("/api/kb/articles", json={"id": "返品", "title": "x"}, headers=admin)
    assert bad.status_code == 422
    assert client.post("/api/kb/articles", json={"title": "x"}).status_code in (401, 403)


def test_drafts_from_japanese_content_gaps_get_ids_of_their_own(client, admin, bot, clock) -> None:
    make_agent(client, admin, "佐藤 美咲", {"general": 1})
    for question in ["ポイントの有効期限はいつまでですか", "海外に送ってもらえますか"]:
        clock.advance(seconds=5)
        ask(client, question, NO_ANSWER, bot)
    clusters = client.get("/api/kb/gaps", headers=admin).json()
    assert len(clusters) == 2

    drafts = [
        client.post("/api/kb/gaps/draft", json={"gap_ids": c["gap_ids"]}, headers=admin).json()
        for c in clusters
    ]

    assert {d["title"] for d in drafts} == {
        "ポイントの有効期限はいつまでですか",
        "海外に送ってもらえますか",
    }
    ids = [d["id"] for d in drafts]
    assert len(set(ids)) == 2 and all(re.fullmatch(r"a-[a-z2-9]{6}", i) for i in ids), ids


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Reset your password", "reset-your-password"),
        ("Café opening hours", "cafe-opening-hours"),
        ("Ｒｅｓｅｔ ｙｏｕｒ ＰＩＮ", "reset-your-pin"),  # full-width
        ("Don't panic: lost card?", "dont-panic-lost-card"),
        ("Fees 2026", "fees-2026"),
        (
            "One two three four five six seven eight nine ten",
            "one-two-three-four-five-six-seven-eight",
        ),
        ("返品について", None),
        ("iPhoneの設定", None),  # a slug of "iphone" would lose what it is about
        ("???", None),
    ],
)
def test_which_titles_make_a_slug(title: str, expected: str | None) -> None:
    assert slug(title) == expected
