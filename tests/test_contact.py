"""Addresses as customers type them (core/contact.py), shared by the bot's email form and the
queue's "email me instead"."""

from __future__ import annotations

import pytest

from core.contact import asks_to_be_emailed, declines, find_email, only_gives_email


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("ana@example.com", "ana@example.com"),
        ("my email is ana.lee@example.co.uk.", "ana.lee@example.co.uk"),
        ("メールアドレスは hanako@example.jp です", "hanako@example.jp"),
        # Japanese written without spaces around the address.
        ("メールはhanako.yamada@example.jpです", "hanako.yamada@example.jp"),
        ("私のメアドはtaro@example.com、よろしく", "taro@example.com"),
        ("「taro@example.com」へお願いします", "taro@example.com"),
        ("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "hanako@example.jp"),  # typed full-width
        ("<ana@example.com>", "ana@example.com"),
        ("ana at example dot com", None),
        ("@example.com", None),
        ("ana@example", None),
    ],
)
def test_an_address_is_found_anywhere_in_the_message(text: str, address: str | None) -> None:
    assert find_email(text) == address


@pytest.mark.parametrize(
    "text",
    [
        "skip",
        "Skip.",
        "no thanks",
        "never mind",
        "um, I don't have one",
        "スキップ",
        "不要です",
        "いらないです",  # "I don't need it"
        "えーと、メールアドレスはないです",  # "er, I have no email address"
        "あのー、いらないです",
    ],
)
def test_declining_to_give_an_address(text: str) -> None:
    assert declines(text)


@pytest.mark.parametrize(
    "text",
    ["ana@example.com", "nope, it's ana@example.com", "hello?", "はい", "えーと", "wellnone"],
)
def test_an_address_or_a_question_is_not_declining(text: str) -> None:
    assert not declines(text)


@pytest.mark.parametrize(
    ("text", "only_gives", "asks"),
    [
        ("My email is ana@example.com", True, False),
        ("it's ana@example.com", True, False),
        ("ana@example.com", True, False),
        ("メールアドレスは hanako@example.jp です", True, False),
        ("メールはhanako@example.jpです", True, False),
        ("email me at ana@example.com", False, True),
        ("please reply to ana@example.com", False, True),
        ("hanako@example.jp にメールで連絡してください", False, True),
        ("my email is ana@example.com - how do I freeze my card?", False, False),
    ],
)
def test_giving_an_address_is_told_from_asking_to_be_emailed(
    text: str, only_gives: bool, asks: bool
) -> None:
    assert (only_gives_email(text) is not None) is only_gives
    assert asks_to_be_emailed(text) is asks
