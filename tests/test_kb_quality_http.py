"""The editor's quality routes over HTTP: `GET /api/kb/calibration` (what the calibrated limits
expect, and which articles are too close to tell apart) and `POST /api/kb/replay` (the test run),
for editors only, with the figures `knowledge_base.replay.summarize` gives for the same questions
searched as a customer's are."""

from __future__ import annotations

import json
from dataclasses import asdict

from knowledge_base.replay import Question, row_for, summarize
from knowledge_base.search import Decision, Hit, SearchOutcome
from tests.factories import HashingEmbedder, article, jsonl, make_agent

NDJSON = {"Content-Type": "application/x-ndjson"}

ARTICLES = [
    article(
        "card-arrival",
        title="Card arrival",
        skill="cards",
        questions=[
            "my new card has not arrived",
            "when will my new card arrive",
            "new card still not arrived in the post",
            "how long until my new card arrives",
            "waiting for my new card to arrive",
        ],
    ),
    article(
        "card-delivery",
        title="Card delivery",
        skill="cards",
        questions=[
            "my new card has not been delivered",
            "when will my new card be delivered",
            "new card delivery still not here",
            "how long does new card delivery take",
            "waiting for my new card delivery",
        ],
    ),
    article(
        "reset-password",
        title="Reset your password",
        skill="accounts",
        questions=[
            "i forgot my password",
            "reset my login password",
            "password reset email never came",
            "change my password please",
            "locked out wrong password",
        ],
    ),
    article(
        "close-account",
        title="Close your account",
        skill="accounts",
        questions=[
            "close my account",
            "i want to cancel my account",
            "delete my bank account",
            "how do i shut my account",
            "end my membership and close the account",
        ],
        tags=["sensitive"],  # a person talks a leaving customer through it
    ),
    article(
        "send-abroad",
        title="Send money abroad",
        skill="payments",
        questions=[
            "send money to another country",
            "international transfer fees",
            "how long does a transfer abroad take",
            "transfer euros to spain",
            "swift payment overseas",
        ],
    ),
]

QUESTIONS = [
    {"text": "I forgot my password again", "expected": "reset-password"},
    {"text": "please close my account", "expected": "close-account"},
    {"text": "send money to france", "expected": "send-abroad"},
    {"text": "my new card has not arrived yet", "expected": "card-arrival"},
    {"text": "i want to close my account", "expected": "reset-password"},  # labelled wrongly
    {"text": "what is the weather tomorrow", "expected": None},
    {"text": "recommend a pizza place nearby", "expected": None},
    {"text": "book a flight to paris"},
]


def replay_file(items: list[dict]) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


def as_searched(client, item: dict) -> tuple[SearchOutcome, str | None]:
    """The question searched through the public route, as the bot searches for a customer, and
    the sensitive article that sends it to a person."""
    found = client.post("/api/kb/search", json={"query": item["text"]}).json()
    hits = [Hit(h["article_id"], h["title"], h["score"], h["skill"]) for h in found["results"]]
    return SearchOutcome(Decision(found["decision"]), hits), found["to_person"]


def test_only_editors_see_the_calibration_and_run_tests(client, admin) -> None:
    agent = make_agent(client, admin)
    file = replay_file(QUESTIONS)
    assert client.get("/api/kb/calibration", headers=agent["headers"]).status_code == 403
    refused = client.post("/api/kb/replay", content=file, headers={**agent["headers"], **NDJSON})
    assert refused.status_code == 403
    assert client.get("/api/kb/calibration").status_code == 401
    assert client.post("/api/kb/replay", content=file, headers=NDJSON).status_code == 401


def test_a_bad_line_rejects_the_run_naming_every_bad_line(client, admin) -> None:
    client.post("/api/kb/import", content=jsonl(*ARTICLES), headers=admin)
    draft = {"id": "draft-one", "title": "Not yet", "body": "Soon.", "questions": []}
    assert client.post("/api/kb/articles", json=draft, headers=admin).status_code == 201
    file = (
        '{"text": "fine"}\nnot json\n{"question": "no text"}\n{"text": "x", "expected": 3}\n'
        '{"text": "how do I activate my card", "expected": "no-such-article"}\n'
        '{"text": "\\ud800"}\n' + "[" * 30_000 + "\n"
        '{"text": "when is it ready", "expected": "draft-one"}\n'
    )
    rejected = client.post("/api/kb/replay", content=file, headers={**admin, **NDJSON})
    assert rejected.status_code == 422
    assert rejected.json()["problems"] == [
        "line 2: not JSON (Expecting value)",
        'line 3: needs a "text" string',
        'line 4: "expected" must be an article id or null',
        "line 5: no article with id 'no-such-article'",  # a typo is not a wrong answer
        'line 6: "text" holds invalid Unicode (a lone surrogate)',
        "line 7: nested too deeply",
        "line 8: article 'draft-one' is draft, so no question is answered with it: publish it,"
        " or label the question with another",
    ]
    empty = client.post("/api/kb/replay", content="\n\n", headers={**admin, **NDJSON})
    assert empty.status_code == 422
    assert empty.json()["problems"] == ['no questions: one JSON object per line with a "text"']


def test_the_test_run_gives_the_figures_summarize_gives(client, admin) -> None:
    client.post("/api/kb/import", content=jsonl(*ARTICLES), headers=admin)
    ran = client.post("/api/kb/replay", content=replay_file(QUESTIONS), headers={**admin, **NDJSON})
    assert ran.status_code == 200, ran.text
    report = ran.json()

    rows = [
        row_for(
            Question(item["text"], item.get("expected"), labelled="expected" in item),
            *as_searched(client, item),
        )
        for item in QUESTIONS
    ]
    expected = summarize(rows, HashingEmbedder().encode)
    assert report["figures"] == asdict(expected.figures)
    assert report["skills"] == [asdict(g) for g in expected.skills]
    assert report["articles"] == [asdict(g) for g in expected.articles]
    assert report["escalated"] == [asdict(c) for c in expected.escalated]
    assert report["rows"] == [
        {
            k: v
            for k, v in {**asdict(r), "verdict": r.verdict}.items()
            if k not in {"skill", "labelled"}
        }
        for r in rows
    ]

    # What an editor reads off it: every question counted once, the labels judged.
    figures = report["figures"]
    assert figures["questions"] == 8
    assert (figures["in_scope"], figures["out_of_scope"]) == (5, 2)
    assert round(figures["answered"] + figures["choices"] + figures["escalated"], 4) == 1.0
    verdicts = [row["verdict"] for row in report["rows"]]
    assert verdicts[-1] == ""  # unlabelled
    assert verdicts[4] in {"wrong", "choice wrong", "escalated"}  # labelled with another article
    assert sum(g["questions"] for g in report["articles"]) == 8
    # Closing an account is a person's work: the bot shows the article and hands the chat over.
    assert [row["to_person"] for row in report["rows"]][1] == "close-account"
    assert figures["to_person"] >= 1 / 8


def test_the_calibration_says_what_it_expects_and_which_articles_blur(client, admin) -> None:
    few = client.get("/api/kb/calibration", headers=admin).json()
    assert few["calibrated"] is False
    assert few["examples"] == 0
    assert "standard limits" in few["note"]
    assert few["confusable"] == []

    client.post("/api/kb/import", content=jsonl(*ARTICLES), headers=admin)
    calibrated = client.get("/api/kb/calibration", headers=admin).json()
    assert calibrated["calibrated"] is True
    assert (calibrated["articles"], calibrated["examples"]) == (5, 25)
    assert calibrated["target_wrong"] == 0.02 and calibrated["target_out_of_scope"] == 0.01
    assert 0 <= calibrated["wrong"] <= calibrated["answered"] <= 1
    assert calibrated["answered"] + calibrated["choices"] <= 1
    limits = calibrated["limits"]
    assert limits["clarify"] <= limits["answer"]
    pairs = [
        (p["first"], p["first_title"], p["second"], p["second_title"])
        for p in calibrated["confusable"]
    ]
    cards = ("card-arrival", "Card arrival", "card-delivery", "Card delivery")
    assert cards in pairs
    blur = calibrated["confusable"][pairs.index(cards)]
    assert 0 < blur["stolen"] <= blur["examples"] == 10

    client.post("/api/kb/articles/card-delivery/archive", headers=admin)
    after = client.get("/api/kb/calibration", headers=admin).json()
    assert (after["articles"], after["examples"]) == (4, 20)
    assert all("card-delivery" not in (p["first"], p["second"]) for p in after["confusable"])
