"""Signs of frustration in what a customer writes, checked before the bot answers.

Pure functions over text, so each trigger is tested with a table of cases.
"""

from __future__ import annotations

import re

INSULTS = frozenset(
    {
        "stupid", "idiot", "idiotic", "useless", "pathetic", "rubbish", "crap", "garbage",
        "trash", "moron", "dumb", "worthless", "ridiculous", "joke",
    }
)  # fmt: skip
PHRASES = (
    "this is useless",
    "not helping",
    "not helpful",
    "waste of time",
    "you don't understand",
    "you dont understand",
    "i already said",
    "i already told you",
)
_WORD = re.compile(r"[A-Za-z']+")


def normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def is_shouting(text: str) -> bool:
    """Mostly capitals over enough letters to be more than an acronym or two."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 12:
        return False
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    upper_words = [w for w in words if w.isupper()]
    return sum(c.isupper() for c in letters) / len(letters) > 0.7 and len(upper_words) >= 3


def has_insult(text: str) -> bool:
    flat = normalise(text)
    return bool(INSULTS.intersection(flat.split())) or any(p in flat for p in PHRASES)


def is_repeat(text: str, previous: list[str]) -> bool:
    """The same message as the customer's last one (a sign the bot is going round in circles)."""
    if not previous or text.startswith("/"):
        return False
    flat = normalise(text)
    return len(flat) >= 3 and flat == normalise(previous[-1])


def frustration(text: str, previous: list[str]) -> str | None:
    """Which sign of frustration the message shows, if any: shouting, insult or repeat."""
    if text.startswith("/"):  # a button payload, not typed text
        return None
    if is_shouting(text):
        return "shouting"
    if has_insult(text):
        return "insult"
    if is_repeat(text, previous):
        return "repeat"
    return None
