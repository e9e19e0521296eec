"""Who may see and act on which chat and ticket: an agent only on the chats offered or assigned
to them and the tickets assigned to them or unassigned; a supervisor reads every chat and
ticket, transfers and resolves any chat and changes any ticket (docs/production/access.md)."""

from __future__ import annotations

import pytest

from tests.factories import make_agent, waiting_chat


def supervisor(client, admin, name="Sam Okafor") -> dict[str, str]:
    issued = client.post("/api/tokens", json={"role": "supervisor", "subject": name}, headers=admin)
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


@pytest.fixture
def two_agents(client, bot, admin):
    """Priya has Ana's chat (accepted); Tom, online with the same skill, has none of it."""
    priya = make_agent(client, admin, "Priya Raman", {"cards": 3})
    chat, customer = waiting_chat(client, bot, name="Ana")
    accepted = client.post(f"/api/conversations/{chat}/accept", headers=priya["headers"])
    assert accepted.status_code == 200, accepted.text
    tom = make_agent(client, admin, "Tom Whitfield", {"cards": 3})
    return priya, tom, chat, customer


def test_another_agent_cannot_read_reply_to_or_annotate_a_chat(client, two_agents) -> None:
    priya, tom, chat, _ = two_agents
    base = f"/api/conversations/{chat}"
    refused = {
        "read": client.get(base, headers=tom["headers"]),
        "notes": client.get(f"{base}/notes", headers=tom["headers"]),
        "note": client.post(f"{base}/notes", json={"text": "mine now"}, headers=tom["headers"]),
        "reply": client.post(f"{base}/messages", json={"text": "Hi"}, headers=tom["headers"]),
        "ticket": client.get(f"{base}/ticket", headers=tom["headers"]),
        "transcript": client.post(f"{base}/transcript", headers=tom["headers"]),
        "transfer": client.post(
            f"{base}/transfer", json={"skill": "general"}, headers=tom["headers"]
        ),
        "resolve": client.post(f"{base}/resolve", headers=tom["headers"]),
        "escalate": client.post(f"{base}/escalate", headers=tom["headers"]),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    assert refused["read"].json()["detail"] == "this chat is not offered or assigned to you"
    # Nothing Tom tried reached the chat.
    view = client.get(base, headers=priya["headers"]).json()
    assert view["status"] == "assigned"
    assert [m["text"] for m in view["messages"] if m["sender"] == "agent"] == []
    assert client.get(f"{base}/notes", headers=priya["headers"]).json() == []
    # A chat that does not exist is not found, for Tom as for anyone.
    assert client.get("/api/conversations/nope", headers=tom["headers"]).status_code == 404


def test_the_agent_acts_on_their_own_chat(client, two_agents) -> None:
    priya, _, chat, customer = two_agents
    base = f"/api/conversations/{chat}"
    read = client.get(base, headers=priya["headers"])
    assert read.status_code == 200
    assert read.json()["handoff"]["reason"] == "customer_request"  # the hand-over package
    note = client.post(f"{base}/notes", json={"text": "Card 4421"}, headers=priya["headers"])
    assert note.status_code == 201
    reply = client.post(f"{base}/messages", json={"text": "Hi Ana"}, headers=priya["headers"])
    assert reply.status_code == 200
    assert client.get(base, headers=customer).json()["messages"][-1]["text"] == "Hi Ana"
    assert client.post(f"{base}/resolve", headers=priya["headers"]).json()["status"] == "resolved"
    # Once her part ends the chat is no longer hers to read.
    assert client.get(base, headers=priya["headers"]).status_code == 403


def test_an_offer_opens_the_chat_to_that_agent_alone(client, bot, admin) -> None:
    best = make_agent(client, admin, "Best", {"cards": 5})
    other = make_agent(client, admin, "Other", {"cards": 1})
    chat, _ = waiting_chat(client, bot)
    offered = client.get(f"/api/conversations/{chat}", headers=best["headers"])
    assert offered.status_code == 200
    assert offered.json()["handoff"]["transcript"][-2]["text"] == "I want a person"
    assert client.get(f"/api/conversations/{chat}", headers=other["headers"]).status_code == 403

    # Taking a waiting chat nobody offered them is refused; the offer stays with Best.
    taken = client.post(f"/api/conversations/{chat}/accept", headers=other["headers"])
    assert taken.status_code == 403
    assert "not offered to you" in taken.json()["detail"]
    accepted = client.post(f"/api/conversations/{chat}/accept", headers=best["headers"])
    assert accepted.status_code == 200
    assert accepted.json()["assigned_agent"]["id"] == best["id"]


def test_a_supervisor_reads_every_chat_and_transfers_or_resolves_it(
    client, bot, admin, two_agents
) -> None:
    priya, tom, chat, _ = two_agents
    boss = supervisor(client, admin)
    base = f"/api/conversations/{chat}"
    client.post(f"{base}/notes", json={"text": "Card 4421"}, headers=priya["headers"])

    view = client.get(base, headers=boss)
    assert view.status_code == 200
    assert view.json()["assigned_agent"]["name"] == "Priya Raman"
    assert "handoff" in view.json()
    assert [n["text"] for n in client.get(f"{base}/notes", headers=boss).json()] == ["Card 4421"]
    desk = client.get(f"/api/agents/{priya['id']}/chats", headers=boss)
    assert [c["id"] for c in desk.json()] == [chat]
    assert client.get(f"/api/agents/{priya['id']}/offers", headers=boss).status_code == 200
    assert {a["name"] for a in client.get("/api/agents/roster", headers=boss).json()} == {
        "Priya Raman",
        "Tom Whitfield",
    }
    # A supervisor is nobody's agent: they neither write to the customer nor take chats.
    assert client.post(f"{base}/messages", json={"text": "Hi"}, headers=boss).status_code == 403
    assert client.post(f"{base}/notes", json={"text": "x"}, headers=boss).status_code == 403
    assert client.post(f"{base}/handback", headers=boss).status_code == 403

    moved = client.post(f"{base}/transfer", json={"agent_id": tom["id"]}, headers=boss)
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "queued"
    assert (
        client.get(f"/api/agents/{tom['id']}/offers", headers=tom["headers"]).json()[0][
            "conversation_id"
        ]
        == chat
    )
    assert client.get(base, headers=priya["headers"]).status_code == 403  # no longer hers
    assert client.post(f"{base}/accept", headers=tom["headers"]).status_code == 200
    resolved = client.post(f"{base}/resolve", headers=boss)
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"


# -- tickets -------------------------------------------------------------------------------


def ticket_for(client, bot, admin, *, name: str, assignee: str | None) -> str:
    """A ticket filed at once (nobody online), assigned to `assignee` if given."""
    chat, customer = waiting_chat(client, bot, name=name)
    ticket_id = client.get(f"/api/conversations/{chat}", headers=customer).json()["ticket_id"]
    if assignee:
        assigned = client.patch(
            f"/api/tickets/{ticket_id}", json={"assignee_agent_id": assignee}, headers=admin
        )
        assert assigned.status_code == 200
    return ticket_id


@pytest.fixture
def tickets(client, bot, admin):
    """Priya's ticket, Tom's ticket and one nobody has taken (the agents are offline)."""
    priya = make_agent(client, admin, "Priya Raman", online=False)
    tom = make_agent(client, admin, "Tom Whitfield", online=False)
    return (
        priya,
        tom,
        {
            "priya": ticket_for(client, bot, admin, name="Ana", assignee=priya["id"]),
            "tom": ticket_for(client, bot, admin, name="Ben", assignee=tom["id"]),
            "open": ticket_for(client, bot, admin, name="Cleo", assignee=None),
        },
    )


def test_an_agent_cannot_read_or_change_another_agents_ticket(client, tickets) -> None:
    priya, tom, ids = tickets
    theirs = f"/api/tickets/{ids['priya']}"
    refused = {
        "read": client.get(theirs, headers=tom["headers"]),
        "sla": client.get(f"{theirs}/sla", headers=tom["headers"]),
        "change": client.patch(theirs, json={"status": "closed"}, headers=tom["headers"]),
        "take": client.patch(theirs, json={"assignee_agent_id": tom["id"]}, headers=tom["headers"]),
        "note": client.post(f"{theirs}/notes", json={"text": "x"}, headers=tom["headers"]),
        "reply": client.post(f"{theirs}/replies", json={"text": "x"}, headers=tom["headers"]),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    assert refused["read"].json()["detail"] == "this ticket is assigned to another agent"
    ticket = client.get(theirs, headers=priya["headers"]).json()
    assert (ticket["status"], ticket["assignee_agent_id"], ticket["notes"]) == (
        "new",
        priya["id"],
        [],
    )
    assert client.get("/api/tickets/T-9999", headers=tom["headers"]).status_code == 404


def test_an_agent_sees_their_tickets_and_the_unassigned_ones_and_picks_one_up(
    client, tickets
) -> None:
    priya, tom, ids = tickets
    listed = client.get("/api/tickets", headers=tom["headers"]).json()
    assert {t["id"] for t in listed} == {ids["tom"], ids["open"]}
    mine_only = client.get("/api/tickets", params={"assignee": priya["id"]}, headers=tom["headers"])
    assert mine_only.json() == []

    unassigned = f"/api/tickets/{ids['open']}"
    assert client.get(unassigned, headers=tom["headers"]).status_code == 200
    taken = client.patch(unassigned, json={"assignee_agent_id": tom["id"]}, headers=tom["headers"])
    assert taken.status_code == 200
    assert taken.json()["assignee_agent_id"] == tom["id"]
    assert client.get(unassigned, headers=priya["headers"]).status_code == 403  # Tom's now
    replied = client.post(
        f"{unassigned}/replies", json={"text": "Looking into it."}, headers=tom["headers"]
    )
    assert replied.status_code == 201
    # Passing his own ticket to a colleague is his to do; then it is hers.
    passed = client.patch(
        unassigned, json={"assignee_agent_id": priya["id"]}, headers=tom["headers"]
    )
    assert passed.status_code == 200
    assert client.get(unassigned, headers=tom["headers"]).status_code == 403


def test_a_supervisor_sees_every_ticket_and_reassigns_or_closes_it(client, admin, tickets) -> None:
    priya, tom, ids = tickets
    boss = supervisor(client, admin)
    listed = client.get("/api/tickets", headers=boss).json()
    assert {t["id"] for t in listed} == set(ids.values())
    theirs = f"/api/tickets/{ids['priya']}"
    assert client.get(theirs, headers=boss).json()["assignee_agent_id"] == priya["id"]
    assert client.get(f"{theirs}/sla", headers=boss).status_code == 200

    moved = client.patch(theirs, json={"assignee_agent_id": tom["id"]}, headers=boss)
    assert moved.status_code == 200
    assert client.get(theirs, headers=tom["headers"]).status_code == 200
    # null takes it off Tom, back to the shared inbox; a change of status alone keeps him.
    kept = client.patch(theirs, json={"priority": "high"}, headers=boss)
    assert kept.json()["assignee_agent_id"] == tom["id"]
    unassigned = client.patch(theirs, json={"assignee_agent_id": None}, headers=boss)
    assert unassigned.status_code == 200
    assert unassigned.json()["assignee_agent_id"] is None
    assert theirs.rsplit("/", 1)[1] in {
        t["id"] for t in client.get("/api/tickets", headers=priya["headers"]).json()
    }
    closed = client.patch(theirs, json={"status": "closed"}, headers=boss)
    assert closed.json()["status"] == "closed"
    # Writing to the customer stays with agents.
    assert client.post(f"{theirs}/replies", json={"text": "x"}, headers=boss).status_code == 403
    # Ops keep reading every ticket (their figures and exports), as before.
    ops = client.post("/api/tokens", json={"role": "ops", "subject": "Ops"}, headers=admin).json()
    ops_headers = {"Authorization": f"Bearer {ops['token']}"}
    assert len(client.get("/api/tickets", headers=ops_headers).json()) == 3


def test_an_agents_inbox_holds_unassigned_tickets_only_in_their_languages(
    client, bot, admin
) -> None:
    """Nobody online: an English and a Japanese chat become tickets nobody has taken. The
    English-only agent's inbox holds the English one; the bilingual agent's both; a Japanese
    ticket given to the English-only agent is in theirs too."""
    english, _ = waiting_chat(client, bot, name="Ana")
    japanese, _ = waiting_chat(client, bot, name="花子", priority_text="担当者と話したいです")
    tickets = {
        chat: client.get(f"/api/conversations/{chat}", headers=admin).json()["ticket_id"]
        for chat in (english, japanese)
    }
    assert client.get(f"/api/conversations/{japanese}", headers=admin).json()["language"] == "ja"
    priya = make_agent(client, admin, "Priya Raman", online=False)
    misaki = make_agent(client, admin, "Sato Misaki", online=False, languages=["ja", "en"])

    def inbox(agent) -> set[str]:
        return {t["id"] for t in client.get("/api/tickets", headers=agent["headers"]).json()}

    assert inbox(priya) == {tickets[english]}
    assert inbox(misaki) == {tickets[english], tickets[japanese]}
    given = client.patch(
        f"/api/tickets/{tickets[japanese]}", json={"assignee_agent_id": priya["id"]}, headers=admin
    )
    assert given.status_code == 200
    assert inbox(priya) == {tickets[english], tickets[japanese]}
    assert inbox(misaki) == {tickets[english]}
