"""Which languages the bot reads, and whether a customer's message is written in one of them.

The bot reads English only for now. `READS` is the one place that says so: a language added there
(with its scripts) is read from then on, e.g. Japanese with the Han, Hiragana and Katakana scripts.
A message the bot does not read is never taken for a yes, nor sent to the knowledge base: the bot
says it did not understand and offers a person (bot/actions/understanding.py).

How a message is decided, in order:
1. A button's payload (`/affirm`, `/request_human`, ...) is read: the bot wrote it.
2. A message with no letters at all (emoji, digits, punctuation) is not read.
3. By script: when fewer than half of its letters are in the scripts of the languages the bot
   reads, it is not read. So a message with no Latin letters is not English, however short:
   「カードがまだ届きません」 or 「はい」.
4. Short messages, fewer than `SHORT_WORDS` words, in a script the bot reads are read: no detector
   can tell "no", "ja" or "ok" apart, and the NLU's confidence decides what they mean (a yes needs
   a confident one, see bot/actions/feedback.py).
5. Longer ones go to Lingua (lingua-language-detector, high-accuracy mode) with the languages of
   `DETECTED`: the bot does not read the message when another language is likely (at least
   `OTHER_LIKELY`) and none it reads is plausible (all below `READ_PLAUSIBLE`). On the English
   questions of kb-dev, kb-dev-hwu and the NLU data (about 2,700 of four words or more) this
   rejects one ("can you define the word schadenfreude"), while German, French or Polish
   sentences are caught.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # lingua loads its models on first use, in `_detector`
    from lingua import LanguageDetector

READS: dict[str, frozenset[str]] = {  # the languages the bot reads -> the scripts they use
    "en": frozenset({"LATIN"}),
}
# What else a long message may be written in, as ISO 639-1 codes: widely used languages in the
# scripts above. Only these models are loaded (about 300 MB; all of Lingua's would be 900 MB).
DETECTED = (
    "es", "fr", "de", "pt", "it", "nl", "pl", "tr", "id", "vi", "sv", "ro", "cs", "tl", "ms",
)  # fmt: skip
SHORT_WORDS = 4
OTHER_LIKELY = 0.5
READ_PLAUSIBLE = 0.2


@dataclass(frozen=True)
class Reading:
    """Whether the bot reads a message, and why (for logs and tests)."""

    read: bool
    why: str


def script(char: str) -> str:
    """The script of a letter, as the first word of its Unicode name: LATIN, CJK, HIRAGANA, ..."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def reading(text: str) -> Reading:
    """Decide whether the bot reads `text` (see the module's docstring for the rules)."""
    text = text.strip()
    if text.startswith("/"):
        return Reading(True, "button")
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return Reading(False, "no letters")
    scripts = frozenset().union(*READS.values())
    in_script = sum(script(c) in scripts for c in letters)
    if in_script * 2 < len(letters):
        return Reading(False, "script")
    if len(text.split()) < SHORT_WORDS:
        return Reading(True, "short")
    confidences = _confidences(text)
    read = max((confidences.get(code, 0.0) for code in READS), default=0.0)
    other, likely = max(
        ((code, value) for code, value in confidences.items() if code not in READS),
        key=lambda pair: pair[1],
        default=("", 0.0),
    )
    if likely >= OTHER_LIKELY and read < READ_PLAUSIBLE:
        return Reading(False, f"language {other}")
    return Reading(True, "language")


def reads(text: str) -> bool:
    return reading(text).read


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

    codes = [*READS, *DETECTED]
    return (
        LanguageDetectorBuilder.from_iso_codes_639_1(
            *(getattr(IsoCode639_1, code.upper()) for code in codes)
        )
        .with_preloaded_language_models()
        .build()
    )
