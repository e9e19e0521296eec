"""Every text Cascade writes to a customer, in the conversation's language.

The texts live in gettext catalogues read with Babel: `locale/<language>/LC_MESSAGES/<domain>.po`,
one domain per part of the product (`bot`, `chat`, `desk`, `email`, `widget`). A message id is a
key, `<domain>.<name>` (for example `bot.greet`); English is a translation like any other, so
no customer-facing sentence is written in code. Placeholders are Python format fields:
`{position}`, `{minutes}`. The .po files are read as they are (no compiled .mo to keep in step);
tests/test_words.py checks that every language has every key with the same placeholders.

Why Babel and not a hand-written table: .po is the format translators and their tools (Poedit,
Weblate, Crowdin) work in, with comments and fuzzy flags; Babel reads and writes it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from core.language import DEFAULT, LANGUAGES, supported

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def language_of(code: str | None) -> str:
    """The catalogue language for a conversation's language or a locale: English when unknown."""
    return supported(code) or DEFAULT


def say(language: str | None, key: str, **params: object) -> str:
    """The text `key` ("bot.greet") in `language`, with its placeholders filled.

    A key missing from a language falls back to English; a key missing from English is a
    programming error (KeyError), caught by the tests that say every text."""
    domain = key.split(".", 1)[0]
    text = _texts(language_of(language), domain).get(key) or _texts(DEFAULT, domain).get(key)
    if text is None:
        raise KeyError(f"no text {key!r} in locale/{DEFAULT}/LC_MESSAGES/{domain}.po")
    return text.format(**params) if params else text


def texts(language: str | None, domain: str) -> dict[str, str]:
    """Every text of a domain in `language` (English where it lacks one): for the widget."""
    return {**_texts(DEFAULT, domain), **_texts(language_of(language), domain)}


def catalogue(language: str, domain: str) -> Catalog:
    """The catalogue itself (for the tests and for translators' tools)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=domain)


def domains() -> list[str]:
    return sorted(p.stem for p in (LOCALE_DIR / DEFAULT / "LC_MESSAGES").glob("*.po"))


@cache
def _texts(language: str, domain: str) -> dict[str, str]:
    if language not in LANGUAGES:
        return {}
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return {}
    return {
        str(message.id): str(message.string)
        for message in catalogue(language, domain)
        if message.id and message.string and not message.fuzzy
    }
