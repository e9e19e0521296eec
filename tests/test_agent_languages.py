"""Agents chat in the languages they speak: a chat is offered only to an agent who speaks the
conversation's language, also once it has waited past the skill wait limit; a chat nobody online
speaks the language of waits as one nobody has the skill for (wait unknown, email instead, a
ticket at the maximum wait). An agent named in a transfer may still be given any chat."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_agent
from tests.helpers import ROOT

RETURNS = [{"custom": {"handoff": {"reason": "customer_request", "skill": "returns"}}}]
JAPANESE = "返品のことで担当の方と話したいです"
ENGLISH = "I would like to talk to someone about a return"


def agent(client, admin, name: str, languages: list[str] | None, *, level=3, **options) -> dict:
    """An online agent with the returns skill, speaking `languages` (English when None)."""
    return make_agent(client, admin, name, {"returns": level}, languages=languages, **options)


def handed_over(client, bot, text: str) -> tuple[str, dict[str, str]]:
    """A customer who writes `text` (no locale given) and is handed over for returns."""
    bot.replies.append(list(RETURNS))
    started = client.post("/api/conversations", json={}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    turn = client.post(
        f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
    )
    assert turn.status_code == 200 and turn.json()["status"] == "queued", turn.text
    return started["id"], headers


def offers(client, made: dict) -> list[str]:
    response = client.get(f"/api/agents/{made['id']}/offers", headers=made["headers"])
    assert response.status_code == 200
    return [offer["conversation_id"] for offer in response.json()]


def route(client) -> None:
    client.app.state.services.queue.route()


def test_a_japanese_chat_goes_to_the_japanese_returns_agent_even_past_the_wait_limit(
    client, bot, admin, clock
) -> None:
    misaki = agent(client, admin, "佐藤 美咲", ["ja"], level=2, max_concurrent=1)
    priya = agent(client, admin, "Priya Raman", None, level=5)  # speaks English, the default

    first, _ = handed_over(client, bot, JAPANESE)
    assert offers(client, misaki) == [first] and offers(client, priya) == []
    accepted = client.post(f"/api/conversations/{first}/accept", headers=misaki["headers"])
    assert accepted.status_code == 200 and accepted.json()["language"] == "ja"

    second, headers = handed_over(client, bot, JAPANESE)  # Misaki's one slot is taken
    clock.advance(seconds=121)  # past the skill wait limit (120 s)
    route(client)
    assert offers(client, priya) == []
    view = client.get(f"/api/conversations/{second}", headers=headers).json()
    assert view["status"] == "queued" and view["language"] == "ja"

    client.post(f"/api/conversations/{first}/resolve", headers=misaki["headers"])
    assert offers(client, misaki) == [second] and offers(client, priya) == []
    english, _ = handed_over(client, bot, ENGLISH)
    assert offers(client, priya) == [english]


def test_an_english_chat_past_the_wait_limit_is_not_given_to_a_japanese_agent(
    client, bot, admin, clock
) -> None:
    busy = agent(client, admin, "Priya Raman", ["en"], max_concurrent=1)
    kenta = make_agent(client, admin, "鈴木 健太", {"shipping": 5}, languages=["ja"])
    first, _ = handed_over(client, bot, ENGLISH)
    client.post(f"/api/conversations/{first}/accept", headers=busy["headers"])
    second, headers = handed_over(client, bot, ENGLISH)

    clock.advance(seconds=121)
    route(client)
    assert offers(client, kenta) == []
    # Once Kenta also speaks English, the widened chat is his to take.
    both = client.patch(
        f"/api/agents/{kenta['id']}", json={"languages": ["ja", "en"]}, headers=admin
    )
    assert both.status_code == 200 and both.json()["languages"] == ["ja", "en"]
    assert offers(client, kenta) == [second]


def test_a_chat_nobody_online_speaks_becomes_a_ticket_at_once(client, bot, admin) -> None:
    """As when nobody is online: a Japanese customer is not kept waiting for English-speaking
    agents who will never be offered the chat; the bot is told so first (to ask for an
    address)."""
    priya = agent(client, admin, "Priya Raman", ["en"], level=5)
    bot.replies.append(list(RETURNS))
    started = client.post("/api/conversations", json={}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    turn = client.post(
        f"/api/conversations/{started['id']}/messages", json={"text": JAPANESE}, headers=headers
    ).json()
    assert bot.told[-1]["agents_available"] is False
    assert turn["status"] == "ticketed"
    view = client.get(f"/api/conversations/{started['id']}", headers=headers).json()
    ticket = client.get(f"/api/tickets/{view['ticket_id']}", headers=admin).json()
    assert ticket["reason"] == "nobody_online"
    assert offers(client, priya) == []
    # An English customer at the same moment waits for Priya.
    english, _ = handed_over(client, bot, ENGLISH)
    assert bot.told[-1]["agents_available"] is True
    assert offers(client, priya) == [english]


def test_a_named_agent_may_be_given_a_chat_in_a_language_they_do_not_speak(
    client, bot, admin
) -> None:
    misaki = agent(client, admin, "佐藤 美咲", ["ja"])
    priya = agent(client, admin, "Priya Raman", ["en"])
    conversation_id, _ = handed_over(client, bot, JAPANESE)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=misaki["headers"])

    moved = client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"agent_id": priya["id"]},
        headers=misaki["headers"],
    )

    assert moved.status_code == 200, moved.text
    assert offers(client, priya) == [conversation_id]


def test_agents_speak_english_unless_told_and_say_which_languages_they_speak(client, admin) -> None:
    made = client.post("/api/agents", json={"name": "Priya Raman"}, headers=admin).json()
    both = client.post(
        "/api/agents", json={"name": "伊藤 さくら", "languages": ["ja", "en", "ja"]}, headers=admin
    ).json()

    assert made["languages"] == ["en"]
    assert both["languages"] == ["ja", "en"]
    listed = client.get("/api/agents", headers=admin).json()
    assert {a["name"]: a["languages"] for a in listed} == {
        "Priya Raman": ["en"],
        "伊藤 さくら": ["ja", "en"],
    }
    roster = client.get("/api/agents/roster", headers={"Authorization": f"Bearer {made['token']}"})
    assert [a["languages"] for a in roster.json()] == [["en"], ["ja", "en"]]


@pytest.mark.parametrize("languages", [["fr"], ["en", "xx"], ["JA"], [], "ja", [None]])
def test_an_agent_with_a_language_cascade_does_not_speak_is_refused(
    client, admin, languages
) -> None:
    created = client.post(
        "/api/agents", json={"name": "Somebody", "languages": languages}, headers=admin
    )
    assert created.status_code == 422, created.text
    made = client.post("/api/agents", json={"name": "Priya Raman"}, headers=admin).json()
    changed = client.patch(
        f"/api/agents/{made['id']}", json={"languages": languages}, headers=admin
    )
    assert changed.status_code == 422, changed.text
    assert client.get("/api/agents", headers=admin).json()[0]["languages"] == ["en"]


def test_only_an_admin_changes_an_agent_and_what_is_left_out_stays(client, admin) -> None:
    made = client.post(
        "/api/agents",
        json={"name": "佐藤 美咲", "skills": {"returns": 5}, "max_concurrent": 4},
        headers=admin,
    ).json()
    own = {"Authorization": f"Bearer {made['token']}"}

    refused = client.patch(f"/api/agents/{made['id']}", json={"languages": ["ja"]}, headers=own)
    changed = client.patch(f"/api/agents/{made['id']}", json={"languages": ["ja"]}, headers=admin)
    missing = client.patch("/api/agents/nobody", json={"languages": ["ja"]}, headers=admin)

    assert refused.status_code == 403
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("name", "skills", "max_concurrent", "languages")} == {
        "name": "佐藤 美咲",
        "skills": {"returns": 5},
        "max_concurrent": 4,
        "languages": ["ja"],
    }
    assert missing.status_code == 404


def test_the_demo_shops_agents_speak_japanese_and_the_banks_english() -> None:
    raw = json.loads((ROOT / "data" / "agents.json").read_text(encoding="utf-8"))
    shop = {"佐藤 美咲", "鈴木 健太", "高橋 彩", "田中 翔太", "伊藤 さくら"}
    assert {a["name"] for a in raw if a.get("languages") == ["ja"]} == shop
    assert all("languages" not in a for a in raw if a["name"] not in shop)  # English by default


def test_seeding_the_demo_agents_again_gives_those_made_before_their_languages(
    client, settings, admin
) -> None:
    from typer.testing import CliRunner

    from cascade.cli import app

    demo = ROOT / "data" / "agents.json"
    raw = json.loads(demo.read_text(encoding="utf-8"))
    before = settings.data_dir / "agents-before.json"  # as the file was before languages
    before.write_text(json.dumps([{k: v for k, v in a.items() if k != "languages"} for a in raw]))
    runner = CliRunner()

    def seed(path) -> str:
        done = runner.invoke(
            app, ["agents", "seed", str(path), "--data-dir", str(settings.data_dir)]
        )
        assert done.exit_code == 0, done.output
        return done.output

    assert seed(before).count("token") == len(raw)
    speaks = {a["name"]: a["languages"] for a in client.get("/api/agents", headers=admin).json()}
    assert set(map(tuple, speaks.values())) == {("en",)}

    assert seed(demo) == ""  # nobody made twice
    speaks = {a["name"]: a["languages"] for a in client.get("/api/agents", headers=admin).json()}
    assert speaks == {a["name"]: a.get("languages", ["en"]) for a in raw}
