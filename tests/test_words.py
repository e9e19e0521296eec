"""Every language has every text, with the same placeholders, and texts are found by key."""

from __future__ import annotations

import string

import pytest

from core.language import LANGUAGES
from core.words import catalogue, domains, say, texts


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("domain", domains())
def test_every_language_has_every_text_with_the_same_placeholders(domain: str) -> None:
    english = {str(m.id): str(m.string) for m in catalogue("en", domain) if m.id}
    assert english, domain
    for language in LANGUAGES:
        translated = {str(m.id): str(m.string) for m in catalogue(language, domain) if m.id}
        assert set(translated) == set(english), (language, set(translated) ^ set(english))
        for key, text in translated.items():
            assert text.strip(), (language, key)
            assert _fields(text) == _fields(english[key]), (language, key)


def test_a_text_in_the_conversations_language_and_english_when_unknown() -> None:
    assert say("ja", "bot.person_button") == "担当者と話す"
    assert say("ja-JP", "bot.person_button") == "担当者と話す"
    assert say("fr", "bot.person_button") == "Talk to a person"
    assert say(None, "bot.person_button") == "Talk to a person"
    assert texts("ja", "bot")["bot.greet"].startswith("こんにちは")


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(KeyError):
        say("en", "bot.no_such_text")
