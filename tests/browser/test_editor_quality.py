"""The knowledge editor's Quality and Test run views in a real browser against the real app (real
embedding model, a knowledge base of its own): an editor imports articles and reads what the
calibration expects and which two articles blur; sharpening one away (archiving it) is seen at
once; a labelled file of past questions runs through the bot's decision, with the figures, the
per-article rows and a CSV of every question, and a bad file names its bad lines."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from knowledge_base.replay import CSV_FIELDS, Row, as_csv
from tests.helpers import ADMIN, ADMIN_HEADERS, app_process

pytestmark = [pytest.mark.browser, pytest.mark.model]


def article(article_id: str, title: str, skill: str, questions: list[str], **more) -> dict:
    return {
        "id": article_id,
        "title": title,
        "body": f"{title}: what to do.",
        "skill": skill,
        "questions": questions,
        **more,
    }


ARTICLES = [
    article(
        "card-arrival",
        "Card arrival",
        "cards",
        [
            "my card has not arrived yet",
            "when will my card arrive",
            "still waiting for my new card",
            "is my card delivery late",
            "card hasn't been delivered to me",
        ],
    ),
    article(
        "card-delivery",
        "Card delivery",
        "cards",
        [
            "when will my card be delivered",
            "how is my card delivered",
            "my new card has not come",
            "card delivery time",
            "where is my card in the post",
        ],
    ),
    article(
        "freeze-card",
        "Freeze your card",
        "cards",
        [
            "how do i freeze my card",
            "lock my card temporarily",
            "pause my debit card",
            "block card for now",
            "unfreeze my card",
        ],
    ),
    article(
        "reset-password",
        "Reset your password",
        "accounts",
        [
            "i forgot my password",
            "reset my login password",
            "cannot log in password wrong",
            "change my password",
            "password reset email not received",
        ],
    ),
    article(
        "international-transfer",
        "Send money abroad",
        "payments",
        [
            "send money to another country",
            "international transfer fees",
            "how long does a transfer abroad take",
            "transfer euros to spain",
            "swift payment overseas",
        ],
    ),
    article(
        "close-account",
        "Close your account",
        "accounts",
        [
            "close my account",
            "i want to cancel my account",
            "delete my bank account",
            "how do i shut my account",
            "end my membership and close the account",
        ],
        tags=["sensitive"],  # a person talks a leaving customer through it
    ),
]

QUESTIONS = [
    {"text": "I forgot my password and cannot sign in", "expected": "reset-password"},
    {"text": "please freeze my debit card", "expected": "freeze-card"},
    {"text": "how much is it to send money to france", "expected": "international-transfer"},
    {"text": "i want to close my account", "expected": "close-account"},
    {"text": "my card still hasn't arrived", "expected": "card-arrival"},
    {"text": "how do I lock my card", "expected": "reset-password"},  # labelled wrongly
    {"text": "what's the weather like tomorrow", "expected": None},
    {"text": 'recommend a good pizza place, "cheap" please', "expected": None},
    {"text": "book me a flight to paris"},
]


def lines(items: list[dict]) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


@pytest.fixture
def kb_app(tmp_path_factory) -> Iterator[str]:
    """An app of its own: the calibration is the knowledge base's, so no other test's articles."""
    with app_process(tmp_path_factory.mktemp("quality")) as url:
        yield url


def calibration(url: str) -> dict:
    response = httpx.get(f"{url}/api/kb/calibration", headers=ADMIN_HEADERS, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def about(share: float) -> str:
    """The page's plain-words share (editor/shares.js): whole percents, a decimal under 10%."""
    whole = math.floor(share * 100 + 0.5)
    return f"{whole if whole >= 10 else math.floor(share * 1000 + 0.5) / 10:g}%"


def to_person(c: dict) -> str:
    """The end of the page's sentence: the share that goes to a person, when there is one."""
    rest = max(1 - c["answered"] - c["choices"], 0)
    return "." if about(rest) == about(0) else f"; the rest, {about(rest)}, go to a person."


def exact(share: float) -> str:
    return f"{math.floor(share * 1000 + 0.5) / 10:.1f}%"


def open_view(page, url: str, name: str) -> None:
    page.goto(f"{url}/editor#token={ADMIN}")
    expect(page.locator("#workspace")).to_be_visible()
    page.get_by_role("button", name=name, exact=True).click()


def test_quality_says_what_to_expect_and_which_articles_blur(kb_app, page, tmp_path, shoot):
    open_view(page, kb_app, "Quality")
    # No example questions yet: nothing to calibrate on, and the page says so.
    expect(page.locator("#quality-note")).to_contain_text("Not calibrated: the standard limits")
    expect(page.locator("#quality-summary")).to_contain_text("0 example questions")
    expect(page.locator("#quality-expectation")).to_have_count(0)

    page.get_by_role("button", name="Articles", exact=True).click()
    page.get_by_text("Import and export").click()
    file = tmp_path / "articles.jsonl"
    file.write_text(lines(ARTICLES))
    page.set_input_files("#import-file", str(file))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#transfer-message")).to_have_text(
        "Imported 6 articles from articles.jsonl."
    )

    c = calibration(kb_app)
    assert c["calibrated"] and (c["articles"], c["examples"]) == (6, 30)
    pair = next(p for p in c["confusable"] if {p["first"], p["second"]} >= {"card-arrival"})
    assert {pair["first_title"], pair["second_title"]} == {"Card arrival", "Card delivery"}
    page.get_by_role("button", name="Quality", exact=True).click()
    expect(page.locator("#quality-expectation")).to_have_text(
        f"About {about(c['answered'])} of questions like your examples are answered:"
        f" {about(max(c['answered'] - c['wrong'], 0))} rightly and {about(c['wrong'])} wrongly."
        f" {about(c['choices'])} get choices{to_person(c)}"
    )
    expect(page.locator("#quality-note")).to_have_count(0)
    expect(page.locator("#quality-limits")).to_contain_text(
        f"Limits: answer from a score of {c['limits']['answer']:.3f}"
    )
    expect(page.locator("#quality-limits")).to_contain_text(
        "Fitted on 30 example questions in 6 published articles"
    )
    blur = page.locator("#confusable-list li", has_text="Card arrival")
    expect(blur).to_have_text(
        f"{pair['first_title']} ↔ {pair['second_title']}: {pair['stolen']} of"
        f" {pair['examples']} example questions land on the other"
    )
    shoot(page, "editor-quality")

    # Each title opens its article; archiving one of the two is seen in Quality at once.
    blur.get_by_role("button", name="Card delivery").click()
    expect(page.locator("#view-articles")).to_be_visible()
    expect(page.locator("#editor-heading")).to_have_text("Card delivery")
    page.get_by_role("button", name="Archive", exact=True).click()
    expect(page.locator("#editor-status")).to_have_text("archived")
    page.get_by_role("button", name="Quality", exact=True).click()
    expect(page.locator("#quality-limits")).to_contain_text(
        "Fitted on 25 example questions in 5 published articles"
    )
    expect(page.locator("#confusable-list li", has_text="Card delivery")).to_have_count(0)
    after = calibration(kb_app)
    expect(page.locator("#quality-expectation")).to_contain_text(
        f"About {about(after['answered'])} of questions like your examples are answered"
    )

    # Each language has its own calibration: Japanese has no articles here yet.
    expect(page.locator("#quality-language")).to_have_value("en")
    page.get_by_label("Articles in").select_option(label="Japanese · 日本語")
    expect(page.locator("#quality-note")).to_contain_text("Not calibrated: the standard limits")
    expect(page.locator("#quality-summary")).to_contain_text("0 example questions")
    page.get_by_label("Articles in").select_option("en")
    expect(page.locator("#quality-limits")).to_contain_text(
        "Fitted on 25 example questions in 5 published articles"
    )
    assert page.errors == []


def test_a_test_run_shows_figures_per_article_and_gives_the_rows_as_csv(
    kb_app, page, tmp_path, shoot
):
    imported = httpx.post(
        f"{kb_app}/api/kb/import", content=lines(ARTICLES), headers=ADMIN_HEADERS, timeout=120
    )
    assert imported.status_code == 200, imported.text
    file = tmp_path / "past-questions.jsonl"
    file.write_text(lines(QUESTIONS))
    ran = httpx.post(
        f"{kb_app}/api/kb/replay", content=file.read_bytes(), headers=ADMIN_HEADERS, timeout=120
    )
    assert ran.status_code == 200, ran.text
    report = ran.json()
    f = report["figures"]
    rows = report["rows"]
    verdicts = [row["verdict"] for row in rows]
    assert (f["questions"], f["in_scope"], f["out_of_scope"]) == (9, 6, 2)
    assert verdicts[5] != "right" and verdicts[-1] == ""  # mislabelled; unlabelled
    # The bot shows the sensitive article and hands the chat to a person: the test run says so.
    assert rows[3]["to_person"] == "close-account"
    to_person = sum(row["to_person"] is not None for row in rows)

    open_view(page, kb_app, "Test run")
    expect(page.locator("#test-run-format")).to_contain_text("one question per line")
    page.set_input_files("#test-run-file", str(file))
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.locator("#test-run-message")).to_have_text(
        "Ran 9 questions from past-questions.jsonl."
    )

    def counted(*wanted: str) -> int:
        return sum(v in wanted for v in verdicts)

    decisions = [row["decision"] for row in rows]
    figures = page.locator("#test-run-figures > div")
    # Each share from the count beside it (rounded once).
    expected = {
        "Questions": "9",
        "Answered": f"{exact(decisions.count('answer') / 9)} ({decisions.count('answer')})",
        "Choices offered": f"{exact(decisions.count('clarify') / 9)} ({decisions.count('clarify')})",
        "Escalated to a person": (
            f"{exact(decisions.count('escalate') / 9)} ({decisions.count('escalate')})"
        ),
        "Sent to a person at once (a sensitive article)": f"{exact(to_person / 9)} ({to_person})",
        "Answered correctly": f"{exact(counted('right') / 6)} ({counted('right')} of 6)",
        "Answered wrongly": f"{exact(counted('wrong') / 6)} ({counted('wrong')} of 6)",
        "Helpful (right answer or right choice)": (
            f"{exact(counted('right', 'choice right') / 6)} ({counted('right', 'choice right')} of 6)"
        ),
        "Out of scope answered": (
            f"{exact(counted('out of scope answered') / 2)} ({counted('out of scope answered')} of 2)"
        ),
    }
    expect(figures.locator("dt")).to_have_text(list(expected))
    expect(figures.locator("dd")).to_have_text(list(expected.values()))

    titles = {a["id"]: a["title"] for a in ARTICLES}
    article_rows = page.locator("#test-run-articles tbody tr")
    expect(article_rows).to_have_count(len(report["articles"]))
    for i, group in enumerate(report["articles"]):
        name = group["name"]
        shown = "None: to a person" if name == "(escalated)" else f"{titles[name]} {name}"
        keys = ("questions", "answered", "choices", "escalated", "to_person", "right", "wrong")
        numbers = [group[k] for k in keys]
        expect(article_rows.nth(i).locator("th, td")).to_have_text([shown, *map(str, numbers)])
    skill_rows = page.locator("#test-run-skills tbody th")
    expect(skill_rows).to_have_text(
        [
            ("None: to a person" if g["name"] == "(escalated)" else g["name"])
            for g in report["skills"]
        ]
    )
    expect(page.locator("#test-run-escalated > li")).to_have_count(max(len(report["escalated"]), 1))
    shoot(page, "editor-test-run", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "past-questions-test-run.csv"
    got = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert got[0] == CSV_FIELDS and got[0][4] == "to_person"
    assert [r[0] for r in got[1:]] == [q["text"] for q in QUESTIONS]
    assert [r[4] for r in got[1:]] == [r["to_person"] or "" for r in rows]
    assert [r[7] for r in got[1:]] == verdicts
    assert [r[6] for r in got[1:]] == [
        "" if "expected" not in q else q["expected"] or "(none)" for q in QUESTIONS
    ]
    # The same rows `cascade replay --csv` writes.
    same = [
        Row(
            text=r["text"],
            decision=r["decision"],
            article_id=r["article_id"],
            skill=None,
            choices=r["choices"],
            score=r["score"],
            expected=r["expected"],
            labelled=r["verdict"] != "",
            to_person=r["to_person"],
        )
        for r in rows
    ]
    assert got == list(csv.reader(io.StringIO(as_csv(same))))

    # A bad file runs nothing and names every bad line; the earlier run's figures go.
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\nnot json\n{"question": "no text"}\n')
    page.set_input_files("#test-run-file", str(bad))
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.locator("#test-run-error")).to_have_text(
        "The file was not run: fix these lines and run it again."
    )
    expect(page.locator("#test-run-problems li")).to_have_text(
        ["line 2: not JSON (Expecting value)", 'line 3: needs a "text" string']
    )
    expect(page.locator("#test-run-result")).to_be_hidden()
    assert page.errors == []
