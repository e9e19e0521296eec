"""Which of a list of offered choices a customer picked by typing its place instead of pressing
its button: "2", "#2", "option 2", "the second one", "the last one", "second to last", "the
middle one", "second from the top", 「2番目」, 「ふたつめ」, 「上から2番目」, 「最初のやつ」,
「一番下でお願いします」.

Only a message that is nothing but such a pick counts ("I have 2 cards" picks nothing). A pick
of a place the list does not have ("the fourth one" of three) is still a pick (`is_pick`): the
customer is asked to choose again rather than searched for. Written by hand: number parsers
(word2number and the like) read quantities in running text, not a choice's place in a list, in
English and Japanese; this is one word list and one pattern.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NUMBERS = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3,
    "three": 3, "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "ひとつ": 1, "ふたつ": 2, "みっつ": 3,
    "よっつ": 4, "いつつ": 5, "一つ": 1, "二つ": 2, "三つ": 3, "四つ": 4, "五つ": 5,
}  # fmt: skip
# Words around an English pick: "I'll take the second one please", "option 2", "second to last".
_AROUND = frozenset(
    {
        "i", "i'll", "ill", "i'd", "id", "want", "like", "take", "give", "me", "the", "number",
        "no", "option", "choice", "#", "article", "link", "please", "from", "to", "top", "one",
    }
)  # fmt: skip
_FROM_END = frozenset({"last", "bottom"})
_ENGLISH_WORD = re.compile(r"\d+(?:st|nd|rd|th)?|[a-z']+|#")
_JA_NUMBER = r"\d{1,2}|[一二三四五]つ?|ひとつ|ふたつ|みっつ|よっつ|いつつ"
_JAPANESE = re.compile(
    rf"^(?:(上|下)から)?(?:({_JA_NUMBER})(?:番目|番|つ目|個目|目|め)?|(最初|一番上|いちばん上|最後"
    r"|一番下|いちばん下|真ん中))の?(?:もの|やつ|記事|方|ほう)?(?:です|で|でお願いします"
    r"|をお願いします|をください|にします|お願いします)?$"
)


@dataclass(frozen=True)
class Pick:
    """A place in a list: the `number`-th from its start, from its end, or its middle."""

    number: int
    from_end: bool = False
    middle: bool = False

    def index(self, count: int) -> int | None:
        """The 0-based index among `count` choices, None when the list has no such place."""
        if self.middle:
            return count // 2 if count % 2 else None
        place = count + 1 - self.number if self.from_end else self.number
        return place - 1 if 1 <= place <= count and self.number >= 1 else None


def is_pick(text: str) -> Pick | None:
    """The place `text` names, if it is nothing but a pick (whatever the list's length)."""
    typed = re.sub(r"[\s.!?。！？、,)]+$", "", unicodedata.normalize("NFKC", text).strip().lower())
    if not typed:
        return None
    japanese = _JAPANESE.match(typed)
    return _japanese(japanese) if japanese else _english(typed)


def _japanese(match: re.Match[str]) -> Pick | None:
    side, number, word = match.groups()
    if word == "真ん中":
        return None if side else Pick(0, middle=True)
    if word:
        if side:
            return None
        return Pick(1, from_end=word in {"最後", "一番下", "いちばん下"})
    place = _number(number.removesuffix("つ") if number[0].isdigit() else number)
    return None if place is None else Pick(place, from_end=side == "下")


def _english(typed: str) -> Pick | None:
    words = _ENGLISH_WORD.findall(typed)
    if "".join(words) != re.sub(r"[\s,]+", "", typed):  # something else was written too
        return None
    if words in (["penultimate"], ["the", "penultimate"], ["the", "penultimate", "one"]):
        return Pick(2, from_end=True)
    kept = [w for w in words if w not in _AROUND]
    bare = [w for w in words if w != "please"]
    if not kept and bare[-1:] == ["one"] and (len(bare) == 1 or bare[-2] in {"number", "option"}):
        kept = ["one"]  # "one", "option one"; in "the second one" it is only the choice
    if kept == ["middle"]:
        return Pick(0, middle=True)
    from_end = any(w in _FROM_END for w in kept)
    before = "before" in kept  # "the one before last"
    rest = [w for w in kept if w not in _FROM_END and w != "before"]
    if before and not (from_end and not rest):
        return None
    if len(rest) > 1:
        return None
    number = _number(rest[0]) if rest else 1
    if number is None or (not rest and not from_end and "top" not in words):
        return None
    return Pick(number + (1 if before else 0), from_end=from_end)


def _number(word: str) -> int | None:
    if word[:1].isdigit():
        return int(re.sub(r"\D", "", word))
    return _NUMBERS.get(word)
