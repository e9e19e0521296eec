"""What a request for a person is about: the request's own words taken out, the topic left;
and whether a message the NLU took for a request names anyone to talk to at all.

"I want to speak to a human about a card payment I don't recognise" -> "a card payment I don't
recognise" (what follows "about", "regarding", ... as written: the search reads whole phrases
best); "human please, my transfer is missing" -> "transfer missing" (the request's words taken
out); "can I talk to a person please" -> "" (no topic: the conversation's earlier question is
searched instead, see bot/actions/handoff.py).

In Japanese the topic comes first: 「返品のことで担当の方と話したいです」 -> 「返品」 (what stands
before のことで, について, に関して, の件で, ...); without such words, what is left once the
request's words are taken out, in the spans the customer wrote (「届いた商品が壊れていたので担当者と
話したいです」 -> 「届いた商品が壊れていた」). Words are found by Sudachi (bot/nlu/japanese.py)
and compared by their normalised forms, so 繋いで and つないで are the same word.
"""

from __future__ import annotations

import re
import unicodedata

from bot.nlu.japanese import Word, has_japanese, words

_REQUEST_WORDS = """
    i i'd id i'm im me my we us you your yours can could may might would will shall please pls
    want wanna like need let get put through connect pass hand over with to a an the of for on
    talk speak chat discuss person persons people human humans being beings agent agents someone
    somebody anyone anybody one real actual live living operator representative rep reps staff
    member members team employee advisor adviser support customer service services about
    regarding re concerning it's its it is there here instead rather than just now right away
    asap bot robot machine and or so that this some help
"""
REQUEST_WORDS = frozenset(_REQUEST_WORDS.split())
# Someone (or something) to talk to: a request for a person names one of these.
PERSON_WORDS = frozenset(
    {
        "person", "persons", "people", "human", "humans", "agent", "agents", "someone",
        "somebody", "anyone", "anybody", "representative", "rep", "reps", "staff", "operator",
        "advisor", "adviser", "member", "employee", "manager", "supervisor", "bot", "robot",
        "real", "live", "support", "team",
    }
)  # fmt: skip
_WORD = re.compile(r"[\w']+")
# Verbs that are also topics ("my transfer is missing") count as the request only with "me".
_ABOUT = re.compile(r"\b(?:about|regarding|concerning|with regard to)\s+(.+)$", re.IGNORECASE)
_POLITE_END = re.compile(r"[\s,.!?]*\b(?:please|pls|thanks|thank you|asap)?[\s,.!?]*$", re.I)
_REQUEST_PHRASES = re.compile(r"\b(transfer|forward|escalate|refer)\s+(me|this|it)\b")


# Japanese: someone to talk to (normalised forms; 担当者 is 担当 + 者 to Sudachi).
JA_PERSON_WORDS = frozenset(
    {
        "人", "人間", "担当", "オペレーター", "スタッフ", "係", "係員", "窓口", "有人", "相談員",
        "員", "店員", "社員", "誰", "生身", "ボット", "ロボット", "機械", "サポート",
    }
)  # fmt: skip
# ... and the other words of a request for one: talk, connect, hand over, please, ...
JA_REQUEST_WORDS = JA_PERSON_WORDS | frozenset(
    {
        "者", "方", "さん", "様", "相談", "話す", "喋る", "代わる", "替わる", "変わる", "繋ぐ",
        "呼ぶ", "切る", "替える", "切り替える", "回す", "下さる", "頂く", "貰う", "願う", "御",
        "為る", "欲しい", "良い", "無い", "直接", "チャット", "対応", "すむ", "済む",
    }
)  # fmt: skip
# What a topic does not start with (particles, auxiliaries, fillers), and what it does not end
# with (particles and the polite endings; a negation or a past tense is part of it).
_JA_NOT_FIRST = frozenset({"助詞", "助動詞", "接続詞", "感動詞", "接尾辞"})
_JA_POLITE = frozenset({"だ", "です", "ます"})
# A topic names something: a span with no noun ("いませんか") is left out.
_JA_NAMING = frozenset({"名詞", "形状詞"})
_JA_ABOUT = re.compile(
    r"^(.+?)(?:のことについて|のことで|のこと|についての|について|に関しまして|に関して|に関する"
    r"|の件について|の件で|の件|件で)"
)


def topic(text: str) -> str:
    """The words of `text` that are not part of asking for a person ("" when none are left)."""
    if text.startswith("/"):  # the "Talk to a person" button says nothing about a topic
        return ""
    if has_japanese(text):
        return japanese_topic(text)
    about = _ABOUT.search(text)
    if about and names_a_person(text[: about.start()]):
        return _POLITE_END.sub("", about.group(1)).strip()
    words = _WORD.findall(_REQUEST_PHRASES.sub(" ", text.lower()))
    return " ".join(w for w in words if w not in REQUEST_WORDS)


def japanese_topic(text: str) -> str:
    about = _JA_ABOUT.search(text)
    if about and names_a_person(text):
        text = about.group(1)
    return " ".join(span for span in _outside_request(text, words(text)) if span)


def _outside_request(text: str, found: list[Word]) -> list[str]:
    """The spans of `text` between the request's words that name something, each without the
    particles and polite endings at its edges."""
    spans: list[list[Word]] = [[]]
    for word in found:
        if word.lemma in JA_REQUEST_WORDS or word.text in JA_REQUEST_WORDS:
            spans.append([])
        elif spans[-1] and text[spans[-1][-1].end : word.start].strip(" 　"):
            spans.append([word])  # punctuation between them: a new span
        else:
            spans[-1].append(word)
    kept = []
    for span in spans:
        while span and span[0].pos in _JA_NOT_FIRST:
            span = span[1:]
        while span and (span[-1].pos == "助詞" or span[-1].lemma in _JA_POLITE):
            span = span[:-1]
        if any(w.pos in _JA_NAMING for w in span):
            kept.append(text[span[0].start : span[-1].end])
    return kept


def word_count(text: str) -> int:
    """Words in `text`: Sudachi's for Japanese, whitespace-separated for the rest."""
    return len(words(text)) if has_japanese(text) else len(text.split())


# 「そうですか」 ends as a question does and is none: "I see", said with thanks.
_ACKNOWLEDGEMENTS = ("そうですか", "そうなんですか", "そうでしたか", "そうか", "そっか", "なるほど")


def phrased_as_question(text: str) -> bool:
    """Whether `text` ends as a question does ("?", "？", or Japanese か: 「Suicaで払えますか」;
    not 「そうですか」). Thanks and goodbyes do not, so such a text read as one is searched as a
    question too."""
    ending = unicodedata.normalize("NFKC", text).rstrip(" 。.!！~〜ー…")
    if ending.endswith("?"):
        return True
    last = re.split(r"[、,。.!\s]", ending)[-1]
    return ending.endswith(("か", "かな", "かね")) and not last.endswith(_ACKNOWLEDGEMENTS)


# The words a question about the bot itself uses in English ("are you a bot?", "who am I talking
# to?", "what can this chat do?"); every English example of the act holds one. Not "your":
# "what are your fees?" asks about the company.
BOT_WORDS = frozenset(
    {
        "you", "u", "yourself", "bot", "bots", "robot", "chatbot", "ai", "human", "person",
        "real", "machine", "computer", "automated", "automatic", "program", "assistant", "chat",
        "talking", "speaking", "chatting", "typing", "who",
    }
)  # fmt: skip


def asks_about_the_bot(text: str) -> bool:
    """Whether an English `text` could be a question about the bot: it names it or its
    reader. "what are the fees", which the NLU once read as one (1.00), does not. Japanese
    ones (「何ができますか」) often name nothing, so Japanese is taken as read."""
    if has_japanese(text):
        return True
    return bool(BOT_WORDS.intersection(_WORD.findall(text.lower())))


def asks_something(text: str) -> bool:
    """A question with a subject: phrased as one and longer than a word or two ("really?",
    「本当ですか」 and "is that it?" ask nothing the knowledge base could answer)."""
    return phrased_as_question(text) and word_count(text) > 3


def names_a_person(text: str) -> bool:
    """Whether `text` mentions anyone to talk to ("a human", "an agent", "not a bot").

    A typed "I want to know the routing number" that the NLU takes for a request does not: it is
    a question (bot/actions/handoff.py answers it as one)."""
    if text.startswith("/"):
        return True
    if has_japanese(text) and any(
        w.lemma in JA_PERSON_WORDS or w.text in JA_PERSON_WORDS for w in words(text)
    ):
        return True
    return bool(PERSON_WORDS.intersection(_WORD.findall(text.lower())))
