"""What the agent console asks for beyond the chat and ticket routes: an agent's current chats
after a reload, colleagues to transfer to, and each ticket's SLA instants."""

from __future__ import annotations

from tests.factories import make_agent, waiting_chat


def test_an_agent_gets_their_current_chats_back_after_a_reload(client, bot, admin, clock) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 3})
    other = make_agent(client, admin, "Tom Whitfield", {"cards": 1})
    first, _ = waiting_chat(client, bot, name="Ana")
    second, _ = waiting_chat(client, bot, name="Ben")
    for conversation_id in (first, second):
        accepted = client.post(
            f"/api/conversations/{conversation_id}/accept", headers=priya["headers"]
        )
        assert accepted.status_code == 200, accepted.text
        clock.advance(seconds=5)

    chats = client.get(f"/api/agents/{priya['id']}/chats", headers=priya["headers"])
    assert chats.status_code == 200
    assert [c["id"] for c in chats.json()] == [first, second]
    assert chats.json()[0]["handoff"]["reason"] == "customer_request"
    assert chats.json()[0]["customer"]["name"] == "Ana"
    assert chats.json()[0]["messages"][-1]["text"] == "Priya Raman has joined the chat."

    assert client.post(f"/api/conversations/{first}/resolve", headers=priya["headers"]).is_success
    after = client.get(f"/api/agents/{priya['id']}/chats", headers=priya["headers"]).json()
    assert [c["id"] for c in after] == [second]
    assert client.get(f"/api/agents/{other['id']}/chats", headers=other["headers"]).json() == []


def test_only_the_agent_or_an_admin_sees_their_chats(client, admin) -> None:
    priya = make_agent(client, admin, "Priya Raman")
    tom = make_agent(client, admin, "Tom Whitfield")
    refused = client.get(f"/api/agents/{priya['id']}/chats", headers=tom["headers"])
    assert refused.status_code == 403
    assert "only manage themselves" in refused.json()["detail"]
    assert client.get(f"/api/agents/{priya['id']}/chats", headers=admin).json() == []
    assert client.get("/api/agents/nobody/chats", headers=admin).status_code == 404


def test_the_roster_shows_colleagues_without_their_tokens(client, bot, admin) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 3})
    make_agent(client, admin, "Tom Whitfield", {"app": 5}, online=False)
    waiting_chat(client, bot)  # offered to Priya: one of her three slots
    roster = client.get("/api/agents/roster", headers=priya["headers"])
    assert roster.status_code == 200
    assert [
        (a["name"], a["status"], a["skills"], a["load"], a["max_concurrent"]) for a in roster.json()
    ] == [
        ("Priya Raman", "online", {"cards": 3}, 1, 3),
        ("Tom Whitfield", "offline", {"app": 5}, 0, 3),
    ]
    assert all("token" not in a for a in roster.json())
    customer = client.post("/api/conversations", json={}).json()
    refused = client.get(
        "/api/agents/roster", headers={"Authorization": f"Bearer {customer['token']}"}
    )
    assert refused.status_code == 403


def test_ticket_sla_clocks_give_the_warning_and_due_instants(client, bot, admin, clock) -> None:
    # Nobody online: the hand-over becomes a ticket on Monday 09:00 (business hours 9-17).
    bot.replies.append([{"custom": {"handoff": {"reason": "customer_request"}}}])
    started = client.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    customer = {"Authorization": f"Bearer {started['token']}"}
    client.post(
        f"/api/conversations/{started['id']}/messages", json={"text": "a person"}, headers=customer
    )
    ticket_id = client.get(f"/api/conversations/{started['id']}", headers=customer).json()[
        "ticket_id"
    ]

    clocks = client.get(f"/api/tickets/{ticket_id}/sla", headers=admin)
    assert clocks.status_code == 200
    first = clocks.json()["first_response"]
    assert first == {
        "started": "2026-01-05T09:00:00.000+00:00",
        "warning_at": "2026-01-05T12:00:00.000+00:00",  # 3 of the 4 business hours
        "due": "2026-01-05T13:00:00.000+00:00",
        "met_at": None,
        "state": "ok",
    }
    # 24 business hours of 8 a day: the warning falls in the third day's afternoon.
    assert clocks.json()["resolution"]["warning_at"] == "2026-01-07T11:00:00.000+00:00"

    clock.advance(hours=3)
    listed = client.get("/api/tickets", params={"clocks": "true"}, headers=admin).json()
    assert listed[0]["id"] == ticket_id
    assert listed[0]["sla_clocks"]["first_response"]["state"] == "warning"
    assert "sla_clocks" not in client.get("/api/tickets", headers=admin).json()[0]

    agent = make_agent(client, admin, "Priya Raman", online=False)
    replied = client.post(
        f"/api/tickets/{ticket_id}/replies", json={"text": "On it."}, headers=agent["headers"]
    )
    assert replied.status_code == 201
    met = client.get(f"/api/tickets/{ticket_id}/sla", headers=admin).json()["first_response"]
    assert (met["state"], met["met_at"]) == ("met", "2026-01-05T12:00:00.000+00:00")


def test_a_customer_cannot_read_sla_clocks(client, admin) -> None:
    customer = client.post("/api/conversations", json={}).json()
    refused = client.get(
        "/api/tickets/T-1001/sla", headers={"Authorization": f"Bearer {customer['token']}"}
    )
    assert refused.status_code == 403
    assert client.get("/api/tickets/T-9999/sla", headers=admin).status_code == 404
