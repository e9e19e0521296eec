"""Replay before go-live: `cascade replay`, the test run over HTTP and the counting they share."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cascade.app import create_app
from cascade.cli import app as cli
from core.settings import Settings
from knowledge_base.errors import ImportRejected
from knowledge_base.replay import Row, as_csv, parse_questions, summarize
from tests.helpers import ADMIN, ADMIN_HEADERS, ROOT

LABELLED = ROOT / "tests" / "data" / "replay-demo.jsonl"


def row(decision: str, article: str | None, expected: str | None, **kw) -> Row:
    return Row(
        text=kw.get("text", "q"),
        decision=decision,
        article_id=article,
        skill=kw.get("skill", "cards" if article else None),
        choices=kw.get("choices", []),
        score=0.5,
        expected=expected,
        labelled=kw.get("labelled", True),
        to_person=kw.get("to_person"),
    )


def test_counting_by_hand() -> None:
    rows = [
        row("answer", "a", "a", to_person="a"),  # right, and a person takes it from there
        row("answer", "b", "a"),  # wrong
        row("clarify", "c", "a", choices=["c", "a"]),  # right among the choices
        row("clarify", "c", "a", choices=["c", "d"]),  # choices, none right
        row("escalate", None, "a"),  # answerable, escalated
        row("answer", "a", None),  # out of scope, answered
        row("escalate", None, None),  # out of scope, kept
        row("answer", "a", None, labelled=False),  # unlabelled
    ]
    f = summarize(rows).figures
    assert (f.questions, f.in_scope, f.out_of_scope) == (8, 5, 2)
    assert (f.correct, f.wrong, f.helpful) == (0.2, 0.2, 0.4)
    assert f.out_of_scope_answered == 0.5
    assert (f.answered, f.choices, f.escalated) == (0.5, 0.25, 0.25)
    assert f.to_person == 0.125
    by_article = {g.name: (g.questions, g.to_person) for g in summarize(rows).articles}
    assert by_article["a"] == (3, 1)


def test_a_bad_file_names_every_bad_line() -> None:
    text = '{"text": "fine"}\nnot json\n{"question": "x"}\n{"text": "ok", "expected": 3}\n'
    with pytest.raises(ImportRejected) as caught:
        parse_questions(text)
    assert [p.split(":")[0] for p in caught.value.problems] == ["line 2", "line 3", "line 4"]


def test_absent_expected_is_unlabelled_and_null_is_out_of_scope() -> None:
    questions = parse_questions('{"text": "a"}\n{"text": "b", "expected": null}\n')
    assert [(q.labelled, q.expected) for q in questions] == [(False, None), (True, None)]


@pytest.mark.model
def test_cli_and_test_run_give_the_same_figures(tmp_path, real_embedder, monkeypatch) -> None:
    """The editor's test run (HTTP) and `cascade replay` (the CLI, on the same data directory)
    count the same outcomes for the same questions."""
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN, rasa_url="")
    with TestClient(create_app(settings, embedder=real_embedder)) as client:
        articles = (ROOT / "data" / "kb" / "articles.jsonl").read_bytes()
        client.post("/api/kb/import", content=articles, headers=ADMIN_HEADERS).raise_for_status()
        response = client.post(
            "/api/kb/replay", content=LABELLED.read_bytes(), headers=ADMIN_HEADERS
        )
        assert response.status_code == 200
        over_http = response.json()
        bad = client.post("/api/kb/replay", content=b"nope\n", headers=ADMIN_HEADERS)
        assert bad.status_code == 422 and bad.json()["problems"][0].startswith("line 1")

    f = over_http["figures"]
    assert (f["questions"], f["in_scope"], f["out_of_scope"]) == (17, 11, 4)
    assert f["wrong"] == 0.0 and f["out_of_scope_answered"] == 0.0
    assert f["helpful"] >= 0.9

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "outcomes.csv"
    result = CliRunner().invoke(
        cli, ["replay", str(LABELLED), "--data-dir", str(tmp_path), "--csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first == (
        f"17 questions: answered {f['answered']:.3f}, choices {f['choices']:.3f},"
        f" escalated {f['escalated']:.3f}"
    )
    assert f"helpful {f['helpful']:.3f}" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["decision"] for r in rows] == [r["decision"] for r in over_http["rows"]]
    # A question about a death in the family: the bot hands it to a person, and both say so.
    assert [r["to_person"] for r in rows] == [r["to_person"] or "" for r in over_http["rows"]]
    assert "bereavement" in [r["to_person"] for r in rows]
    assert f"sent to a person at once for a sensitive article {f['to_person']:.3f}" in result.output
    # `cascade kb search` goes by the same rule.
    searched = CliRunner().invoke(
        cli, ["kb", "search", "my wife passed away last week", "--data-dir", str(tmp_path)]
    )
    assert searched.exit_code == 0, searched.output
    assert "to a person at once: bereavement is tagged sensitive" in searched.output
    assert rows[0]["text"] == json.loads(LABELLED.read_text().splitlines()[0])["text"]


def test_csv_keeps_every_question() -> None:
    rows = [row("clarify", "c", "a", choices=["c", "a"], text='say "hi", then go')]
    parsed = list(csv.DictReader(io.StringIO(as_csv(rows))))
    assert parsed == [
        {
            "text": 'say "hi", then go',
            "decision": "clarify",
            "article_id": "c",
            "choices": "c a",
            "to_person": "",
            "score": "0.5",
            "expected": "a",
            "verdict": "choice right",
        }
    ]


def test_a_question_a_spreadsheet_would_run_is_kept_as_text() -> None:
    parsed = list(csv.DictReader(io.StringIO(as_csv([row("escalate", None, None, text="=1+1")]))))
    assert parsed[0]["text"] == "'=1+1"
