"""Which language a customer's message is in (core/language.py)."""

from __future__ import annotations

import pytest

from core.language import detect, normalise, supported


@pytest.mark.parametrize(
    ("text", "language", "sure"),
    [
        ("カードがまだ届きません", "ja", True),
        ("はい", "ja", True),  # short, but kana say Japanese
        ("料金確認", "ja", True),  # kanji only
        ("ｶｰﾄﾞ", "ja", True),  # half-width katakana
        ("SIMカードが届かない", "ja", True),  # mostly Japanese letters
        # Products named in Latin letters: most letters are Latin, but kana are only Japanese.
        ("iPhoneのSIMロック解除", "ja", True),
        ("Apple Payで払えますか", "ja", True),
        ("iPhone料金", "en", False),  # a few kanji among Latin letters, no kana: not surely
        ("My name is 田中 and my card has not arrived", "en", True),  # a name in kanji
        ("yes", "en", False),  # short Latin: English, not surely
        ("My card hasn't arrived yet", "en", True),
        ("Meine Karte ist noch nicht angekommen", None, True),  # German: not read
        ("Моя карта не пришла", None, False),  # Cyrillic: not read
        ("👍", None, False),
        ("/affirm", None, False),  # a button says nothing about the language
    ],
)
def test_the_language_of_a_message(text: str, language: str | None, sure: bool) -> None:
    found = detect(text)
    assert (found.language, found.sure) == (language, sure), found.why


def test_a_button_is_read_and_foreign_text_is_not() -> None:
    assert detect("/request_human").read
    assert not detect("Meine Karte ist noch nicht angekommen").read


def test_locales_and_normalisation() -> None:
    assert supported("ja-JP") == supported("ja_JP") == supported("JA") == "ja"
    assert supported("en-GB") == "en"
    assert supported("fr") is None and supported("") is None and supported(None) is None
    assert normalise("ＡＢＣ１２３ ｶｰﾄﾞ") == "ABC123 カード"
