"""The demo's seeded fortnight: every day of the dashboard has figures, and seeding again adds
nothing. The simulated customers' judgement and the in-process bot are checked on their own."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cascade.app import build_services, create_app
from cascade.demo_bot import PERSON_PHRASES, InProcessBot, understand
from cascade.demo_customers import UNCOVERED, Customer, Persona, paraphrase, reply_to_bot
from cascade.demo_traffic import seed_traffic
from cascade.storage import open_storage
from core.clock import ManualClock
from core.settings import Settings
from handoff.agents import AgentIn
from knowledge_base.embedder import E5
from knowledge_base.importing import parse_jsonl
from tests.factories import HashingEmbedder
from tests.helpers import ADMIN, ADMIN_HEADERS, ROOT, free_port

UNTIL = datetime(2026, 1, 16, 18, 30, tzinfo=UTC)  # a Friday evening
SINCE = (UNTIL - timedelta(days=13)).date()


def demo_directory(data_dir: Path, embedder) -> Settings:
    """A data directory with the demo's articles and agents, as demo-seed leaves it. The
    word-hashing stand-in for the model scores shared words, not meaning, so it keeps the
    standard limits: calibrated on its scores, the demo's look-alike questions get choices.
    An SMTP server is named, as `make demo` names one (nothing listens there: nothing is sent)."""
    settings = Settings(
        data_dir=data_dir,
        admin_token=SecretStr(ADMIN),
        rasa_url="",
        route_interval_s=0,
        kb_calibration=False,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
    )
    services = build_services(settings, embedder=embedder, clock=ManualClock())
    articles = parse_jsonl((ROOT / "data" / "kb" / "articles.jsonl").read_text())
    services.kb.import_articles(articles, author="test")
    for raw in json.loads((ROOT / "data" / "agents.json").read_text()):
        services.agents.create(AgentIn.model_validate(raw))
    services.storage.close()
    return settings


def daily(settings: Settings, embedder) -> dict:
    app = create_app(settings, embedder=embedder, clock=ManualClock(UNTIL))
    with TestClient(app) as client:
        answer = client.get(
            "/api/metrics/daily",
            params={"since": SINCE.isoformat(), "until": UNTIL.date().isoformat()},
            headers=ADMIN_HEADERS,
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_seeded_fortnight_fills_every_day_and_every_chart_once(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    settings = demo_directory(tmp_path / "demo", embedder)

    seeded = seed_traffic(settings, until=UNTIL, embedder=embedder)

    assert seeded is not None and seeded.conversations > 200
    figures = daily(settings, embedder)
    days = figures["days"]
    assert [d["day"] for d in days][0] == SINCE.isoformat() and len(days) == 14
    assert all(d["contacts"] > 0 for d in days), [(d["day"], d["contacts"]) for d in days]
    weekdays = [d for d in days if datetime.fromisoformat(d["day"]).weekday() < 5]
    assert all(d["wait_avg_s"] is not None and d["handle_time_avg_s"] for d in weekdays)
    total = figures["total"]
    assert total["contacts"] == seeded.conversations
    assert total["bot_contained"] > 0 and total["first_contact_resolution"] > 0
    assert total["outcomes"]["agent"] > 0 and total["outcomes"]["ticket"] > 0
    assert total["abandoned"] > 0 and total["csat_responses"] > 0
    assert {"customer_request", "sensitive_topic", "frustration"} <= set(
        total["handoffs_by_reason"]
    )
    assert total["knowledge_gaps"] and total["sla_warnings"] + total["sla_breaches"] > 0
    # Its chats read as the demo runs, with email: those waiting in line were offered it. The
    # mail to its made-up customers is not left to be sent when the demo starts.
    storage = open_storage(settings.database_path, url=settings.database_url)
    try:
        offered = "select count(*) from messages where buttons like '%/email_me%'"
        assert storage.db.execute(offered).fetchone()[0] > 0
        promised = "select count(*) from messages where text like '%reply by email to%'"
        assert storage.db.execute(promised).fetchone()[0] > 0  # and mail was queued for them
        assert storage.db.execute("select count(*) from outbox").fetchone()[0] == 0
    finally:
        storage.close()

    assert seed_traffic(settings, until=UNTIL + timedelta(days=3), embedder=embedder) is None
    assert daily(settings, embedder)["total"]["contacts"] == seeded.conversations


@pytest.mark.model
def test_with_the_real_model_the_bot_answers_most_and_gaps_are_the_uncovered_questions(
    tmp_path: Path, real_embedder
) -> None:
    settings = demo_directory(tmp_path / "demo", real_embedder)

    seeded = seed_traffic(settings, until=UNTIL, embedder=real_embedder, days=3)

    assert seeded is not None
    total = daily(settings, real_embedder)["total"]
    assert total["bot_contained"] >= 0.35 * total["contacts"]
    gaps = {gap["question"].casefold() for gap in total["knowledge_gaps"]}
    assert len(gaps & {question.casefold() for question in UNCOVERED}) >= 3, gaps


@pytest.mark.model
def test_seeding_leaves_the_japanese_articles_vectors_as_the_japanese_model_made_them(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "demo", admin_token=SecretStr(ADMIN), rasa_url="")
    services = build_services(settings, clock=ManualClock())  # every language's own model
    for path in ("data/kb/articles.jsonl", "data/kb-ja/articles.jsonl"):
        services.kb.import_articles(parse_jsonl((ROOT / path).read_text())[:4], author="test")
    for raw in json.loads((ROOT / "data" / "agents.json").read_text()):
        services.agents.create(AgentIn.model_validate(raw))
    query = (
        "select v.vector_id, v.embedding from kb_vectors v join articles a"
        " on a.id = v.article_id where a.language = 'ja' order by v.vector_id"
    )
    japanese = services.storage.db.execute(query).fetchall()
    services.storage.close()

    assert seed_traffic(settings, until=UNTIL, days=1) is not None

    # Read as seeding left them (a knowledge base opened now would embed them again if another
    # model had).
    storage = open_storage(settings.database_path, url=settings.database_url)
    try:
        after = dict(storage.db.execute(query).fetchall())
        changed = [key for key, vector in japanese if after.get(key) != vector]
        assert japanese and not changed, f"{len(changed)} of {len(japanese)} embedded again"
        model = "select name from kb_embedder where language = 'ja'"
        assert tuple(storage.db.execute(model).fetchone()) == (E5.name,)
    finally:
        storage.close()


# -- the simulated customer --------------------------------------------------------------------

CUSTOMER = Persona(Customer("Ana Reid", "ana.reid@example.com"), "freeze-card", "cards", "?")
FEEDBACK = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def answer(article_id: str) -> list[dict]:
    return [
        {"sender": "bot", "text": "**Freeze**", "article_id": article_id},
        {"sender": "bot", "text": "Did that answer your question?", "buttons": FEEDBACK},
    ]


def choices(*article_ids: str) -> list[dict]:
    buttons = [
        {"title": a, "payload": "/choose_article" + json.dumps({"article_id": a})}
        for a in article_ids
    ]
    return [{"sender": "bot", "text": "Which?", "buttons": [*buttons, FEEDBACK[1]]}]


def presses(messages: list[dict], persona: Persona = CUSTOMER) -> set[str | None]:
    return {reply_to_bot(persona, messages, random.Random(seed)) for seed in range(200)}


def test_a_customer_says_yes_only_to_the_article_they_needed() -> None:
    assert "/affirm" in presses(answer("freeze-card"))
    assert "/affirm" not in presses(answer("cancel-card"))
    assert "/deny" in presses(answer("cancel-card"))


def test_a_customer_picks_the_right_choice_or_none_of_these() -> None:
    right = '/choose_article{"article_id": "freeze-card"}'
    assert presses(choices("cancel-card", "freeze-card")) == {right, None}  # None: gone
    assert presses(choices("cancel-card", "order-card")) == {"/deny", None}


def test_a_customer_uses_a_talk_to_a_person_button_when_the_bot_offers_one() -> None:
    person = {"title": "Talk to a person", "payload": "/request_human"}
    messages = answer("cancel-card")
    messages[-1] = {**messages[-1], "buttons": [*FEEDBACK, person]}
    assert presses(messages) <= {"/request_human", None}


def test_paraphrases_stay_close_to_the_example_question() -> None:
    texts = {paraphrase("how do i freeze my card", random.Random(seed)) for seed in range(50)}
    assert len(texts) > 5
    assert all("card" in text.lower() or "crad" in text.lower() for text in texts)


# -- the in-process bot ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent", "entities"),
    [
        ("/affirm", "affirm", []),
        ("/deny", "deny", []),
        (
            '/choose_article{"article_id": "freeze-card"}',
            "choose_article",
            [{"entity": "article_id", "value": "freeze-card"}],
        ),
        (PERSON_PHRASES[0], "request_human", []),
        ("how do I freeze my card", "question", []),
    ],
)
def test_the_stand_in_nlu_reads_payloads_and_the_customers_phrases(
    text: str, intent: str, entities: list
) -> None:
    assert understand(text) == (intent, entities)


def test_the_in_process_bot_answers_with_the_real_actions(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    settings = demo_directory(tmp_path / "demo", embedder)
    services = build_services(settings, embedder=embedder, clock=ManualClock())
    bot = InProcessBot(services.kb)

    def send(sender: str, text: str) -> list[dict]:
        return asyncio.run(bot.send(sender, text, metadata={"customer_email": "a@b.example"}))

    shown = send("c1", "how do i freeze my card")
    no = send("c1", "/deny")
    person = send("c2", PERSON_PHRASES[1])

    first = [r["custom"] for r in shown]
    assert first[0]["article_id"] == "freeze-unfreeze-card"
    assert first[-1]["buttons"] == FEEDBACK
    assert any(r["custom"].get("feedback") == {
        "article_id": "freeze-unfreeze-card", "helpful": False, "question": "how do i freeze my card"
    } for r in no)  # fmt: skip
    assert any(r["custom"].get("handoff", {}).get("reason") == "customer_request" for r in person)
    services.storage.close()
