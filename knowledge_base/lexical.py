"""Lexical agreement between a question and an article, from a words index in the database.

Dense vectors find articles by meaning but blur the one word that matters ("payday" is near
"bill due"). This module answers, for a few candidate articles, how much of the question's
information their own words cover: the idf-weighted share of the question's content words
(stopwords dropped, plurals and -ing/-ed folded) that the article's title and example
questions use. A word no article uses counts as the rarest there is, so a question about
something the knowledge base never mentions agrees little with every article.

Japanese has no spaces and several ways to write a word (漢字, ひらがな, カタカナ): its words
are SudachiPy's (sudachidict-core), each in its normalised form (ケータイ and 携帯 are one word),
plus the character pairs of the text's reading in katakana, so that a question typed in kana
alone (「らいてんよやく」) meets the article that writes it in kanji (来店予約). Measured on
kb-dev-ja (README, "Knowledge search"): the readings lift the right article to first place
far more often than the words alone.

The index is two plain tables, the same on SQLite and PostgreSQL: for each language, how many
words each published article has, and how often it uses each of them (one row per article and
word, under the article's key: `article_keys`). Publishing, editing or archiving an article
changes its rows only. A word's document frequency is how many of its language's articles use
it, counted on the index of (language, word), so the frequencies are those of the question's
language. The candidates found by words are ranked by bm25 as SQLite's FTS5 ranked them when
the index was an FTS5 table (k1 1.2, b 0.75, its idf floor): the same articles, in the same
order.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from core.db import Database, Storage
from core.language import DEFAULT, normalise

if TYPE_CHECKING:
    from sudachipy import Tokenizer

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "know",
        "let",
        "like",
        "may",
        "me",
        "might",
        "much",
        "my",
        "need",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "over",
        "please",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "tell",
        "than",
        "that",
        "the",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "us",
        "very",
        "want",
        "was",
        "we",
        "were",
        "what",
        "whats",
        "when",
        "whens",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "yes",
        "you",
        "your",
    ]
)

# The words index: for each language, every indexed article's length in words (so that an
# article whose words are all stopwords still counts among the articles), and how often it
# uses each of its words; and the fingerprint of what the index was made from.
ARTICLES = "kb_lexical_articles"
TERMS = "kb_lexical_terms"
STAMPS = "kb_lexical_stamps"

# bm25's constants, as SQLite's FTS5 sets them (the words index was an FTS5 table).
K1 = 1.2
B = 0.75

_WORD = re.compile(r"[^\W_]+")


def fold(word: str) -> str:
    """A light stem: a plural -s, and -ing or -ed off longer words ("fees" meets "fee",
    "blocked" meets "blocking"; "boxes" and "box" do not, a price of staying simple)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    for suffix in ("ing", "ed"):
        if len(word) > 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def terms(text: str, language: str = DEFAULT) -> list[str]:
    """The content words of a text, lower-cased and folded (Japanese: see japanese_terms)."""
    if language == "ja":
        return japanese_terms(text)
    return [fold(w) for w in _WORD.findall(normalise(text).lower()) if w not in STOPWORDS]


# Parts of speech that carry no topic (particles, auxiliaries, punctuation), and verbs that
# say nothing by themselves (する, ある, いる, なる, できる), in Sudachi's normalised form.
FUNCTION_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号"})
JAPANESE_STOPWORDS = frozenset(
    ["為る", "有る", "居る", "成る", "出来る", "こと", "もの", "よう", "方", "何", "どう", "私"]
)
_SUDACHI_LOCK = threading.Lock()


@cache
def _sudachi() -> Tokenizer:
    from sudachipy import Dictionary

    return Dictionary(dict="core").create()


def katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def japanese_terms(text: str) -> list[str]:
    """Per line: the normalised forms of the content words (split finely, Sudachi's mode A),
    then the character pairs of the line's reading, as `r` + the pair."""
    from sudachipy import SplitMode

    out: list[str] = []
    for line in normalise(text).lower().splitlines():
        with _SUDACHI_LOCK:  # a Sudachi tokenizer is not safe to share between threads
            morphemes = [
                (m.part_of_speech()[0], m.normalized_form(), m.reading_form(), m.surface())
                for m in _sudachi().tokenize(line, SplitMode.A)
            ]
        reading = ""
        for pos, form, read, surface in morphemes:
            if pos in FUNCTION_POS:
                continue
            reading += katakana(read or surface)
            if form not in JAPANESE_STOPWORDS:
                out += _WORD.findall(form.lower())
        out += [
            "r" + reading[i : i + 2]
            for i in range(len(reading) - 1)
            if _WORD.fullmatch(reading[i : i + 2])
        ]
    return out


def bm25_idf(articles: int, using: int) -> float:
    """A word's weight in bm25, from how many articles there are and how many use it: as FTS5
    has it, never below a millionth (a word most articles use)."""
    idf = math.log((articles - using + 0.5) / (using + 0.5))
    return idf if idf > 0.0 else 1e-6


def write_words(db: Database, language: str, documents: Iterable[tuple[int, str]]) -> None:
    """Add `documents` (article key, text) to a language's words index: their length in words
    and how often each word occurs. Their keys must not be in it (see `forget_words`)."""
    articles: list[tuple[str, int, int]] = []
    rows: list[tuple[str, str, int, int, int]] = []
    for key, text in documents:
        words = terms(text, language)
        articles.append((language, key, len(words)))
        rows += [(language, word, key, n, len(words)) for word, n in Counter(words).items()]
    db.executemany(
        f"insert into {ARTICLES} (language, article_key, length) values (?, ?, ?)", articles
    )
    db.executemany(
        f"insert into {TERMS} (language, term, article_key, uses, length) values (?, ?, ?, ?, ?)",
        rows,
    )


def forget_words(db: Database, language: str, keys: Iterable[int]) -> None:
    """Take these articles out of a language's words index."""
    rows = [(language, key) for key in keys]
    for table in (TERMS, ARTICLES):
        db.executemany(f"delete from {table} where language = ? and article_key = ?", rows)


def stamp(db: Database, language: str, fingerprint: str | None) -> None:
    """Record what a language's words index was made from (None: not known, so it is rebuilt
    at the next start)."""
    db.execute(f"delete from {STAMPS} where language = ?", [language])
    if fingerprint is not None:
        db.execute(
            f"insert into {STAMPS} (language, fingerprint) values (?, ?)", [language, fingerprint]
        )


class LexicalIndex:
    """One language's words index, in tables both database engines have (kb_lexical_*, made
    by the package's migrations), under each article's key."""

    def __init__(self, storage: Storage, language: str = DEFAULT) -> None:
        self.storage = storage
        self.language = language
        self._count, self._words = self._size()

    def recount(self) -> None:
        """Another replica changed the index: its size, as the weights use it."""
        self._count, self._words = self._size()

    def _size(self) -> tuple[int, int]:
        """How many articles the index holds, and how many words they have in all."""
        row = self.storage.db.execute(
            f"select count(*), coalesce(sum(length), 0) from {ARTICLES} where language = ?",
            [self.language],
        ).fetchone()
        return int(row[0]), int(row[1])

    @property
    def fingerprint(self) -> str:
        row = self.storage.db.execute(
            f"select fingerprint from {STAMPS} where language = ?", [self.language]
        ).fetchone()
        return str(row[0]) if row else ""

    def rebuild(self, documents: Iterable[tuple[int, str]], fingerprint: str) -> None:
        """Replace every row: `documents` are (article key, text) of the published articles."""
        with self.storage.write() as db:
            for table in (TERMS, ARTICLES):
                db.execute(f"delete from {table} where language = ?", [self.language])
            write_words(db, self.language, documents)
            stamp(db, self.language, fingerprint)
        self._count, self._words = self._size()

    def refresh(
        self, removed: Iterable[int], documents: Iterable[tuple[int, str]], fingerprint: str
    ) -> None:
        """In place: drop the rows of `removed` keys, then add `documents`."""
        with self.storage.write() as db:
            forget_words(db, self.language, removed)
            write_words(db, self.language, documents)
            stamp(db, self.language, fingerprint)
        self._count, self._words = self._size()

    def _frequencies(self, words: Iterable[str]) -> dict[str, int]:
        """How many of the language's articles use each of these words (those some do)."""
        ordered = sorted(words)
        marks = ",".join("?" for _ in ordered)
        rows = self.storage.db.execute(
            f"select term, count(*) from {TERMS} where language = ? and term in ({marks})"
            " group by term",
            [self.language, *ordered],
        ).fetchall()
        return {term: int(n) for term, n in rows}

    def matching(self, question: str, limit: int) -> list[int]:
        """The keys of the `limit` articles that match the question's words best, by bm25 (as
        FTS5 scores it), so that an article the vectors rank far (a question in kana alone)
        can still be re-scored."""
        words = sorted(set(terms(question, self.language)))
        if not words or self._count == 0:
            return []
        n = self._count
        idf = {w: bm25_idf(n, df) for w, df in self._frequencies(words).items()}
        if not idf:
            return []
        weights = " ".join("when ? then ?" for _ in idf)
        # Each of the words' rows scores idf * f * (k1 + 1) / (f + k1 * (1 - b + b * length /
        # average length)); an article's score is its rows' sum. The rows are read first, from
        # the index of (language, term), so that grouping by article does not lead the planner
        # to read the language's every row in article order instead.
        rows = self.storage.db.execute(
            "with hits as materialized ("
            f" select article_key, (case term {weights} end) * (uses * ?"
            " / (uses + ? * (1 - ? + ? * length / ?))) as score"
            f" from {TERMS} where language = ? and term in ({','.join('?' for _ in idf)}))"
            " select article_key from hits group by article_key"
            " order by sum(score) desc, article_key limit ?",
            [
                *(value for pair in idf.items() for value in pair),
                K1 + 1.0,
                K1,
                B,
                B,
                self._words / n,
                self.language,
                *idf,
                limit,
            ],
        ).fetchall()
        return [int(key) for (key,) in rows]

    def agreement(self, question: str, keys: list[int]) -> dict[int, float]:
        """For each article key in `keys`: the idf-weighted share of the question's content
        words that the article uses, from 0 (none) to 1 (all)."""
        words = set(terms(question, self.language))
        if not words or not keys or self._count == 0:
            return {key: 0.0 for key in keys}
        frequency = self._frequencies(words)
        n = self._count
        weight = {w: math.log(1 + (n + 0.5) / (frequency.get(w, 0) + 0.5)) for w in words}
        total = sum(weight.values())
        ordered = sorted(words)
        rows = self.storage.db.execute(
            f"select article_key, term from {TERMS} where language = ?"
            f" and article_key in ({','.join('?' for _ in keys)})"
            f" and term in ({','.join('?' for _ in ordered)})",
            [self.language, *keys, *ordered],
        ).fetchall()
        found: dict[int, set[str]] = {}
        for key, term in rows:
            found.setdefault(int(key), set()).add(term)
        return {
            key: sum(weight[w] for w in words if w in found.get(key, ())) / total for key in keys
        }
