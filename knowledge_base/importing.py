"""Reading an import file: JSON Lines, one article per line, validated as a whole (Markdown
files are read by knowledge_base/markdown.py). A line may say its `status`, as an export writes
it: a draft or an archived article imported is not published, nor is one with no body."""

from __future__ import annotations

import json

from pydantic import ValidationError

from knowledge_base.errors import ImportRejected
from knowledge_base.markdown import STATUSES, status_given
from knowledge_base.store import ArticleIn


def parse_jsonl(text: str) -> list[ArticleIn]:
    """The articles of a JSON Lines file (a data set's, whose lines say no status)."""
    return [article for article, _ in read_jsonl(text)]


def read_jsonl(text: str) -> list[tuple[ArticleIn, str]]:
    """Parse and validate a whole JSON Lines file, or reject it naming every bad line; each
    article with the status its line gives (published when it gives none)."""
    articles: list[tuple[ArticleIn, str]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    # Only \n ends a line: JSON strings may hold U+2028 and the like, which splitlines() splits.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        except RecursionError:
            problems.append(f"line {number}: nested too deeply")
            continue
        if not isinstance(raw, dict):
            problems.append(f"line {number}: expected a JSON object")
            continue
        status = raw.get("status", "published")
        if status not in STATUSES:
            problems.append(f"line {number}: status: must be one of {', '.join(STATUSES)}")
            continue
        try:
            article = ArticleIn.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"]) or "article"
                problems.append(f"line {number}: {where}: {error['msg']}")
            continue
        if article.id in seen:
            problems.append(
                f"line {number}: id {article.id!r} already used on line {seen[article.id]}"
            )
            continue
        seen[article.id] = number
        articles.append((article, status_given(article, status)))
    if not articles and not problems:
        problems.append("the file holds no articles")
    if problems:
        raise ImportRejected(problems)
    return articles
