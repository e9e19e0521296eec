"""Which of Cascade's languages (core/language.py) the bot reads.

The bot reads a language once its NLU is trained on it and its replies are written in it;
`READS` says which. A message in any other language is never taken for a yes, nor sent to the
knowledge base: the bot says it did not understand and offers a person
(bot/actions/understanding.py).
"""

from __future__ import annotations

from core.language import Detected, detect, warm_up

READS = frozenset({"en", "ja"})

__all__ = ["READS", "reading", "reads", "warm_up"]


def reading(text: str) -> Detected:
    """The language of `text`, read only when the bot reads that language (a button always)."""
    found = detect(text)
    if found.read and found.language is not None and found.language not in READS:
        return Detected(
            False, found.language, found.sure, f"the bot does not read {found.language}"
        )
    return found


def reads(text: str) -> bool:
    return reading(text).read
