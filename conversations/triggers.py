"""Signs of frustration in what a customer writes, checked before the bot answers.

Pure functions over text, so each trigger is tested with a table of cases. Text is read after
NFKC (full-width ！ and Ｌａｔｉｎ become ASCII, half-width ｶﾅ full-width), in any script:
- shouting: mostly capitals (Latin), or a run of exclamation marks (any script: 「何で！！！」),
  unless the message is thanks ("Thank you!!!", 「ありがとう！！！」);
- insults and anger: English words and phrases (swear words too), and Japanese phrases
  (「ふざけるな」「いい加減にして」「役に立たない」「最悪」...), matched in the text as
  written, since Japanese has no spaces between words. English words that are also plain
  nouns count only where they judge something: "this is a joke", "what a joke", "total
  garbage", "garbage app", "screw you", not "tell me a joke", "when is the trash collected"
  or "a screw for the shelf";
- repeats: the same message as the customer's last one, in any script.
"""

from __future__ import annotations

import re
import unicodedata

INSULTS = frozenset(
    {
        "stupid", "idiot", "idiotic", "useless", "pathetic", "crap", "crappy",
        "moron", "dumb", "worthless", "ridiculous",
        # swear words
        "fuck", "fucking", "fuckin", "fucked", "fucks", "fck", "fcking", "shit", "shitty",
        "bullshit", "bs", "wtf", "ffs", "stfu", "damn", "goddamn", "bloody", "bastard",
        "bastards", "asshole", "assholes", "arsehole", "piss", "pissed", "sucks",
    }
)  # fmt: skip
# Words that are insults only when they judge something (see the module's docstring), read in
# `normalise`d text; "tuesday is garbage day" is not one, "rubbish!" on its own is.
_NOUNS = r"(?:joke|trash|garbage|rubbish)"
_JUDGED = re.compile(
    r"\b(?:is|are|was|were|it's|that's|you're|they're|so|such|total|complete|absolute|utter|"
    r"pure|piece of|what a|what an)\s+(?:(?:a|an|total|complete|absolute|utter)\s+)*"
    rf"{_NOUNS}\b(?!\s+(?:day|days|collection|pickup|bin|bins|can|cans|bag|bags|disposal|truck))"
    rf"|\b{_NOUNS}\s+(?:app|bot|chatbot|company|website|site|product|bank|answer|answers|support)\b"
    r"|\bscrew\s+(?:you|this|that|it|them|off|u)\b|\bscrewed\b"
    rf"|^(?:(?:total|complete|absolute|utter)\s+)?{_NOUNS}$"  # the word alone: a verdict
)
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
# Japanese anger and insults, as written after NFKC (both kana spellings where both are used).
JA_PHRASES = (
    "ふざけるな", "ふざけんな", "ふざけないで", "ふざけてる", "ふざけてんの",
    "いい加減にし", "いいかげんにし", "いい加減にしろ",
    "役に立たない", "役に立たねえ", "役立たず", "やくたたず",
    "話にならない", "時間の無駄", "バカにして", "ばかにして", "馬鹿にして", "なめてんの",
    "なめんな", "舐めてる", "ナメてる", "バカ", "馬鹿", "ばーか", "アホ", "あほか", "クソ",
    "ゴミ対応", "ゴミボット", "ゴミアプリ", "ゴミサービス", "ゴミすぎ", "ムカつく", "むかつく",
    "うざい", "ウザい", "うぜえ", "黙れ", "だまれ", "死ね", "頭おかしい", "キレそう",
    "腹が立つ", "腹立つ", "イライラする", "金返せ", "ポンコツ", "使えねえ", "使えねー",
)  # fmt: skip
# Short words that are also parts of plain questions: 最悪 ("the worst") but not 最悪の場合
# ("in the worst case"), 最低 ("awful") said of something, not 最低料金 ("the minimum fee").
_JA_PATTERNS = re.compile(
    r"最悪(?!の場合|のケース|のパターン)|最低(?=です|だ|な|じゃ|すぎ|過ぎ|[!。、.,?]|$)"
)
# A message of thanks may be exclaimed: "Thanks!!!" is not shouting.
_GLAD = re.compile(
    r"\b(?:thanks?|thank you|thx|ty|great|awesome|perfect|amazing|love)\b"
    r"|ありがと|有難|有り難|助かり|助かった|嬉し|うれし|よかった|良かった|最高|感謝",
    re.IGNORECASE,
)
_EXCLAIMED = re.compile(r"!{3,}|(?:[!?]*![!?]*\?|[!?]*\?[!?]*!)[!?]{2,}")  # !!! or ?!?! ...
_LATIN = re.compile(r"[A-Za-z']+")
_WORD = re.compile(r"[\w']+")


def normalise(text: str) -> str:
    """Lower-case words after NFKC, in any script, joined by single spaces."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def is_shouting(text: str) -> bool:
    """Mostly capitals over enough letters to be more than an acronym or two, or a run of
    exclamation marks that is not thanks."""
    text = unicodedata.normalize("NFKC", text)
    if _EXCLAIMED.search(text) and not _GLAD.search(text):
        return True
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 12:
        return False
    words = [w for w in _LATIN.findall(text) if len(w) > 1]
    upper_words = [w for w in words if w.isupper()]
    return sum(c.isupper() for c in letters) / len(letters) > 0.7 and len(upper_words) >= 3


def has_insult(text: str) -> bool:
    flat = normalise(text)
    if INSULTS.intersection(flat.split()) or any(p in flat for p in PHRASES):
        return True
    if _JUDGED.search(flat):
        return True
    written = unicodedata.normalize("NFKC", text)
    return any(p in written for p in JA_PHRASES) or bool(_JA_PATTERNS.search(written))


def is_repeat(text: str, previous: list[str]) -> bool:
    """The same message as the customer's last one (a sign the bot is going round in circles)."""
    if not previous or text.startswith("/"):
        return False
    flat = normalise(text)
    return len(flat) >= 3 and flat == normalise(previous[-1])


def frustration(text: str, previous: list[str], *, answering: bool = False) -> str | None:
    """Which sign of frustration the message shows, if any: shouting, insult or repeat.
    `answering`: the bot's last message asked something (it had buttons, or a question mark),
    so the same reply again ("no" to the next article too, いいえ twice) is an answer, not a
    customer going round in circles."""
    if text.startswith("/"):  # a button payload, not typed text
        return None
    if is_shouting(text):
        return "shouting"
    if has_insult(text):
        return "insult"
    if not answering and is_repeat(text, previous):
        return "repeat"
    return None
