"""A new article's id when the editor gives none: a readable slug of its title where the title is
written in Latin letters ("Reset your password" -> `reset-your-password`, then `-2`, `-3`...), and
a short random id otherwise (`a-7kq2xm`), so titles in Japanese do not all become `article-2`,
`article-3`: a slug of their few Latin letters or digits would say little and collide often."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable

from core.language import normalise, script

MAX_WORDS = 8
MAX_SLUG = 80  # an id may hold 128 characters: room for the `-n` that keeps it unique
# No 0/o, 1/l: an id an editor may read out or type.
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
SHORT = 6


def new_article_id(title: str, *, taken: Callable[[str], bool]) -> str:
    """An id no article has (`taken` says whether one does) for an article with this title."""
    base = slug(title)
    if base is None:
        while True:  # 32**6: a second draw is already rare
            candidate = "a-" + "".join(secrets.choice(ALPHABET) for _ in range(SHORT))
            if not taken(candidate):
                return candidate
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def slug(title: str) -> str | None:
    """The title's words, lower case, joined by hyphens; None when the title has letters of
    another script than Latin (kana, kanji...) or no letters or digits at all."""
    text = normalise(title)  # NFKC: full-width Ｒｅｓｅｔ reads as Reset
    if any(char.isalpha() and script(char) != "LATIN" for char in text):
        return None
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()  # é -> e
    folded = folded.replace("'", "")  # don't -> dont
    words = re.findall(r"[a-z0-9]+", folded.lower())[:MAX_WORDS]
    base = "-".join(words)[:MAX_SLUG].strip("-")
    return base or None
