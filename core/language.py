"""The languages Cascade speaks, and which one a customer's message is written in.

`LANGUAGES` is the one place that says which languages Cascade reads and writes (each with the
scripts it is written in); every tier asks this module. A message in none of them is never taken
for a yes nor sent to the knowledge base: the bot says it did not understand and offers a person.

How a message is decided (`detect`), in order:
1. A button's payload (`/affirm`, `/request_human`, ...) says nothing about the language: the bot
   wrote it. It is read, with no language.
2. A message with no letters at all (emoji, digits, punctuation) is not read.
3. By script, after NFKC (half-width katakana become full-width): a message with any kana in
   it, or with at least half of its letters kanji, is Japanese, however short: 「はい」,
   「料金確認」, and 「iPhoneのSIMロック解除」 or 「Apple Payで払えますか」 too, though most of
   their letters are Latin (no other language is written in kana; Japanese customers name
   products in Latin letters all the time). Kanji alone could be Chinese; Cascade does not read
   Chinese, and a Japanese company's customers who write only kanji write Japanese far more
   often, so kanji count as Japanese. An English sentence naming a place or person in kanji
   ("my name is 田中") stays English: its kanji are far fewer than half.
4. When fewer than half of its letters are in the scripts of any language Cascade reads (Cyrillic,
   Hangul, Arabic, ...), it is not read.
5. Latin script, fewer than `SHORT_WORDS` words: English, but not surely (`sure=False`): no
   detector can tell "no", "ja" or "ok" apart, and the NLU's confidence decides what they mean.
6. Longer Latin ones go to Lingua (lingua-language-detector, high-accuracy mode) with the
   languages of `DETECTED`: not read when another language is likely (at least `OTHER_LIKELY`)
   and English is not plausible (below `READ_PLAUSIBLE`). On the English questions of kb-dev,
   kb-dev-hwu and the NLU data (about 2,700 of four words or more) this rejects one ("can you
   define the word schadenfreude"), while German, French or Polish sentences are caught.

A conversation's language follows the first message decided surely (rules 3 and 6), unless the
conversation was started with a `locale` (see conversations/).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # lingua loads its models on first use, in `_detector`
    from lingua import LanguageDetector

# The languages Cascade reads and writes -> the scripts their letters are in (the first word of a
# letter's Unicode name). Every catalogue in locale/ has exactly these languages.
LANGUAGES: dict[str, frozenset[str]] = {
    "en": frozenset({"LATIN"}),
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"}),
}
KANA = frozenset({"HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"})  # written only in Japanese
DEFAULT = "en"
NAMES = {"en": "English", "ja": "Japanese"}  # as the staff pages and the API's messages name them
# What else a long Latin-script message may be written in, as ISO 639-1 codes: widely used
# languages. Only these models are loaded (about 300 MB; all of Lingua's would be 900 MB).
DETECTED = (
    "es", "fr", "de", "pt", "it", "nl", "pl", "tr", "id", "vi", "sv", "ro", "cs", "tl", "ms",
)  # fmt: skip
SHORT_WORDS = 4
OTHER_LIKELY = 0.5
READ_PLAUSIBLE = 0.2


@dataclass(frozen=True)
class Detected:
    """The language of a message: a code of `LANGUAGES`, or None when Cascade does not read it
    (or, for a button, when it says nothing about the language). `sure` when the language is
    known well enough to set a conversation's language."""

    read: bool
    language: str | None
    sure: bool
    why: str


def normalise(text: str) -> str:
    """NFKC: full-width Latin and digits become ASCII, half-width katakana full-width."""
    return unicodedata.normalize("NFKC", text)


def supported(code: str | None) -> str | None:
    """The language of `LANGUAGES` a locale names ("ja", "ja-JP", "ja_JP", "EN"), else None."""
    if not code:
        return None
    language = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return language if language in LANGUAGES else None


def script(char: str) -> str:
    """The script of a letter, as the first word of its Unicode name: LATIN, CJK, HIRAGANA, ..."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def japanese_script(letters: list[str]) -> bool:
    """Rule 3: any kana among the letters, or at least half of them kana or kanji."""
    scripts = [script(c) for c in letters]
    if any(name in KANA for name in scripts):
        return True
    return bool(letters) and sum(name in LANGUAGES["ja"] for name in scripts) * 2 >= len(letters)


def detect(text: str) -> Detected:
    """Decide the language of `text` (see the module's docstring for the rules)."""
    text = normalise(text).strip()
    if text.startswith("/"):
        return Detected(True, None, False, "button")
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return Detected(False, None, False, "no letters")
    if japanese_script(letters):
        return Detected(True, "ja", True, "script")
    counts = {
        code: sum(script(c) in scripts for c in letters) for code, scripts in LANGUAGES.items()
    }
    if counts["en"] * 2 < len(letters):
        return Detected(False, None, False, "script")
    if len(text.split()) < SHORT_WORDS:
        return Detected(True, "en", False, "short")
    confidences = _confidences(text)
    english = confidences.get("en", 0.0)
    other, likely = max(
        ((code, value) for code, value in confidences.items() if code != "en"),
        key=lambda pair: pair[1],
        default=("", 0.0),
    )
    if likely >= OTHER_LIKELY and english < READ_PLAUSIBLE:
        return Detected(False, None, True, f"language {other}")
    return Detected(True, "en", True, "language")


def reads(text: str) -> bool:
    """Whether Cascade reads `text` at all."""
    return detect(text).read


def _confidences(text: str) -> dict[str, float]:
    return {
        value.language.iso_code_639_1.name.lower(): value.value
        for value in _detector().compute_language_confidence_values(text)
    }


_LOCK = threading.Lock()


def warm_up() -> None:
    """Load the language models before the first customer needs them: it takes seconds, longer
    than the app waits for the bot's reply (the app starts this in a thread, bot/server.py)."""
    _detector()


def _detector() -> LanguageDetector:
    with _LOCK:  # one build, however many messages arrive while it runs
        return _build()


@cache
def _build() -> LanguageDetector:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = ["en", *DETECTED]
    return (
        LanguageDetectorBuilder.from_iso_codes_639_1(
            *(getattr(IsoCode639_1, code.upper()) for code in codes)
        )
        .with_preloaded_language_models()
        .build()
    )
