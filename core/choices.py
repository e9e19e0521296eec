"""Which of a list of offered choices a customer picked by typing its place instead of pressing
its button: "2", "#2", "option 2", "the second one", "the last one", 「2番目」, 「２つ目」,
「最初のやつ」, 「一番下でお願いします」.

Only a message that is nothing but such a pick counts ("I have 2 cards" picks nothing). Written
by hand: number parsers (word2number and the like) read quantities in running text, not a
choice's place in a list, in English and Japanese; this is one word list and one pattern.
"""

from __future__ import annotations

import re
import unicodedata

_PLACES = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3,
    "three": 3, "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "最初": 1, "一番上": 1, "いちばん上": 1,
}  # fmt: skip
_LAST = {"last", "最後", "一番下", "いちばん下"}
# Words around an English pick: "I'll take the second one please", "option 2", "number two".
_AROUND = frozenset(
    {
        "i", "i'll", "ill", "i'd", "id", "want", "like", "take", "give", "me", "the", "number",
        "no", "option", "choice", "#", "article", "link", "please", "one",
    }
)  # fmt: skip
_ENGLISH_WORD = re.compile(r"\d+(?:st|nd|rd|th)?|[a-z']+|#")
_JAPANESE = re.compile(
    r"^(\d{1,2}|[一二三四五]|最初|一番上|いちばん上|最後|一番下|いちばん下)(?:番目|番|つ目|個目)?"
    r"の?(?:もの|やつ|記事|方|ほう)?(?:です|で|でお願いします|をお願いします|をください|にします"
    r"|お願いします)?$"
)


def chosen_place(text: str, count: int) -> int | None:
    """The 0-based index of the choice `text` picks among `count` offered, or None."""
    typed = re.sub(r"[\s.!?。！？、,]+$", "", unicodedata.normalize("NFKC", text).strip().lower())
    if not typed:
        return None
    japanese = _JAPANESE.match(typed)
    if japanese:
        word = japanese.group(1)
    else:
        words = _ENGLISH_WORD.findall(typed)
        if "".join(words) != re.sub(r"[\s,]+", "", typed):  # something else was written too
            return None
        places = [w for w in words if w not in _AROUND or w == "one"]
        if len(places) == 2 and places[1] == "one":  # "the second one"
            places = places[:1]
        if len(places) != 1:
            return None
        word = places[0]
    return _index(word, count)


def _index(word: str, count: int) -> int | None:
    if word in _LAST:
        place = count
    elif word[:1].isdigit():
        place = int(re.sub(r"\D", "", word))
    elif word in _PLACES:
        place = _PLACES[word]
    else:
        return None
    return place - 1 if 1 <= place <= count else None
