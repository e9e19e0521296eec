"""Ops figures against a scenario counted by hand: for the whole range, for each day, for each
skill, and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from core.clock import ManualClock
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot, make_agent
from tests.helpers import ADMIN, ADMIN_HEADERS


def article(article_id: str, skill: str) -> dict:
    return {
        "custom": {
            "text": f"Here is how: {article_id}.",
            "article_id": article_id,
            "title": article_id.replace("-", " ").title(),
            "score": 0.8,
            "skill": skill,
        }
    }


ARTICLE = article("freeze-card", "cards")
LOAN_ARTICLE = article("loan-rates", "loans")


def resolved(article_id: str = "freeze-card") -> list[dict]:
    return [
        {"custom": {"feedback": {"article_id": article_id, "helpful": True}}},
        {"custom": {"text": "Great!"}},
        {"custom": {"resolve": {}}},
    ]


def handoff(reason: str, **more: str) -> list[dict]:
    return [{"custom": {"handoff": {"reason": reason, **more}}}]


def chat(client, email: str | None = None):
    started = client.post(
        "/api/conversations", json={"customer": {"email": email} if email else {}}
    ).json()
    headers = {"Authorization": f"Bearer {started['token']}"}

    def say(text: str) -> dict:
        answer = client.post(
            f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    return started["id"], say


def settle(client) -> None:
    """Run the timers' jobs now, at the clock's time, so the test never races them."""
    services = client.app.state.services
    services.queue.route()
    services.tickets.check_slas()
    services.queue.abandon_idle()


def act(client, agent: dict, conversation_id: str, action: str) -> None:
    done = client.post(
        f"/api/conversations/{conversation_id}/{action}", headers=agent["headers"], json={}
    )
    assert done.status_code == 200, done.text


def set_status(client, agent: dict, status: str) -> None:
    url = f"/api/agents/{agent['id']}/status"
    assert client.put(url, json={"status": status}, headers=agent["headers"]).status_code == 200


@pytest.fixture
def settings(settings):
    """Offers that stay open ten minutes: an agent takes only a chat offered to them, and in
    these days they take each when the story says."""
    return settings.model_copy(update={"offer_timeout_s": 600.0})


@pytest.fixture
def three_days(client, bot, admin, clock) -> None:
    """Mon 5 – Wed 7 January 2026 (UTC, the default business time zone), from 09:00.

    Seven contacts: A–D on Monday, E–F on Tuesday, H on Wednesday (G never writes)."""
    priya = make_agent(client, admin, "Priya", {"cards": 3})
    lee = make_agent(client, admin, "Lee", {"loans": 3})

    # Monday. A: the bot answers about cards, it helped: contained. A rates it 5.
    bot.replies += [[ARTICLE], resolved()]
    _, say_a = chat(client, "a@example.com")
    say_a("freeze my card")
    say_a("/affirm")
    say_a('/csat{"score": 5}')
    # B: a cards article, then "a person please": Priya takes it after 60 s, resolves it after
    # 120 s; B rates 4.
    bot.replies += [[ARTICLE], handoff("customer_request")]
    b, say_b = chat(client, "b@example.com")
    say_b("freeze my card")
    say_b("a person please")
    clock.advance(seconds=60)
    settle(client)
    act(client, priya, b, "accept")
    clock.advance(seconds=120)
    act(client, priya, b, "resolve")
    say_b('/csat{"score": 4}')
    # C: no answer (a knowledge gap, skill general). It waits 360 s, past the 300 s queue
    # target (one warning and one breach); Lee takes it, and after 60 s files a ticket. The
    # ticket's first response (due in 240 business minutes) is never given: by Tuesday it has
    # a warning and a breach too.
    bot.replies += [handoff("no_answer")]
    c, say_c = chat(client, "c@example.com")
    say_c("Do you sell pet insurance?")
    clock.advance(seconds=360)
    settle(client)
    act(client, lee, c, "accept")
    clock.advance(seconds=60)
    act(client, lee, c, "escalate")
    # D: a loans article, then silence: resolved after the 30-minute idle limit, as assumed
    # (an answer the customer never said was wrong).
    bot.replies += [[LOAN_ARTICLE]]
    _, say_d = chat(client, "d@example.com")
    say_d("what are your loan rates")
    clock.advance(minutes=31)
    settle(client)

    # Tuesday. E: customer A again about cards (so A was not resolved at first contact); the
    # bot answers and it helps.
    clock.advance(days=1)
    settle(client)
    bot.replies += [[ARTICLE], resolved()]
    _, say_e = chat(client, "A@example.com")
    say_e("my card is still not frozen")
    say_e("/affirm")
    # F: a sensitive loans question goes to Lee after 90 s; resolved after 300 s; rated 2.
    bot.replies += [handoff("sensitive_topic", skill="loans")]
    f, say_f = chat(client, "f@example.com")
    say_f("I think someone took a loan in my name")
    clock.advance(seconds=90)
    settle(client)
    act(client, lee, f, "accept")
    clock.advance(seconds=300)
    act(client, lee, f, "resolve")
    say_f('/csat{"score": 2}')
    # G: opened, never written in: not a contact.
    chat(client, "g@example.com")

    # Wednesday. H: the bot did not understand, nobody is online: a ticket at once (a gap).
    clock.advance(days=1)
    settle(client)
    set_status(client, priya, "offline")
    set_status(client, lee, "offline")
    bot.replies += [handoff("low_nlu_confidence")]
    _, say_h = chat(client, "h@example.com")
    say_h("Wire money to Mars")
    settle(client)


RANGE = "since=2026-01-05&until=2026-01-07"

# Seven contacts; A–H by topic: cards A B E, loans D F, general C H.
TOTAL = {
    "contacts": 7,
    "first_contact_resolution": 0.5714,  # 4/7: B, D, E, F (A came back as E; C, H tickets)
    "bot_containment": 0.4286,  # 3/7: A, D (assumed), E
    "handoff_rate": 0.5714,  # 4/7: B, C, F, H
    "handoffs_by_reason": {
        "customer_request": 1,  # B
        "no_answer": 1,  # C
        "sensitive_topic": 1,  # F
        "low_nlu_confidence": 1,  # H
    },
    "ticket_rate": 0.2857,  # 2/7: C, H
    "wait_avg_s": 170.0,  # (60 + 360 + 90) / 3
    "wait_p90_s": 360.0,  # the 3rd of [60, 90, 360]
    "queue_waits": 3,  # A was never queued; B, C, F were taken
    "handle_time_avg_s": 160.0,  # (120 + 60 + 300) / 3
    "abandonment_rate": 0.0,
    "csat_avg": 3.67,  # (5 + 4 + 2) / 3
    "csat_responses": 3,
    "sla_warnings": 2,  # C: queue wait, ticket first response
    "sla_breaches": 2,  # the same two
    "knowledge_gaps": [
        {"question": "Do you sell pet insurance?", "count": 1},  # C
        {"question": "Wire money to Mars", "count": 1},  # H
    ],
    "resolved_first_time": 4,
    "bot_contained": 3,
    "handed_over": 4,
    "ticketed": 2,
    "abandoned": 0,
    "knowledge_gap_questions": 2,
    "outcomes": {"bot": 3, "agent": 2, "ticket": 2, "abandoned": 0, "open": 0},
}
MONDAY = {
    "contacts": 4,  # A B C D
    "first_contact_resolution": 0.5,  # B D
    "bot_containment": 0.5,  # A D
    "handoff_rate": 0.5,  # B C
    "handoffs_by_reason": {"customer_request": 1, "no_answer": 1},
    "ticket_rate": 0.25,  # C
    "wait_avg_s": 210.0,  # (60 + 360) / 2
    "wait_p90_s": 360.0,
    "queue_waits": 2,
    "handle_time_avg_s": 90.0,  # (120 + 60) / 2
    "abandonment_rate": 0.0,
    "csat_avg": 4.5,  # (5 + 4) / 2
    "csat_responses": 2,
    "sla_warnings": 2,
    "sla_breaches": 2,
    "knowledge_gaps": [{"question": "Do you sell pet insurance?", "count": 1}],
    "resolved_first_time": 2,
    "bot_contained": 2,
    "handed_over": 2,
    "ticketed": 1,
    "abandoned": 0,
    "knowledge_gap_questions": 1,
    "outcomes": {"bot": 2, "agent": 1, "ticket": 1, "abandoned": 0, "open": 0},
}
TUESDAY = {
    "contacts": 2,  # E F
    "first_contact_resolution": 1.0,  # E F
    "bot_containment": 0.5,  # E
    "handoff_rate": 0.5,  # F
    "handoffs_by_reason": {"sensitive_topic": 1},
    "ticket_rate": 0.0,
    "wait_avg_s": 90.0,
    "wait_p90_s": 90.0,
    "queue_waits": 1,
    "handle_time_avg_s": 300.0,
    "abandonment_rate": 0.0,
    "csat_avg": 2.0,
    "csat_responses": 1,
    "sla_warnings": 0,
    "sla_breaches": 0,
    "knowledge_gaps": [],
    "resolved_first_time": 2,
    "bot_contained": 1,
    "handed_over": 1,
    "ticketed": 0,
    "abandoned": 0,
    "knowledge_gap_questions": 0,
    "outcomes": {"bot": 1, "agent": 1, "ticket": 0, "abandoned": 0, "open": 0},
}
WEDNESDAY = {
    "contacts": 1,  # H
    "first_contact_resolution": 0.0,
    "bot_containment": 0.0,
    "handoff_rate": 1.0,
    "handoffs_by_reason": {"low_nlu_confidence": 1},
    "ticket_rate": 1.0,
    "wait_avg_s": None,  # nobody accepted it
    "wait_p90_s": None,
    "queue_waits": 0,  # H became a ticket without a queue
    "handle_time_avg_s": None,
    "abandonment_rate": 0.0,
    "csat_avg": None,
    "csat_responses": 0,
    "sla_warnings": 0,  # filed a moment ago
    "sla_breaches": 0,
    "knowledge_gaps": [{"question": "Wire money to Mars", "count": 1}],
    "resolved_first_time": 0,
    "bot_contained": 0,
    "handed_over": 1,
    "ticketed": 1,
    "abandoned": 0,
    "knowledge_gap_questions": 1,
    "outcomes": {"bot": 0, "agent": 0, "ticket": 1, "abandoned": 0, "open": 0},
}
NOTHING = {
    "contacts": 0,
    "first_contact_resolution": None,
    "bot_containment": None,
    "handoff_rate": None,
    "handoffs_by_reason": {},
    "ticket_rate": None,
    "wait_avg_s": None,
    "wait_p90_s": None,
    "queue_waits": 0,
    "handle_time_avg_s": None,
    "abandonment_rate": None,
    "csat_avg": None,
    "csat_responses": 0,
    "sla_warnings": 0,
    "sla_breaches": 0,
    "knowledge_gaps": [],
    "resolved_first_time": 0,
    "bot_contained": 0,
    "handed_over": 0,
    "ticketed": 0,
    "abandoned": 0,
    "knowledge_gap_questions": 0,
    "outcomes": {"bot": 0, "agent": 0, "ticket": 0, "abandoned": 0, "open": 0},
}
# Per skill, over the three days.
CARDS = {
    **NOTHING,
    "contacts": 3,  # A B E
    "first_contact_resolution": 0.6667,  # B E
    "bot_containment": 0.6667,  # A E
    "handoff_rate": 0.3333,  # B
    "handoffs_by_reason": {"customer_request": 1},
    "ticket_rate": 0.0,
    "wait_avg_s": 60.0,
    "wait_p90_s": 60.0,
    "queue_waits": 1,
    "handle_time_avg_s": 120.0,
    "abandonment_rate": 0.0,
    "csat_avg": 4.5,  # A 5, B 4
    "csat_responses": 2,
    "resolved_first_time": 2,
    "bot_contained": 2,
    "handed_over": 1,
    "outcomes": {"bot": 2, "agent": 1, "ticket": 0, "abandoned": 0, "open": 0},
}
LOANS = {
    **NOTHING,
    "contacts": 2,  # D F
    "first_contact_resolution": 1.0,  # D F
    "bot_containment": 0.5,  # D (assumed)
    "handoff_rate": 0.5,  # F
    "handoffs_by_reason": {"sensitive_topic": 1},
    "ticket_rate": 0.0,
    "wait_avg_s": 90.0,
    "wait_p90_s": 90.0,
    "queue_waits": 1,
    "handle_time_avg_s": 300.0,
    "abandonment_rate": 0.0,
    "csat_avg": 2.0,
    "csat_responses": 1,
    "resolved_first_time": 2,
    "bot_contained": 1,
    "handed_over": 1,
    "outcomes": {"bot": 1, "agent": 1, "ticket": 0, "abandoned": 0, "open": 0},
}
GENERAL = {
    **NOTHING,
    "contacts": 2,  # C H
    "first_contact_resolution": 0.0,
    "bot_containment": 0.0,
    "handoff_rate": 1.0,
    "handoffs_by_reason": {"no_answer": 1, "low_nlu_confidence": 1},
    "ticket_rate": 1.0,
    "wait_avg_s": 360.0,  # C
    "wait_p90_s": 360.0,
    "queue_waits": 1,
    "handle_time_avg_s": 60.0,  # C
    "abandonment_rate": 0.0,
    "sla_warnings": 2,
    "sla_breaches": 2,
    "knowledge_gaps": TOTAL["knowledge_gaps"],
    "handed_over": 2,
    "ticketed": 2,
    "knowledge_gap_questions": 2,
    "outcomes": {"bot": 0, "agent": 0, "ticket": 2, "abandoned": 0, "open": 0},
}


def figures_only(found: dict) -> dict:
    return {key: value for key, value in found.items() if key in NOTHING}


def test_every_figure_for_the_range(client, admin, three_days) -> None:
    found = client.get(f"/api/metrics?{RANGE}", headers=admin).json()
    assert figures_only(found) == TOTAL
    assert (found["since"], found["until"], found["skill"], found["timezone"]) == (
        "2026-01-05T00:00:00.000+00:00",
        "2026-01-08T00:00:00.000+00:00",
        None,
        "UTC",
    )
    # The default range is the 30 days up to today (Wednesday): the same seven contacts.
    assert figures_only(client.get("/api/metrics", headers=admin).json()) == TOTAL


def test_every_figure_for_each_day(client, admin, three_days) -> None:
    daily = client.get(f"/api/metrics/daily?{RANGE}", headers=admin).json()
    assert [day["day"] for day in daily["days"]] == ["2026-01-05", "2026-01-06", "2026-01-07"]
    assert [figures_only(day) for day in daily["days"]] == [MONDAY, TUESDAY, WEDNESDAY]
    assert figures_only(daily["total"]) == TOTAL
    # The total row is exactly what GET /api/metrics answers for the same range.
    whole = client.get(f"/api/metrics?{RANGE}", headers=admin).json()
    assert daily["total"] == {key: value for key, value in whole.items() if key != "timezone"}
    one_day = client.get("/api/metrics?since=2026-01-06&until=2026-01-06", headers=admin).json()
    assert figures_only(one_day) == TUESDAY


@pytest.mark.parametrize(
    ("skill", "expected", "by_day"),
    [
        ("cards", CARDS, [2, 1, 0]),  # A B | E | -
        ("loans", LOANS, [1, 1, 0]),  # D | F | -
        ("general", GENERAL, [1, 0, 1]),  # C | - | H
    ],
)
def test_every_figure_for_each_skill(client, admin, three_days, skill, expected, by_day) -> None:
    found = client.get(f"/api/metrics?{RANGE}&skill={skill}", headers=admin).json()
    assert figures_only(found) == expected
    daily = client.get(f"/api/metrics/daily?{RANGE}&skill={skill}", headers=admin).json()
    assert [day["contacts"] for day in daily["days"]] == by_day
    assert figures_only(daily["total"]) == expected
    empty = [day for day in daily["days"] if day["contacts"] == 0]
    assert all(figures_only(day) == NOTHING for day in empty)


def test_cards_on_monday(client, admin, three_days) -> None:
    daily = client.get(f"/api/metrics/daily?{RANGE}&skill=cards", headers=admin).json()
    assert figures_only(daily["days"][0]) == {
        **NOTHING,
        "contacts": 2,  # A B
        "first_contact_resolution": 0.5,  # B (A came back)
        "bot_containment": 0.5,  # A
        "handoff_rate": 0.5,  # B
        "handoffs_by_reason": {"customer_request": 1},
        "ticket_rate": 0.0,
        "wait_avg_s": 60.0,
        "wait_p90_s": 60.0,
        "queue_waits": 1,
        "handle_time_avg_s": 120.0,
        "abandonment_rate": 0.0,
        "csat_avg": 4.5,
        "csat_responses": 2,
        "resolved_first_time": 1,
        "bot_contained": 1,
        "handed_over": 1,
        "outcomes": {"bot": 1, "agent": 1, "ticket": 0, "abandoned": 0, "open": 0},
    }


def test_csv_has_a_row_per_day_and_a_total(client, admin, three_days) -> None:
    response = client.get(f"/api/metrics.csv?{RANGE}", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="cascade-metrics-2026-01-05-to-2026-01-07.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["day"] for row in rows] == ["2026-01-05", "2026-01-06", "2026-01-07", "total"]
    monday, _, wednesday, total = rows
    assert total["contacts"] == "7"
    assert total["first_contact_resolution"] == "0.5714"
    assert total["wait_p90_s"] == "360.0"
    assert total["queue_waits"] == "3"
    assert total["csat_avg"] == "3.67"
    assert total["handoffs_customer_request"] == "1"
    assert total["handoffs_low_nlu_confidence"] == "1"
    assert total["outcome_bot"] == "3"
    assert monday["handoffs_low_nlu_confidence"] == "0"
    assert monday["sla_breaches"] == "2"
    assert wednesday["wait_avg_s"] == ""  # no figure, not 0
    same = client.get(f"/api/metrics/daily?{RANGE}&format=csv", headers=admin)
    assert same.text == response.text
    cards = client.get(f"/api/metrics.csv?{RANGE}&skill=cards", headers=admin)
    assert "cards.csv" in cards.headers["content-disposition"]
    assert list(csv.DictReader(io.StringIO(cards.text)))[-1]["contacts"] == "3"


def test_known_skills_and_today(client, admin, three_days) -> None:
    assert client.get("/api/metrics/filters", headers=admin).json() == {
        "skills": ["cards", "general", "loans"],
        "timezone": "UTC",
        "today": "2026-01-07",
        "max_days": 366,
        "durable_window_h": 72.0,
    }


def test_idle_chats_are_abandoned(client, bot, admin, clock) -> None:
    bot.replies += [[{"custom": {"text": "Could you tell me a bit more?"}}]]
    cid, say = chat(client)
    say("card")
    clock.advance(minutes=29)
    assert client.app.state.services.queue.abandon_idle() == []
    clock.advance(minutes=2)
    assert client.app.state.services.queue.abandon_idle() == [cid]
    assert client.get(f"/api/conversations/{cid}", headers=admin).json()["status"] == "abandoned"
    found = client.get("/api/metrics", headers=admin).json()
    assert (found["abandonment_rate"], found["resolved"], found["bot_containment"]) == (1.0, 0, 0.0)


def test_an_answer_then_silence_is_an_assumed_resolution(client, bot, admin, clock) -> None:
    bot.replies += [[ARTICLE]]
    cid, say = chat(client)
    say("freeze my card")
    clock.advance(minutes=31)
    assert client.app.state.services.queue.abandon_idle() == [cid]
    assert client.get(f"/api/conversations/{cid}", headers=admin).json()["status"] == "resolved"
    found = client.get("/api/metrics", headers=admin).json()
    assert found["abandonment_rate"] == 0.0
    assert (found["bot_resolved_assumed"], found["bot_resolved_confirmed"]) == (1, 0)


@pytest.mark.parametrize("path", ["/api/metrics", "/api/metrics/daily", "/api/metrics.csv"])
def test_metrics_need_the_ops_role(client, admin, path) -> None:
    customer = client.post("/api/conversations", json={}).json()["token"]
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    refused = client.get(path, headers={"Authorization": f"Bearer {customer}"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this needs the ops role"
    agent = make_agent(client, admin, "Sam", {"cards": 1})
    assert client.get(path, headers=agent["headers"]).status_code == 403
    assert client.get(path, headers=admin).status_code == 200


@pytest.mark.parametrize("path", ["/api/metrics", "/api/metrics/daily", "/api/metrics.csv"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "since must be a date written YYYY-MM-DD, not 'yesterday'"),
        ("until=2026-02-30", "until '2026-02-30' is no day of the calendar"),
        ("since=1999-12-31", "since must lie between 2000-01-01 and 2999-12-30"),
        (
            "since=2026-02-01&until=2026-01-01",
            "since (2026-02-01) must not be after until (2026-01-01)",
        ),
        ("skill=pets", "no skill named 'pets'; known skills: cards"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(client, admin, path, query, message) -> None:
    make_agent(client, admin, "Sam", {"cards": 1})
    refused = client.get(f"{path}?{query}", headers=admin)
    assert refused.status_code == 422
    assert refused.json()["detail"] == message


def test_a_year_of_days_at_most(client, admin) -> None:
    too_long = client.get("/api/metrics/daily?since=2024-01-01&until=2025-12-31", headers=admin)
    assert too_long.status_code == 422
    assert too_long.json()["detail"].startswith("at most 366 days at a time")
    # The plain figures are one number each, so any range will do.
    assert (
        client.get("/api/metrics?since=2024-01-01&until=2025-12-31", headers=admin).json()[
            "contacts"
        ]
        == 0
    )


def test_an_empty_range_has_no_figures_rather_than_zeros(client, admin) -> None:
    empty = client.get("/api/metrics?since=2020-01-01&until=2020-01-31", headers=admin).json()
    assert figures_only(empty) == NOTHING
    daily = client.get("/api/metrics/daily?since=2020-01-01&until=2020-01-03", headers=admin)
    assert [figures_only(day) for day in daily.json()["days"]] == [NOTHING] * 3


def test_days_follow_the_business_time_zone(tmp_path) -> None:
    """In New York (UTC-5 in January), 03:00 UTC on Monday is still Sunday evening."""
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        business_timezone="America/New_York",
    )
    clock = ManualClock(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    bot = ScriptedBot([ARTICLE], [ARTICLE])
    admin = ADMIN_HEADERS
    app = create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)
    with TestClient(app) as client:
        chat(client)[1]("freeze my card")  # Sunday 22:00 in New York
        clock.advance(hours=6)
        chat(client)[1]("freeze my card")  # Monday 04:00 in New York
        daily = client.get(
            "/api/metrics/daily?since=2026-01-04&until=2026-01-05", headers=admin
        ).json()
        assert daily["timezone"] == "America/New_York"
        assert [(d["day"], d["contacts"]) for d in daily["days"]] == [
            ("2026-01-04", 1),
            ("2026-01-05", 1),
        ]
        monday = client.get("/api/metrics?since=2026-01-05&until=2026-01-05", headers=admin)
        assert monday.json()["contacts"] == 1
        assert monday.json()["since"] == "2026-01-05T05:00:00.000+00:00"
        assert client.get("/api/metrics/filters", headers=admin).json()["today"] == "2026-01-05"


def test_a_knowledge_gap_asked_in_other_cases_counts_once_as_first_written(tmp_path) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN, rasa_url="", route_interval_s=0)
    bot = ScriptedBot()
    with TestClient(
        create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)
    ) as client:
        for text in ("Can I open an ISA?", "can i open an  isa?", "Can I open an Isa?"):
            bot.replies += [handoff("no_answer")]
            chat(client)[1](text)
            clock.advance(seconds=60)
        figures = client.get("/api/metrics", headers=ADMIN_HEADERS).json()
    assert figures["knowledge_gaps"] == [{"question": "Can I open an ISA?", "count": 3}]
