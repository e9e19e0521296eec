"""Articles as Markdown files with front matter: what editors keep in git."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cascade.cli import app
from knowledge_base.errors import ImportRejected
from knowledge_base.markdown import read_folder, to_markdown, write_folder
from tests.factories import jsonl
from tests.helpers import ROOT

FIELDS = ("id", "title", "body", "questions", "skill", "tags")


def demo_articles() -> list[dict]:
    lines = (ROOT / "data" / "kb" / "articles.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_folder_round_trip_keeps_every_field(tmp_path) -> None:
    articles = demo_articles()
    assert write_folder(articles, tmp_path) == len(articles)
    back = {a.id: a.model_dump() for a, _status in read_folder(tmp_path)}
    assert [{k: back[a["id"]][k] for k in FIELDS} for a in articles] == [
        {k: a[k] for k in FIELDS} for a in articles
    ]
    text = (tmp_path / "freeze-unfreeze-card.md").read_text()
    assert text.startswith("---\nid: freeze-unfreeze-card\ntitle: Freeze or unfreeze your card\n")


def test_bad_files_are_named_and_nothing_is_imported(tmp_path) -> None:
    (tmp_path / "good.md").write_text(to_markdown({"id": "good", "title": "Good", "body": "Fine."}))
    (tmp_path / "no-front.md").write_text("Just text")
    (tmp_path / "no-title.md").write_text("---\nskill: cards\n---\nBody")
    (tmp_path / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody")
    with pytest.raises(ImportRejected) as rejected:
        read_folder(tmp_path)
    problems = " | ".join(rejected.value.problems)
    assert "no-front.md: must start with front matter" in problems
    assert "no-title.md: title: Field required" in problems
    assert "broken.md: unreadable front matter" in problems
    assert "good.md" not in problems


def test_cli_exports_what_the_api_imported(client, admin, settings, tmp_path) -> None:
    client.post("/api/kb/import", content=jsonl(*demo_articles()[:5]), headers=admin)
    runner = CliRunner()
    folder = tmp_path / "kb"
    result = runner.invoke(
        app, ["kb", "export", str(folder), "--markdown", "--data-dir", str(settings.data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(
        a["id"] for a in demo_articles()[:5]
    )
    target = tmp_path / "kb.jsonl"
    result = runner.invoke(app, ["kb", "export", str(target), "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    assert {a["id"]: {k: a[k] for k in FIELDS} for a in exported} == {
        a["id"]: {k: a[k] for k in FIELDS} for a in demo_articles()[:5]
    }
    assert {a.id for a, _status in read_folder(folder)} == {a["id"] for a in exported}


def test_cli_exports_from_a_directory_older_than_the_model_record(
    client, admin, settings, tmp_path
) -> None:
    """A data directory from before the model was noted, opened by a command that loads no
    model: it is read as it is, nothing is embedded again, nothing fails."""
    client.post("/api/kb/import", content=jsonl(*demo_articles()[:3]), headers=admin)
    storage = client.app.state.services.storage  # type: ignore[attr-defined]
    with storage.write() as db:
        db.execute("delete from kb_embedder")
    target = tmp_path / "kb.jsonl"
    result = CliRunner().invoke(
        app, ["kb", "export", str(target), "--data-dir", str(settings.data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert len(target.read_text().splitlines()) == 3


@pytest.mark.model
def test_cli_import_keeps_an_article_without_a_body_as_a_draft_and_says_so(
    tmp_path, monkeypatch
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text(to_markdown({"id": "good", "title": "Good", "body": "Fine."}))
    (folder / "todo.md").write_text("---\ntitle: Still to write\n---\n")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data_dir = ["--data-dir", str(tmp_path / "data")]
    result = CliRunner().invoke(app, ["kb", "import", str(folder), *data_dir])
    assert result.exit_code == 0, result.output
    assert result.output == "imported 2 articles; kept as drafts, with no body: todo\n"
    exported = tmp_path / "kb.jsonl"
    CliRunner().invoke(app, ["kb", "export", str(exported), *data_dir])
    statuses = {a["id"]: a["status"] for a in map(json.loads, exported.read_text().splitlines())}
    assert statuses == {"good": "published", "todo": "draft"}
