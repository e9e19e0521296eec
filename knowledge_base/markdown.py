"""Articles as a folder of Markdown files with YAML front matter, the way editors keep them in
git: `<id>.md` holding title, questions, skill and tags above the body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge_base.errors import ImportRejected
from knowledge_base.store import ArticleIn

FRONT_FIELDS = ("id", "title", "skill", "tags", "questions")


def to_markdown(article: dict[str, Any]) -> str:
    front = {key: article[key] for key in FRONT_FIELDS if key in article}
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n{article.get('body', '').strip()}\n"


def from_markdown(text: str, *, name: str) -> dict[str, Any]:
    """The article in a Markdown file; `name` (the file's stem) is its id unless it says one."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise ValueError("must start with front matter between '---' lines")
    # The front matter ends at the next line that is only '---' (a title may hold '---').
    end = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() == "---"), None)
    if end is None:
        raise ValueError("unreadable front matter (no closing '---' line)")
    header, body = "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])
    try:
        front = yaml.safe_load(header) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"unreadable front matter ({exc.__class__.__name__})") from exc
    if not isinstance(front, dict):
        raise ValueError("front matter must be a mapping of fields")
    return {"id": name, **front, "body": body.strip()}


def read_folder(folder: Path) -> list[ArticleIn]:
    """Every `*.md` in the folder, validated; all or nothing, naming each bad file."""
    articles: list[ArticleIn] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    files = sorted(folder.glob("*.md"))
    for path in files:
        try:
            raw = from_markdown(path.read_text(encoding="utf-8-sig"), name=path.stem)
            article = ArticleIn.model_validate(raw)
        except ValidationError as exc:
            problems += [
                f"{path.name}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            ]
            continue
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if article.id in seen:
            problems.append(f"{path.name}: id {article.id!r} already used by {seen[article.id]}")
            continue
        seen[article.id] = path.name
        articles.append(article)
    if not files:
        problems.append(f"{folder} holds no .md files")
    if problems:
        raise ImportRejected(problems)
    return articles


def write_folder(articles: list[dict[str, Any]], folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        (folder / f"{article['id']}.md").write_text(to_markdown(article), encoding="utf-8")
    return len(articles)
