"""Resolutions ops can trust, against a week counted by hand: the bot's confirmed and assumed
resolutions, abandoned chats that never count, and durable resolutions and reopens by the same
customer, recognised by the widget's visitor id, by email and by a signed user id (a forged
signature is ignored)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conversations.identity import sign
from core.settings import Settings
from tests.factories import make_agent
from tests.helpers import ADMIN

SECRET = "company-identity-secret"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="", identity_secret=SECRET
    )


def answer(article_id: str, skill: str) -> list[dict]:
    """The bot shows an article and asks whether it helped."""
    return [
        {
            "custom": {
                "text": f"Here is how: {article_id}.",
                "article_id": article_id,
                "title": article_id,
                "score": 0.8,
                "skill": skill,
            }
        },
        {
            "custom": {
                "text": "Did that answer your question?",
                "buttons": [
                    {"title": "Yes", "payload": "/affirm"},
                    {"title": "No", "payload": "/deny"},
                ],
            }
        },
    ]


def yes(article_id: str) -> list[dict]:
    return [
        {"custom": {"feedback": {"article_id": article_id, "helpful": True}}},
        {"custom": {"text": "Great, glad that helped!"}},
        {"custom": {"resolve": {"article_id": article_id}}},
    ]


CARDS = ("freeze-card", "cards")
LOANS = ("loan-rates", "loans")


def chat(client, **customer: str):
    started = client.post("/api/conversations", json={"customer": customer})
    assert started.status_code == 201, started.text
    body = started.json()
    headers = {"Authorization": f"Bearer {body['token']}"}

    def say(text: str) -> dict:
        turn = client.post(
            f"/api/conversations/{body['id']}/messages", json={"text": text}, headers=headers
        )
        assert turn.status_code == 200, turn.text
        return turn.json()

    return body["id"], say


def answered_and_confirmed(client, bot, topic: tuple[str, str], **customer: str) -> str:
    bot.replies += [answer(*topic), yes(topic[0])]
    cid, say = chat(client, **customer)
    say(f"a question about {topic[1]}")
    assert say("/affirm")["status"] == "resolved"
    return cid


def signed(user_id: str) -> dict[str, str]:
    return {"user_id": user_id, "user_hash": sign(user_id, SECRET)}


def settle(client) -> None:
    client.app.state.services.queue.route()
    client.app.state.services.queue.abandon_idle()


@pytest.fixture
def week(client, bot, admin, clock, caplog) -> dict[str, str]:
    """Mon 5 – Fri 9 January 2026, figures read on Sunday 11 January at 12:00.

    Nine contacts (the durable window is 72 h, the FCR window 7 days):
      Mon A  visitor-aaaa        cards  confirmed        reopened by A2 (visitor id, 1 day)
          B  signed cust-42      cards  assumed (idle)   reopened by B2 (signed id, 2 days)
          C  signed cust-77      loans  confirmed        durable: X's forged id is ignored
          D  visitor-dddd        -      abandoned        (the bot asked for more; silence)
          E  e@example.com       cards  agent resolved   durable: F comes 4 days later
      Tue A2 visitor-aaaa        cards  confirmed        durable
          X  cust-77, bad hash   loans  confirmed        durable
      Wed B2 signed cust-42      loans  confirmed        durable (new browser, other topic)
      Fri F  E@example.com       cards  confirmed        within its 72 h still
    """
    priya = make_agent(client, admin, "Priya", {"cards": 3})
    ids: dict[str, str] = {}
    # Monday 09:00.
    ids["A"] = answered_and_confirmed(client, bot, CARDS, visitor_id="visitor-aaaa")
    bot.replies += [answer(*CARDS)]
    ids["B"], say_b = chat(client, visitor_id="visitor-bbbb", **signed("cust-42"))
    say_b("my card is lost")  # ... and the customer reads the answer and leaves
    ids["C"] = answered_and_confirmed(
        client, bot, LOANS, visitor_id="visitor-cccc", **signed("cust-77")
    )
    bot.replies += [[{"custom": {"text": "Could you tell me a bit more?"}}]]
    ids["D"], say_d = chat(client, visitor_id="visitor-dddd")
    say_d("hello")
    bot.replies += [[{"custom": {"handoff": {"reason": "customer_request", "skill": "cards"}}}]]
    ids["E"], say_e = chat(client, email="e@example.com")
    say_e("a person please")
    settle(client)
    for action in ("accept", "resolve"):
        done = client.post(f"/api/conversations/{ids['E']}/{action}", headers=priya["headers"])
        assert done.status_code == 200, done.text
    clock.advance(minutes=31)  # the idle limit: B is resolved as assumed, D abandoned
    settle(client)
    # Tuesday.
    clock.advance(days=1)
    ids["A2"] = answered_and_confirmed(client, bot, CARDS, visitor_id="visitor-aaaa")
    with caplog.at_level(logging.WARNING, logger="conversations.identity"):
        ids["X"] = answered_and_confirmed(
            client,
            bot,
            LOANS,
            visitor_id="visitor-xxxx",
            user_id="cust-77",
            user_hash=sign("cust-77", "not-the-secret"),
        )
    assert "signature does not match" in caplog.text
    # Wednesday.
    clock.advance(days=1)
    ids["B2"] = answered_and_confirmed(
        client, bot, LOANS, visitor_id="visitor-b2b2", **signed("cust-42")
    )
    # Friday.
    clock.advance(days=2)
    ids["F"] = answered_and_confirmed(client, bot, CARDS, email="E@example.com")
    # Sunday 11 January, 12:00.
    clock.advance(days=2, hours=3)
    return ids


RANGE = "since=2026-01-05&until=2026-01-11"


def test_the_week_counted_by_hand(client, admin, week) -> None:
    found = client.get(f"/api/metrics?{RANGE}", headers=admin).json()
    assert {key: found[key] for key in RESOLUTIONS} == {
        "contacts": 9,
        "resolved": 8,  # all but D
        "bot_resolved_confirmed": 6,  # A C A2 X B2 F
        "confirmed_resolution_rate": 0.6667,
        "bot_resolved_assumed": 1,  # B
        "assumed_resolution_rate": 0.1111,
        "bot_contained": 7,  # confirmed and assumed
        "abandoned": 1,  # D, not resolved
        "durable_resolutions": 5,  # C E A2 X B2
        "durable_resolution_rate": 0.5556,
        "reopened": 2,  # A (by visitor id), B (by signed user id)
        "reopen_rate": 0.25,  # 2 of 8 resolved
        "awaiting_window": 1,  # F, resolved less than 72 h ago
        # FCR: B C A2 X B2 F (A came back on cards, E too within 7 days; B2 was about loans)
        "resolved_first_time": 6,
        "first_contact_resolution": 0.6667,
    }
    assert found["by_skill"] == [
        {
            "skill": "cards",  # A B E A2 F
            "contacts": 5,
            "resolved": 5,
            "bot_resolved_confirmed": 3,  # A A2 F
            "bot_resolved_assumed": 1,  # B
            "durable_resolutions": 2,  # E A2
            "reopened": 2,  # A B
            "reopen_rate": 0.4,
        },
        {
            "skill": "loans",  # C X B2
            "contacts": 3,
            "resolved": 3,
            "bot_resolved_confirmed": 3,
            "bot_resolved_assumed": 0,
            "durable_resolutions": 3,
            "reopened": 0,
            "reopen_rate": 0.0,
        },
        {
            "skill": None,  # D
            "contacts": 1,
            "resolved": 0,
            "bot_resolved_confirmed": 0,
            "bot_resolved_assumed": 0,
            "durable_resolutions": 0,
            "reopened": 0,
            "reopen_rate": None,
        },
    ]
    cards = client.get(f"/api/metrics?{RANGE}&skill=cards", headers=admin).json()
    assert (cards["contacts"], cards["reopened"], cards["reopen_rate"]) == (5, 2, 0.4)
    assert [row["skill"] for row in cards["by_skill"]] == ["cards"]


RESOLUTIONS = (
    "contacts",
    "resolved",
    "bot_resolved_confirmed",
    "confirmed_resolution_rate",
    "bot_resolved_assumed",
    "assumed_resolution_rate",
    "bot_contained",
    "abandoned",
    "durable_resolutions",
    "durable_resolution_rate",
    "reopened",
    "reopen_rate",
    "awaiting_window",
    "resolved_first_time",
    "first_contact_resolution",
)


def test_each_day_and_the_csv(client, admin, week) -> None:
    daily = client.get(f"/api/metrics/daily?{RANGE}", headers=admin).json()
    monday, tuesday, wednesday, _, friday, *_ = daily["days"]
    assert [
        (d["contacts"], d["bot_resolved_confirmed"], d["bot_resolved_assumed"], d["reopened"])
        for d in (monday, tuesday, wednesday, friday)
    ] == [(5, 2, 1, 2), (2, 2, 0, 0), (1, 1, 0, 0), (1, 1, 0, 0)]
    assert daily["total"]["by_skill"][0]["skill"] == "cards"
    csv = client.get(f"/api/metrics.csv?{RANGE}", headers=admin).text.splitlines()
    header, total = csv[0].split(","), csv[-1].split(",")
    row = dict(zip(header, total, strict=True))
    assert (row["bot_resolved_assumed"], row["durable_resolutions"], row["reopen_rate"]) == (
        "1",
        "5",
        "0.25",
    )


def test_the_states_the_customers_see(client, admin, week) -> None:
    def status(name: str) -> str:
        return client.get(f"/api/conversations/{week[name]}", headers=admin).json()["status"]

    assert (status("B"), status("D")) == ("resolved", "abandoned")


def test_a_resolution_reopened_in_the_same_chat_is_not_durable(client, bot, admin, clock) -> None:
    bot.replies += [answer(*CARDS), yes("freeze-card"), answer(*CARDS), yes("freeze-card")]
    _, say = chat(client, visitor_id="visitor-aaaa")
    say("how do I freeze my card")
    assert say("/affirm")["status"] == "resolved"
    clock.advance(hours=5)
    assert say("it is still not frozen")["status"] == "bot"  # reopened
    assert say("/affirm")["status"] == "resolved"
    clock.advance(days=4)
    found = client.get("/api/metrics", headers=admin).json()
    assert (found["resolved"], found["reopened"], found["durable_resolutions"]) == (1, 1, 0)
    # The first resolution did not hold: the customer had to come back (in the same chat).
    assert (found["resolved_first_time"], found["first_contact_resolution"]) == (0, 0.0)


def thanks(act: str = "thanks") -> list[dict]:
    """The bot's reply to a thanks or a goodbye."""
    return [{"custom": {"text": "You're welcome!"}}, {"custom": {"courtesy": {"act": act}}}]


def test_a_thanks_after_the_resolution_leaves_it_resolved_and_durable(
    client, bot, admin, clock
) -> None:
    bot.replies += [answer(*CARDS), yes("freeze-card"), thanks(), thanks("goodbye")]
    cid, say = chat(client, visitor_id="visitor-bbbb")
    say("how do I freeze my card")
    assert say("/affirm")["status"] == "resolved"
    thanked = say("great, thank you!")
    assert thanked["status"] == "resolved"
    assert thanked["messages"][-1]["text"] == "You're welcome!"
    assert say("bye")["status"] == "resolved"
    # The rating buttons still rate the chat after the thanks.
    assert say('/csat{"score": 5}')["status"] == "resolved"
    clock.advance(days=4)
    found = client.get("/api/metrics", headers=admin).json()
    assert (found["resolved"], found["bot_resolved_confirmed"]) == (1, 1)
    assert (found["reopened"], found["durable_resolutions"]) == (0, 1)
    assert client.get(f"/api/conversations/{cid}", headers=admin).json()["csat"]["score"] == 5


def test_a_thanks_instead_of_yes_is_resolved_as_assumed_at_the_idle_limit(
    client, bot, admin, clock
) -> None:
    """ "Thanks!" to an answer, then nothing: no sign it failed, like silence after an answer,
    so assumed resolved at the idle limit, not abandoned. A thanks to anything else is not."""
    bot.replies += [answer(*CARDS), thanks(), [{"custom": {"text": "Hello!"}}], thanks()]
    thanked, say = chat(client, visitor_id="visitor-cccc")
    say("how do I freeze my card")
    assert say("great, thanks")["status"] == "bot"  # not confirmed: no yes was said
    greeted, say_other = chat(client, visitor_id="visitor-dddd")
    say_other("hello")
    say_other("thanks")
    clock.advance(minutes=31)
    assert sorted(client.app.state.services.queue.abandon_idle()) == sorted([thanked, greeted])
    views = {
        cid: client.get(f"/api/conversations/{cid}", headers=admin).json()["status"]
        for cid in (thanked, greeted)
    }
    assert views == {thanked: "resolved", greeted: "abandoned"}
    found = client.get("/api/metrics", headers=admin).json()
    assert (found["bot_resolved_assumed"], found["bot_resolved_confirmed"]) == (1, 0)


def test_a_thanks_after_an_agent_resolved_keeps_the_agent_s_resolution(
    client, bot, admin, clock
) -> None:
    agent = make_agent(client, admin, skills={"general": 3})
    bot.replies += [[{"custom": {"handoff": {"reason": "customer_request"}}}], thanks()]
    cid, say = chat(client, visitor_id="visitor-cccc")
    say("a person please")
    assert client.post(f"/api/conversations/{cid}/accept", headers=agent["headers"]).is_success
    assert client.post(f"/api/conversations/{cid}/resolve", headers=agent["headers"]).is_success
    assert say("thanks so much!")["status"] == "resolved"
    clock.advance(hours=1)
    settle(client)  # silence after the thanks abandons nothing: the chat is not open again
    found = client.get("/api/metrics", headers=admin).json()
    assert (found["resolved"], found["abandoned"], found["reopened"]) == (1, 0, 0)


@pytest.mark.parametrize(
    ("customer", "field"),
    [
        ({"visitor_id": "short"}, "visitor_id"),
        ({"visitor_id": "has spaces in it"}, "visitor_id"),
        ({"visitor_id": "v" * 65}, "visitor_id"),
        ({"user_id": "u" * 201, "user_hash": "00"}, "user_id"),
        ({"user_id": "", "user_hash": "00"}, "user_id"),
        ({"user_id": "line\nbreak", "user_hash": "00"}, "user_id"),
        ({"user_id": "cust-1", "user_hash": "f" * 129}, "user_hash"),
    ],
)
def test_malformed_identities_are_refused(client, customer, field) -> None:
    refused = client.post("/api/conversations", json={"customer": customer})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "customer", field]


@pytest.mark.parametrize(
    "claim",
    [
        {"user_id": "cust-1"},  # no signature
        {"user_id": "cust-1", "user_hash": "not even hex"},
        {"user_id": "cust-1", "user_hash": sign("cust-2", SECRET)},  # another customer's
    ],
)
def test_an_unsigned_user_id_starts_the_chat_without_it(client, bot, admin, clock, claim) -> None:
    first = answered_and_confirmed(client, bot, CARDS, **signed("cust-1"))
    clock.advance(hours=1)
    answered_and_confirmed(client, bot, CARDS, **claim)
    clock.advance(days=4)
    found = client.get("/api/metrics", headers=admin).json()
    assert (found["contacts"], found["reopened"], found["durable_resolutions"]) == (2, 0, 2)
    assert client.get(f"/api/conversations/{first}", headers=admin).status_code == 200


def test_without_a_secret_no_user_id_is_trusted(tmp_path, caplog) -> None:
    from fastapi.testclient import TestClient

    from cascade.app import create_app
    from core.clock import ManualClock
    from tests.factories import HashingEmbedder, ScriptedBot

    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="")
    clock = ManualClock()
    bot = ScriptedBot()
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as c:
        answered_and_confirmed(c, bot, CARDS, **signed("cust-1"))
        clock.advance(hours=1)
        with caplog.at_level(logging.WARNING, logger="conversations.identity"):
            answered_and_confirmed(c, bot, CARDS, **signed("cust-1"))
        assert "no identity secret is set" in caplog.text
        clock.advance(days=4)
        found = c.get("/api/metrics", headers={"Authorization": f"Bearer {ADMIN}"}).json()
        assert (found["reopened"], found["durable_resolutions"]) == (0, 2)
