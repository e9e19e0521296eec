"""Lexical agreement between a question and an article, from an SQLite FTS5 table.

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

Each language has its own table, so document frequencies are those of its own articles. The
table holds one row per published article (rowid = the article's rowid), so publishing,
editing or archiving an article changes one row in place; document frequencies come from FTS5's
own vocabulary table.
"""

from __future__ import annotations

import math
import re
import threading
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

TABLE = "kb_lexical"
VOCAB = "kb_lexical_vocab"
STAMP = "kb_lexical_stamp"

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


def table_names(language: str = DEFAULT) -> tuple[str, str, str]:
    """A language's FTS5 table, its vocabulary table and its fingerprint table."""
    suffix = "" if language == DEFAULT else f"_{language}"
    return f"{TABLE}{suffix}", f"{VOCAB}{suffix}", f"{STAMP}{suffix}"


class LexicalIndex:
    def __init__(self, storage: Storage, language: str = DEFAULT) -> None:
        self.storage = storage
        self.language = language
        self.table, self.vocab, self.stamp = table_names(language)
        with storage.write() as db:
            db.execute(
                f"create virtual table if not exists {self.table} using fts5"
                "(terms, tokenize = 'unicode61 remove_diacritics 0')"
            )
            db.execute(
                f"create virtual table if not exists {self.vocab} using fts5vocab({self.table}, 'row')"
            )
            db.execute(f"create table if not exists {self.stamp} (fingerprint text not null)")
        self._count = self._rows()

    def recount(self) -> None:
        """Another replica changed the table: its count of articles, as the weights use it."""
        self._count = self._rows()

    def _rows(self) -> int:
        return int(self.storage.db.execute(f"select count(*) from {self.table}").fetchone()[0])

    @property
    def fingerprint(self) -> str:
        row = self.storage.db.execute(f"select fingerprint from {self.stamp}").fetchone()
        return str(row[0]) if row else ""

    def rebuild(self, documents: Iterable[tuple[int, str]], fingerprint: str) -> None:
        """Replace every row: `documents` are (article rowid, text) of the published articles."""
        with self.storage.write() as db:
            db.execute(f"delete from {self.table}")
            self._insert(db, documents)
            self._stamp(db, fingerprint)
        self._count = self._rows()

    def refresh(
        self, removed: Iterable[int], documents: Iterable[tuple[int, str]], fingerprint: str
    ) -> None:
        """In place: drop the rows of `removed` rowids, then add `documents`."""
        with self.storage.write() as db:
            db.executemany(f"delete from {self.table} where rowid = ?", [(k,) for k in removed])
            self._insert(db, documents)
            self._stamp(db, fingerprint)
        self._count = self._rows()

    def _insert(self, db: Database, documents: Iterable[tuple[int, str]]) -> None:
        rows = [(key, " ".join(terms(text, self.language))) for key, text in documents]
        db.executemany(f"insert into {self.table} (rowid, terms) values (?, ?)", rows)

    def _stamp(self, db: Database, fingerprint: str) -> None:
        db.execute(f"delete from {self.stamp}")
        db.execute(f"insert into {self.stamp} (fingerprint) values (?)", [fingerprint])

    def matching(self, question: str, limit: int) -> list[int]:
        """The rowids of the `limit` articles that match the question's words best (FTS5's
        bm25), so that an article the vectors rank far (a question in kana alone) can still be
        re-scored."""
        words = sorted(set(terms(question, self.language)))
        if not words or self._count == 0:
            return []
        expression = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = self.storage.db.execute(
            f"select rowid from {self.table} where {self.table} match ?"
            f" order by bm25({self.table}) limit ?",
            [expression, limit],
        ).fetchall()
        return [int(key) for (key,) in rows]

    def agreement(self, question: str, keys: list[int]) -> dict[int, float]:
        """For each article rowid in `keys`: the idf-weighted share of the question's content
        words that the article uses, from 0 (none) to 1 (all)."""
        words = set(terms(question, self.language))
        if not words or not keys or self._count == 0:
            return {key: 0.0 for key in keys}
        db = self.storage.db
        marks = ",".join("?" for _ in words)
        frequency = dict(
            db.execute(
                f"select term, doc from {self.vocab} where term in ({marks})", sorted(words)
            ).fetchall()
        )
        n = self._count
        weight = {w: math.log(1 + (n + 0.5) / (frequency.get(w, 0) + 0.5)) for w in words}
        total = sum(weight.values())
        key_marks = ",".join("?" for _ in keys)
        rows = db.execute(
            f"select rowid, terms from {self.table} where rowid in ({key_marks})", keys
        ).fetchall()
        found = {int(key): set(text.split()) for key, text in rows}
        return {
            key: sum(weight[w] for w in words if w in found.get(key, ())) / total for key in keys
        }
