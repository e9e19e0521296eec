"""Articles as Markdown files with YAML front matter, the way editors keep them in git:
`<id>.md` holding title, questions, skill, tags and status above the body; as a folder (the
CLI) or as a zip of such files (the HTTP API)."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

from knowledge_base.errors import ImportRejected
from knowledge_base.ids import ALPHABET, SHORT, slug
from knowledge_base.store import ARTICLE_ID, ArticleIn

FRONT_FIELDS = ("id", "title", "skill", "tags", "questions", "language", "status")
STATUSES = ("draft", "published", "archived")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


def to_markdown(article: dict[str, Any]) -> str:
    front = {key: article[key] for key in FRONT_FIELDS if key in article}
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n{article.get('body', '').strip()}\n"


def file_id(name: str) -> str:
    """The id a file's name gives an article whose front matter names none: the name itself when
    it is a usable id; else a slug of it (`Reset password.md` -> `reset-password`); else, for a
    name in Japanese (`返品について.md`), a short id drawn from the name, the same on every import,
    so importing the file again updates the article instead of adding another."""
    if ARTICLE_ID.fullmatch(name):
        return name
    made = slug(name)
    if made is None:
        digest = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")
        made = "a-" + "".join(ALPHABET[digest >> (5 * i) & 31] for i in range(SHORT))
    return made


def from_markdown(text: str, *, name: str) -> dict[str, Any]:
    """The article in a Markdown file; `name` (the file's stem) gives its id unless it says one
    (`file_id`)."""
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
    # Written as one line: tags at commas (、 and ， too), as the editor splits them; a question.
    if isinstance(front.get("tags"), str):
        front["tags"] = [t.strip() for t in re.split(r"[,、，]", front["tags"]) if t.strip()]
    if isinstance(front.get("questions"), str):
        front["questions"] = [front["questions"]]
    return {"id": file_id(name), **front, "body": body.strip()}


def unanswered(article: ArticleIn, status: str) -> bool:
    """An imported article with no body, which is a draft (published, customers would be
    answered with its title alone; see `status_given`)."""
    return status == "draft" and not article.body.strip()


def status_given(article: ArticleIn, status: str) -> str:
    """The status an imported article takes: the one it gives, but a draft for a published
    one with no body (an editor still has to write its answer)."""
    return "draft" if status == "published" and not article.body.strip() else status


def no_body_note(articles: list[tuple[ArticleIn, str]]) -> str:
    """What the CLI adds to its count when articles were kept as drafts for want of a body."""
    drafts = without_body(articles)
    return f"; kept as drafts, with no body: {', '.join(drafts)}" if drafts else ""


def without_body(articles: list[tuple[ArticleIn, str]]) -> list[str]:
    """The ids of the imported articles kept as drafts for want of a body."""
    return [article.id for article, status in articles if unanswered(article, status)]


def parse_files(files: Iterable[tuple[str, bytes]]) -> list[tuple[ArticleIn, str]]:
    """Named Markdown files as validated articles, each with its status (published unless it
    says otherwise); all or nothing, naming each bad file."""
    articles: list[tuple[ArticleIn, str]] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for name, data in files:
        try:
            fields = from_markdown(data.decode("utf-8-sig"), name=PurePosixPath(name).stem)
            status = fields.pop("status", "published")
            if status not in STATUSES:
                problems.append(f"{name}: status: must be one of {', '.join(STATUSES)}")
                continue
            article = ArticleIn.model_validate(fields)
        except UnicodeDecodeError as exc:
            problems.append(f"{name}: not UTF-8 text (byte {exc.start})")
            continue
        except ValidationError as exc:
            problems += [
                f"{name}: {'.'.join(map(str, e['loc'])) or 'article'}: {e['msg']}"
                for e in exc.errors()
            ]
            continue
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if article.id in seen:
            problems.append(f"{name}: id {article.id!r} already used by {seen[article.id]}")
            continue
        seen[article.id] = name
        articles.append((article, status_given(article, status)))
    if problems:
        raise ImportRejected(problems)
    return articles


def read_folder(folder: Path) -> list[tuple[ArticleIn, str]]:
    """Every `*.md` in the folder (see `parse_files`)."""
    files = sorted(folder.glob("*.md"))
    if not files:
        raise ImportRejected([f"{folder} holds no .md files"])
    return parse_files((path.name, path.read_bytes()) for path in files)


def write_folder(articles: list[dict[str, Any]], folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        (folder / f"{article['id']}.md").write_text(to_markdown(article), encoding="utf-8")
    return len(articles)


def write_zip(articles: list[dict[str, Any]]) -> bytes:
    """The folder `write_folder` makes, as a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for article in articles:
            bundle.writestr(f"{article['id']}.md", to_markdown(article))
    return buffer.getvalue()


class ZipRead(NamedTuple):
    articles: list[tuple[ArticleIn, str]]
    skipped: list[str]  # files that are not Markdown, by name (an editor wants to know)


def read_zip(raw: bytes) -> ZipRead:
    """Every `.md` file in the zip, in any folder (see `parse_files`), and the names of the
    other files, which are skipped. Folders and hidden files (`.DS_Store`, `__MACOSX/`) are
    left out silently; oversized files and zips are refused."""
    try:
        bundle = zipfile.ZipFile(io.BytesIO(raw))
        entries = [
            info
            for info in bundle.infolist()
            if not info.is_dir()
            and not any(part.startswith((".", "__MACOSX")) for part in info.filename.split("/"))
        ]
        members = [info for info in entries if info.filename.lower().endswith(".md")]
        skipped = sorted(i.filename for i in entries if not i.filename.lower().endswith(".md"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise ImportRejected([f"the body is not a readable zip file ({exc})"]) from exc
    if not members:
        raise ImportRejected(["the zip holds no .md files"])
    files: list[tuple[str, bytes]] = []
    problems: list[str] = []
    unpacked = 0
    for info in sorted(members, key=lambda info: info.filename):
        try:
            with bundle.open(info) as member:
                data = member.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error) as exc:
            problems.append(f"{info.filename}: cannot be unpacked ({exc})")
            continue
        if len(data) > MAX_FILE_BYTES:
            problems.append(f"{info.filename}: larger than {MAX_FILE_BYTES} bytes")
            continue
        unpacked += len(data)
        if unpacked > MAX_UNPACKED_BYTES:
            raise ImportRejected([f"the zip unpacks to more than {MAX_UNPACKED_BYTES} bytes"])
        files.append((info.filename, data))
    try:
        articles = parse_files(files)
    except ImportRejected as exc:
        problems += exc.problems
    if problems:  # in file order, as they would be read
        raise ImportRejected(sorted(problems, key=lambda problem: problem.split(": ")[0]))
    return ZipRead(articles, skipped)
