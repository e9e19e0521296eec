"""`cascade kb`: the knowledge base from the command line: import and export (JSON Lines or a
folder of Markdown files) and search as the bot searches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

kb_app = typer.Typer(help="The knowledge base.", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the database and indexes live.")
]


def _knowledge_base(data_dir: Path | None):
    from cascade.cli import _knowledge_base as with_model

    return with_model(data_dir)


def _services_without_model(data_dir: Path | None):
    from cascade.cli import _services_without_model as without

    return without(data_dir)


@kb_app.command("import")
def kb_import(
    path: Annotated[
        Path, typer.Argument(exists=True, help="A JSON Lines file, or a folder of Markdown files.")
    ],
    data_dir: DataDir = None,
) -> None:
    """Import articles from a JSON Lines file or a folder of Markdown files, all or nothing.

    Each article keeps the status its line or its front matter gives (published when it
    gives none)."""
    from knowledge_base.errors import ImportRejected
    from knowledge_base.importing import read_jsonl
    from knowledge_base.markdown import no_body_note, read_folder

    try:
        text = None if path.is_dir() else path.read_text(encoding="utf-8-sig")
        articles = read_folder(path) if text is None else read_jsonl(text)
    except ImportRejected as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1) from exc
    services = _knowledge_base(data_dir)
    count = services.kb.import_with_status(articles, author="cli")
    typer.echo(f"imported {count} articles{no_body_note(articles)}")


@kb_app.command("export")
def kb_export(
    target: Annotated[Path, typer.Argument(help="A .jsonl file, or a folder for Markdown files.")],
    data_dir: DataDir = None,
    markdown: Annotated[bool, typer.Option(help="One Markdown file per article.")] = False,
) -> None:
    """Export every article with its status (archived ones too), re-importable with `kb import`."""
    from knowledge_base.markdown import write_folder

    articles = _services_without_model(data_dir).kb.export()
    if markdown:
        write_folder(articles, target)
    else:
        target.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles))
    typer.echo(f"exported {len(articles)} articles to {target}")


@kb_app.command("search")
def kb_search(
    text: Annotated[str, typer.Argument(help="What a customer might ask.")],
    data_dir: DataDir = None,
    limit: Annotated[int, typer.Option(help="How many results.")] = 5,
) -> None:
    """Search the knowledge base as the bot does, showing the decision and scores.

    Also names the article tagged sensitive that sends the question to a person at once."""
    from knowledge_base.search import sent_to_person

    kb = _knowledge_base(data_dir).kb
    outcome = kb.search(text, limit=limit)
    typer.echo(f"decision: {outcome.decision.value}")
    for hit in outcome.results:
        typer.echo(f"  {hit.score:.3f}  {hit.article_id:<36} {hit.title}  [{hit.skill}]")
    if person := sent_to_person(kb, text, outcome):
        typer.echo(f"to a person at once: {person.article_id} is tagged sensitive")
