"""Japanese split into words with SudachiPy (sudachidict-core), for the NLU and for the topic.

Japanese is written without spaces, so a whitespace tokenizer sees 「人と話したいです」 as one
word. Sudachi splits it into 人 / と / 話し / たい / です and gives each word its normalised form
(話し -> 話す, ありがとう and 有難う -> 有り難う), which is what the NLU learns from: one
lemma for the spellings a customer may use. Offsets are into the text as written, as Rasa's
tokens need. Both runtimes import this module (the Rasa component and the app's actions).

Split mode A (the shortest units): 担当者 becomes 担当 / 者, so a word the training data spells
one way still shares its parts with another ("担当の方", "担当者").
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

# Word classes Sudachi gives to what is not a word: punctuation, symbols, spaces.
NOT_WORDS = frozenset({"補助記号", "空白"})
_JAPANESE_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA")
_LOCAL = threading.local()  # a Sudachi tokenizer is not to be shared between threads


@dataclass(frozen=True)
class Word:
    text: str  # as written
    start: int
    end: int
    lemma: str  # Sudachi's normalised form
    pos: str  # the word class (名詞, 動詞, 助詞, ...)


def has_japanese(text: str) -> bool:
    """Whether any letter of `text` is kana or kanji (full- or half-width)."""
    return any(unicodedata.name(c, "").startswith(_JAPANESE_SCRIPTS) for c in text if c.isalpha())


def words(text: str) -> list[Word]:
    """The words of `text` with their offsets and normalised forms, punctuation left out."""
    return [
        Word(m.surface(), m.begin(), m.end(), m.normalized_form(), m.part_of_speech()[0])
        for m in _tokenizer().tokenize(text)
        if m.part_of_speech()[0] not in NOT_WORDS and m.surface().strip()
    ]


def _tokenizer() -> Any:
    tokenizer = getattr(_LOCAL, "tokenizer", None)
    if tokenizer is None:  # the dictionary loads on first use, never at import
        from sudachipy import Dictionary, SplitMode

        tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.A)
        _LOCAL.tokenizer = tokenizer
    return tokenizer
