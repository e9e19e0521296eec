"""Which language an article is written in and which articles a question searches.

The language of a text is core.language's: Japanese by script (kana or kanji, however short),
English otherwise. A question is searched among the articles of its language; a message in a
language Cascade does not read is searched among the English articles, as before languages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from core.language import DEFAULT, detect, japanese_script, normalise
from knowledge_base.store import ArticleIn

JAPANESE = "ja"


def by_script(text: str) -> str:
    """Japanese when it has kana, or at least half of its letters are kanji (core.language.detect's
    rule 3, the only way it decides Japanese), else English. Cheap: no language model."""
    return JAPANESE if japanese_script([c for c in normalise(text) if c.isalpha()]) else DEFAULT


def question_language(text: str) -> str:
    """The articles a question searches: those of its language."""
    return by_script(text)


def article_language(texts: Sequence[str]) -> str:
    """The language most of an article's title and example questions are written in, as
    core.language.detect reads each; ties go to the title's. Lingua is asked only when an
    article mixes scripts: Latin-only articles are English, kana/kanji-only ones Japanese."""
    scripts = [by_script(t) for t in texts if t.strip()]
    if not scripts:
        return DEFAULT
    if len(set(scripts)) == 1:
        return scripts[0]
    votes = Counter(
        language for t in texts if t.strip() and (language := detect(t).language) is not None
    )
    if not votes:
        return DEFAULT
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return scripts[0]
    return ranked[0][0]


def with_language(article: ArticleIn) -> ArticleIn:
    """The article with its language: as given, else the one its title and example questions
    are written in."""
    if article.language is not None:
        return article
    language = article_language([article.title, *article.questions])
    return article.model_copy(update={"language": language})
