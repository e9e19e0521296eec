"""Ops figures against a scenario counted by hand."""

from __future__ import annotations

from tests.conftest import make_agent

ARTICLE = {
    "custom": {
        "text": "Freeze it in the app.",
        "article_id": "freeze-card",
        "title": "Freeze your card",
        "score": 0.8,
        "skill": "cards",
    }
}
RESOLVED = [
    {"custom": {"feedback": {"article_id": "freeze-card", "helpful": True}}},
    {"custom": {"text": "Great!"}},
    {"custom": {"resolve": {}}},
]
HANDOFF = [{"custom": {"handoff": {"reason": "customer_request"}}}]
NO_ANSWER = [{"custom": {"handoff": {"reason": "no_answer"}}}]


def chat(client, email: str | None = None):
    started = client.post(
        "/api/conversations", json={"customer": {"email": email} if email else {}}
    ).json()
    headers = {"Authorization": f"Bearer {started['token']}"}

    def say(text: str) -> dict:
        return client.post(
            f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
        ).json()

    return started["id"], say


def test_figures_for_a_scenario_counted_by_hand(client, bot, admin, clock) -> None:
    agent = make_agent(client, admin, "Priya", {"cards": 3})
    # A: the bot answers and the customer says it helped: contained, first-contact resolved.
    bot.replies += [[ARTICLE], RESOLVED]
    _, say_a = chat(client, "a@example.com")
    say_a("freeze my card")
    say_a("/affirm")
    # B: a person is asked for, Priya takes it after 60 s and resolves it 120 s later; CSAT 4.
    bot.replies += [[ARTICLE], HANDOFF]
    b, say_b = chat(client, "b@example.com")
    say_b("freeze my card")
    say_b("a person please")
    clock.advance(seconds=60)
    client.post(f"/api/conversations/{b}/accept", headers=agent["headers"])
    clock.advance(seconds=120)
    client.post(f"/api/conversations/{b}/resolve", headers=agent["headers"])
    say_b('/csat{"score": 4}')
    # C: the bot has no answer, Priya has gone offline: a ticket (a knowledge gap).
    client.put(
        f"/api/agents/{agent['id']}/status", json={"status": "offline"}, headers=agent["headers"]
    )
    bot.replies += [NO_ANSWER]
    _, say_c = chat(client, "c@example.com")
    say_c("Do you sell pet insurance?")
    # D: customer A comes back about cards the next day: A was not resolved at first contact.
    clock.advance(days=1)
    bot.replies += [[ARTICLE]]
    _, say_d = chat(client, "a@example.com")
    say_d("my card is still not frozen")
    # E: opened but never written in: not a contact.
    chat(client)

    figures = client.get("/api/metrics", headers=admin).json()
    assert figures["contacts"] == 4
    assert figures["bot_containment"] == 0.25  # A
    assert figures["first_contact_resolution"] == 0.25  # B (A came back, C became a ticket, D open)
    assert figures["handoff_rate"] == 0.5  # B, C
    assert figures["handoffs_by_reason"] == {"customer_request": 1, "no_answer": 1}
    assert figures["ticket_rate"] == 0.25  # C
    assert (figures["wait_avg_s"], figures["wait_p90_s"], figures["handle_time_avg_s"]) == (
        60.0,
        60.0,
        120.0,
    )
    assert (figures["csat_avg"], figures["csat_responses"]) == (4.0, 1)
    assert figures["knowledge_gaps"] == [{"question": "do you sell pet insurance?", "count": 1}]
    cards_only = client.get("/api/metrics?skill=cards", headers=admin).json()
    assert cards_only["contacts"] == 3  # A, B, D showed a cards article; C had no topic


def test_idle_chats_are_abandoned(client, bot, admin, clock) -> None:
    bot.replies += [[ARTICLE]]
    cid, say = chat(client)
    say("freeze my card")
    clock.advance(minutes=29)
    assert client.app.state.services.queue.abandon_idle() == []
    clock.advance(minutes=2)
    assert client.app.state.services.queue.abandon_idle() == [cid]
    assert client.get("/api/metrics", headers=admin).json()["abandonment_rate"] == 1.0


def test_metrics_need_the_ops_role_and_good_dates(client, admin) -> None:
    customer = client.post("/api/conversations", json={}).json()["token"]
    assert (
        client.get("/api/metrics", headers={"Authorization": f"Bearer {customer}"}).status_code
        == 403
    )
    assert (
        client.get("/api/metrics?since=2026-02-01&until=2026-01-01", headers=admin).status_code
        == 422
    )
    assert client.get("/api/metrics?since=yesterday", headers=admin).status_code == 422
    empty = client.get("/api/metrics?since=2020-01-01&until=2020-01-31", headers=admin).json()
    assert empty["contacts"] == 0 and empty["first_contact_resolution"] is None
