"""The live-agent tier through the API: offers, timeouts with a moved clock, accept, decline,
transfer, resolve, hand back, escalate; and two agents racing for one chat."""

from __future__ import annotations

import threading

from conversations.transcript import as_text
from tests.factories import HANDOFF, make_agent, waiting_chat


def offers(client, agent) -> list[str]:
    response = client.get(f"/api/agents/{agent['id']}/offers", headers=agent["headers"])
    assert response.status_code == 200
    return [o["conversation_id"] for o in response.json()]


def route(client) -> None:
    client.app.state.services.queue.route()


def test_offered_to_the_skilled_agent_only_then_accepted(client, bot, admin) -> None:
    cards = make_agent(client, admin, "Priya Raman", {"cards": 3})
    app_agent = make_agent(client, admin, "Tom Whitfield", {"app": 5})
    conversation_id, headers = waiting_chat(client, bot)
    assert offers(client, cards) == [conversation_id]
    assert offers(client, app_agent) == []
    offer = client.get(f"/api/agents/{cards['id']}/offers", headers=cards["headers"]).json()[0]
    assert offer["handoff"]["reason"] == "customer_request"
    assert offer["transfer"] is None  # straight from the bot
    said = [m["text"] for m in offer["handoff"]["transcript"] if m["sender"] == "customer"]
    assert said[-1] == "I want a person"

    accepted = client.post(f"/api/conversations/{conversation_id}/accept", headers=cards["headers"])
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "assigned"
    assert accepted.json()["assigned_agent"] == {"id": cards["id"], "name": "Priya Raman"}

    reply = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": "Hi Ana, Priya here."},
        headers=cards["headers"],
    )
    assert reply.status_code == 200
    answer = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": "thanks, my card is stuck"},
        headers=headers,
    )
    assert answer.json()["status"] == "assigned"
    assert len(bot.sent) == 1  # Rasa never saw the chat after the hand-over
    view = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    senders_texts = [(m["sender"], m["text"]) for m in view["messages"]][-3:]
    assert senders_texts == [
        ("system", "Priya Raman has joined the chat."),
        ("agent", "Hi Ana, Priya here."),
        ("customer", "thanks, my card is stuck"),
    ]


def test_offer_timeout_goes_to_the_next_agent(client, bot, admin, clock) -> None:
    best = make_agent(client, admin, "Best", {"cards": 5})
    next_best = make_agent(client, admin, "Next", {"cards": 2})
    conversation_id, _ = waiting_chat(client, bot)
    assert offers(client, best) == [conversation_id] and offers(client, next_best) == []
    clock.advance(seconds=29)
    route(client)
    assert offers(client, best) == [conversation_id]
    clock.advance(seconds=2)
    route(client)
    assert offers(client, best) == [] and offers(client, next_best) == [conversation_id]
    late = client.post(f"/api/conversations/{conversation_id}/decline", headers=best["headers"])
    assert late.status_code == 403


def test_decline_goes_to_the_next_agent(client, bot, admin) -> None:
    best = make_agent(client, admin, "Best", {"cards": 5})
    next_best = make_agent(client, admin, "Next", {"cards": 2})
    conversation_id, _ = waiting_chat(client, bot)
    assert (
        client.post(
            f"/api/conversations/{conversation_id}/decline", headers=best["headers"]
        ).status_code
        == 200
    )
    assert offers(client, best) == [] and offers(client, next_best) == [conversation_id]


def last_words(client, conversation_id: str, headers) -> tuple[str, str]:
    view = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    return view["status"], view["messages"][-1]["text"]


def test_a_chat_every_online_agent_passed_on_becomes_a_ticket_at_once(
    client, bot, admin, clock
) -> None:
    """Nobody online is left to offer it to: the customer is not kept in line for the maximum
    wait, told "in a moment"; they get a ticket, and staff read why."""
    only = make_agent(client, admin, "Solo", {"cards": 5})
    japanese = make_agent(client, admin, "Sato", {"cards": 5})
    client.patch(f"/api/agents/{japanese['id']}", json={"languages": ["ja"]}, headers=admin)
    declined, headers = waiting_chat(client, bot)
    assert offers(client, only) == [declined]
    passed = client.post(f"/api/conversations/{declined}/decline", headers=only["headers"])
    assert passed.status_code == 200
    status, text = last_words(client, declined, headers)
    assert status == "ticketed"
    assert text.startswith("No one on our team can take your chat just now, so we've filed ticket")
    ticket_id = client.get(f"/api/conversations/{declined}", headers=headers).json()["ticket_id"]
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=only["headers"]).json()
    assert ticket["reason"] == "passed_on"

    # A missed offer is no answer: offered again while nobody else may take it; two missed in a
    # row set the agent away. Once both agents are away, a ticket.
    second = make_agent(client, admin, "Next", {"loans": 1})
    lapsed, headers = waiting_chat(client, bot, name="Ben")
    assert offers(client, only) == [lapsed]
    clock.advance(seconds=31)  # the offer timeout (30 s)
    route(client)
    assert last_words(client, lapsed, headers)[0] == "queued"
    assert offers(client, only) == [lapsed]  # Next has no cards skill: Solo again
    clock.advance(seconds=31)
    route(client)

    def status(agent) -> str:
        return client.get(f"/api/agents/{agent['id']}", headers=admin).json()["status"]

    assert (status(only), offers(client, only)) == ("away", [])
    clock.advance(seconds=60)  # past the skill wait: offered to Next, who has no cards skill
    route(client)
    assert offers(client, second) == [lapsed]
    for _ in range(2):
        assert last_words(client, lapsed, headers)[0] == "queued"
        clock.advance(seconds=31)
        route(client)
    assert status(second) == "away"
    status_now, text = last_words(client, lapsed, headers)
    assert status_now == "ticketed" and "filed ticket" in text


def offer_of(client, agent, conversation_id: str) -> dict:
    listed = client.get(f"/api/agents/{agent['id']}/offers", headers=agent["headers"]).json()
    return next(o for o in listed if o["conversation_id"] == conversation_id)


def sent_by_name(client, bot, admin, *also, note=None):
    """Priya (cards) takes Ana's chat and transfers it to Aisha (payments) by name, `also`
    (name, skills) online too; returns Priya, Aisha, the chat and Ana's headers."""
    priya = make_agent(client, admin, "Priya", {"cards": 3})
    aisha = make_agent(client, admin, "Aisha", {"payments": 4})
    for name, skills in also:
        make_agent(client, admin, name, skills)
    conversation_id, headers = waiting_chat(client, bot)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=priya["headers"])
    moved = client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"agent_id": aisha["id"], "note": note},
        headers=priya["headers"],
    )
    assert moved.status_code == 200, moved.text
    return priya, aisha, conversation_id, headers


def test_a_transfer_the_named_colleague_declines_comes_back_to_its_sender(
    client, bot, admin
) -> None:
    """Nobody else online to take it, the chat goes back to the agent who sent it, saying who
    declined it; not a ticket while that agent has room. Declined again, it is a ticket."""
    first, second, conversation_id, headers = sent_by_name(
        client, bot, admin, note="card refund, payments side"
    )
    assert offers(client, first) == []  # sent on: not hers while Aisha may take it
    client.post(f"/api/conversations/{conversation_id}/decline", headers=second["headers"])
    assert last_words(client, conversation_id, headers)[0] == "queued"
    back = offer_of(client, first, conversation_id)
    assert back["transfer"] == {
        "from_agent": {"id": first["id"], "name": "Priya"},
        "note": "card refund, payments side",
        "to_agent": {"id": second["id"], "name": "Aisha"},
        "passed_on": "declined",
    }
    assert offers(client, second) == []
    # The line a supervisor reads: on offer to Priya again, passed on by Aisha (not by Priya,
    # whose transfer it came back from).
    (waiting,) = client.get("/api/queue", headers=admin).json()
    assert waiting["offered_to"]["name"] == "Priya"
    assert [a["name"] for a in waiting["passed_on_by"]] == ["Aisha"]
    taken = client.post(f"/api/conversations/{conversation_id}/accept", headers=first["headers"])
    assert taken.json()["assigned_agent"] == {"id": first["id"], "name": "Priya"}

    # Sent again, declined again, and this time Priya says no to it too: a ticket.
    client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"agent_id": second["id"]},
        headers=first["headers"],
    )
    client.post(f"/api/conversations/{conversation_id}/decline", headers=second["headers"])
    assert offers(client, first) == [conversation_id]
    client.post(f"/api/conversations/{conversation_id}/decline", headers=first["headers"])
    assert last_words(client, conversation_id, headers)[0] == "ticketed"


def test_a_transfer_the_colleague_misses_comes_back(client, bot, admin, clock) -> None:
    """Aisha lets the offer lapse and nobody else may take the chat now (it needs cards): it
    is Priya's to take back at once, saying Aisha did not answer, not left waiting."""
    first, second, conversation_id, headers = sent_by_name(client, bot, admin)
    assert offers(client, second) == [conversation_id]
    clock.advance(seconds=31)  # the offer timeout (30 s)
    route(client)
    assert last_words(client, conversation_id, headers)[0] == "queued"
    assert offer_of(client, first, conversation_id)["transfer"]["passed_on"] == "expired"


def test_a_transfer_declined_while_its_sender_is_away_is_a_ticket(client, bot, admin) -> None:
    first, second, conversation_id, headers = sent_by_name(client, bot, admin)
    client.put(
        f"/api/agents/{first['id']}/status", json={"status": "away"}, headers=first["headers"]
    )
    client.post(f"/api/conversations/{conversation_id}/decline", headers=second["headers"])
    assert last_words(client, conversation_id, headers)[0] == "ticketed"


def test_a_transfer_declined_goes_to_a_free_colleague_first(client, bot, admin) -> None:
    """Someone else may take it: offered to them, told who declined it, not back to the sender."""
    first, second, conversation_id, _ = sent_by_name(client, bot, admin, ("Marcus", {"cards": 2}))
    client.post(f"/api/conversations/{conversation_id}/decline", headers=second["headers"])
    assert offers(client, first) == []
    marcus = next(
        a for a in client.get("/api/agents", headers=admin).json() if a["name"] == "Marcus"
    )
    listed = client.get(f"/api/agents/{marcus['id']}/offers", headers=admin).json()
    transfer = next(o for o in listed if o["conversation_id"] == conversation_id)["transfer"]
    assert (transfer["to_agent"]["name"], transfer["passed_on"]) == ("Aisha", "declined")


def test_a_transfer_nobody_else_online_could_take_is_refused(client, bot, admin) -> None:
    alone = make_agent(client, admin, "Priya", {"cards": 3})
    japanese = make_agent(client, admin, "Sato", {"loans": 5})
    client.patch(f"/api/agents/{japanese['id']}", json={"languages": ["ja"]}, headers=admin)
    conversation_id, headers = waiting_chat(client, bot)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=alone["headers"])
    refused = client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"skill": "loans"},
        headers=alone["headers"],
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "nobody else online chats in English, the customer's language: keep the chat, or"
        " escalate it to a ticket"
    )
    assert last_words(client, conversation_id, headers)[0] == "assigned"
    client.put(
        f"/api/agents/{japanese['id']}/status", json={"status": "away"}, headers=japanese["headers"]
    )
    named = client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"agent_id": japanese["id"]},
        headers=alone["headers"],
    )
    assert named.status_code == 409
    assert named.json()["detail"] == (
        "Sato is away with 0 of 3 chats: pick another colleague, or a skill"
    )
    colleague = make_agent(client, admin, "Tom", {"cards": 1})
    moved = client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"skill": "loans"},
        headers=alone["headers"],
    )
    assert moved.status_code == 200 and moved.json()["status"] == "queued"
    assert offers(client, colleague) == []  # not Tom's skill: he gets it after the skill wait


def test_going_offline_gives_back_offers(client, bot, admin) -> None:
    best = make_agent(client, admin, "Best", {"cards": 5})
    next_best = make_agent(client, admin, "Next", {"cards": 2})
    conversation_id, _ = waiting_chat(client, bot)
    client.put(
        f"/api/agents/{best['id']}/status", json={"status": "offline"}, headers=best["headers"]
    )
    assert offers(client, best) == [] and offers(client, next_best) == [conversation_id]


def test_after_the_skill_wait_anyone_may_take_it_then_it_becomes_a_ticket(
    client, bot, admin, clock
) -> None:
    busy = make_agent(client, admin, "Busy cards agent", {"cards": 5}, max_concurrent=1)
    other = make_agent(client, admin, "Loans", {"loans": 4})
    first, _ = waiting_chat(client, bot)
    client.post(f"/api/conversations/{first}/accept", headers=busy["headers"])  # its only slot
    second, headers = waiting_chat(client, bot, name="Ben")
    assert offers(client, other) == []
    clock.advance(seconds=121)  # the skill wait limit (120 s)
    route(client)
    assert second in offers(client, other)
    client.post(f"/api/conversations/{second}/decline", headers=other["headers"])
    clock.advance(seconds=600)  # the maximum wait
    route(client)
    view = client.get(f"/api/conversations/{second}", headers=headers).json()
    assert view["status"] == "ticketed" and view["ticket_id"]


def test_higher_priority_goes_first(client, bot, admin, clock) -> None:
    agent = make_agent(client, admin, "Solo", {"cards": 3}, max_concurrent=1)
    make_agent(client, admin, "Loans only", {"loans": 3})  # someone is online, so chats wait
    client.put(
        f"/api/agents/{agent['id']}/status", json={"status": "away"}, headers=agent["headers"]
    )
    normal, _ = waiting_chat(client, bot)
    clock.advance(seconds=5)
    bot.replies.append(
        [{"custom": {"handoff": {"reason": "frustration", "skill": "cards", "priority": "high"}}}]
    )
    started = client.post("/api/conversations", json={}).json()
    client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "this is not ok"},
        headers={"Authorization": f"Bearer {started['token']}"},
    )
    client.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent["headers"]
    )
    assert offers(client, agent) == [started["id"]]
    assert normal != started["id"]


def test_position_and_estimated_wait(client, bot, admin, clock) -> None:
    agent = make_agent(client, admin, "Solo", {"cards": 3}, max_concurrent=1)
    first, first_headers = waiting_chat(client, bot)
    clock.advance(seconds=1)
    second, second_headers = waiting_chat(client, bot, name="Ben")
    clock.advance(seconds=1)
    third, third_headers = waiting_chat(client, bot, name="Cy")
    places = [
        client.get(f"/api/conversations/{c}", headers=h).json()["queue"]
        for c, h in [(first, first_headers), (second, second_headers), (third, third_headers)]
    ]
    assert [p["position"] for p in places] == [1, 2, 3]
    # One slot, taken by the first chat's offer; the default handle time is 300 s.
    assert [p["estimated_wait_s"] for p in places] == [0, 300, 600]
    # An agent who handled a chat in 60 s makes the estimate shorter.
    client.post(f"/api/conversations/{first}/accept", headers=agent["headers"])
    clock.advance(seconds=60)
    client.post(f"/api/conversations/{first}/resolve", headers=agent["headers"])
    place = client.get(f"/api/conversations/{third}", headers=third_headers).json()["queue"]
    assert place == {"position": 2, "estimated_wait_s": 60}


def test_transfer_resolve_rate_hand_back_escalate(client, bot, admin) -> None:
    cards = make_agent(client, admin, "Priya", {"cards": 3})
    fraud = make_agent(client, admin, "Marcus", {"fraud": 5})
    conversation_id, headers = waiting_chat(client, bot)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=cards["headers"])
    client.post(
        f"/api/conversations/{conversation_id}/notes",
        json={"text": "Customer sounds worried"},
        headers=cards["headers"],
    )
    moved = client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"skill": "fraud", "note": "Looks like card fraud"},
        headers=cards["headers"],
    )
    assert moved.json()["status"] == "queued"
    assert offers(client, fraud) == [conversation_id] and offers(client, cards) == []
    offer = client.get(f"/api/agents/{fraud['id']}/offers", headers=fraud["headers"]).json()[0]
    assert offer["handoff"]["skill"] == "fraud"
    assert offer["transfer"] == {
        "from_agent": {"id": cards["id"], "name": "Priya"},
        "note": "Looks like card fraud",
        "to_agent": None,
        "passed_on": None,
    }
    client.post(f"/api/conversations/{conversation_id}/accept", headers=fraud["headers"])
    notes = client.get(
        f"/api/conversations/{conversation_id}/notes", headers=fraud["headers"]
    ).json()
    assert [n["text"] for n in notes] == [
        "Customer sounds worried",
        "Transfer note: Looks like card fraud",
    ]
    customer_view = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    assert "Customer sounds worried" not in str(customer_view)
    assert "Looks like card fraud" not in str(customer_view)
    assert (
        client.get(f"/api/conversations/{conversation_id}/notes", headers=headers).status_code
        == 403
    )

    resolved = client.post(
        f"/api/conversations/{conversation_id}/resolve", headers=fraud["headers"]
    ).json()
    assert resolved["status"] == "resolved"
    ask = resolved["messages"][-1]
    assert [b["title"] for b in ask["buttons"]] == ["1", "2", "3", "4", "5"]
    rated = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": ask["buttons"][4]["payload"]},
        headers=headers,
    ).json()
    assert rated["status"] == "resolved" and rated["messages"][0]["text"] == "5"
    assert (
        client.get(f"/api/conversations/{conversation_id}", headers=headers).json()["csat"]["score"]
        == 5
    )

    # Hand back, then escalate, on a second chat.
    second, second_headers = waiting_chat(client, bot, name="Ben")
    client.post(f"/api/conversations/{second}/accept", headers=cards["headers"])
    back = client.post(f"/api/conversations/{second}/handback", headers=cards["headers"]).json()
    assert back["status"] == "bot"
    bot.replies.append([{"text": "Hello again!"}])
    assert (
        client.post(
            f"/api/conversations/{second}/messages", json={"text": "hi"}, headers=second_headers
        ).json()["messages"][-1]["text"]
        == "Hello again!"
    )
    third, third_headers = waiting_chat(client, bot, name="Cy")
    client.post(f"/api/conversations/{third}/accept", headers=cards["headers"])
    escalated = client.post(
        f"/api/conversations/{third}/escalate",
        json={"note": "Needs the disputes team"},
        headers=cards["headers"],
    ).json()
    assert escalated["status"] == "ticketed"
    ticket = client.get(f"/api/tickets/{escalated['ticket_id']}", headers=cards["headers"]).json()
    assert ticket["reason"] == "agent_escalated"
    assert ticket["notes"][-1]["text"] == "Needs the disputes team"
    assert ticket["notes"][-1]["agent_id"] == cards["id"]  # the escalating agent's, by name
    assert escalated["ticket_id"] in escalated["messages"][-1]["text"]
    assert ticket["assignee_agent_id"] is None  # the team's shared inbox picks it up


def test_an_agent_who_escalates_may_keep_the_ticket(client, bot, admin) -> None:
    """`keep`: the ticket is the escalating agent's to follow up, in their inbox at once."""
    cards = make_agent(client, admin, "Priya", {"cards": 3})
    conversation_id, _ = waiting_chat(client, bot)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=cards["headers"])
    escalated = client.post(
        f"/api/conversations/{conversation_id}/escalate",
        json={"note": "Waiting on the card issuer", "keep": True},
        headers=cards["headers"],
    ).json()
    ticket = client.get(f"/api/tickets/{escalated['ticket_id']}", headers=cards["headers"]).json()
    assert ticket["assignee_agent_id"] == cards["id"]
    mine = client.get("/api/tickets", params={"assignee": cards["id"]}, headers=cards["headers"])
    assert [t["id"] for t in mine.json()] == [escalated["ticket_id"]]


def test_transfer_to_a_named_agent(client, bot, admin) -> None:
    first = make_agent(client, admin, "Priya", {"cards": 3})
    second = make_agent(client, admin, "Aisha", {"payments": 4})
    away = make_agent(client, admin, "Omar", {"cards": 3}, online=False)
    conversation_id, _ = waiting_chat(client, bot)
    # Not offered to Omar: a 403 says so, whether or not he is online.
    refused = client.post(f"/api/conversations/{conversation_id}/accept", headers=away["headers"])
    assert refused.status_code == 403, refused.text
    client.post(f"/api/conversations/{conversation_id}/accept", headers=first["headers"])
    client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": "Priya here, passing you to payments."},
        headers=first["headers"],
    )
    client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"agent_id": second["id"]},
        headers=first["headers"],
    )
    assert offers(client, second) == [conversation_id]
    offer = client.get(f"/api/agents/{second['id']}/offers", headers=second["headers"]).json()[0]
    assert offer["transfer"] == {
        "from_agent": {"id": first["id"], "name": "Priya"},
        "note": None,
        "to_agent": {"id": second["id"], "name": "Aisha"},
        "passed_on": None,
    }
    # The offer's package carries the chat as it stands, not as it was at the hand-over.
    said = [m["text"] for m in offer["handoff"]["transcript"]]
    assert "Priya here, passing you to payments." in said
    assert said == [
        m["text"]
        for m in client.get(f"/api/conversations/{conversation_id}", headers=admin).json()[
            "messages"
        ]
    ]
    bad = client.post(
        f"/api/conversations/{conversation_id}/transfer", json={}, headers=second["headers"]
    )
    assert bad.status_code == 422


def test_each_agent_reply_is_shown_under_its_writers_name(client, bot, admin) -> None:
    """After a transfer the customer still sees who said what, and so does the emailed
    transcript; an admin's reply names nobody."""
    first = make_agent(client, admin, "Priya", {"cards": 3})
    second = make_agent(client, admin, "Aisha", {"payments": 4})
    conversation_id, headers = waiting_chat(client, bot)

    def reply(agent_headers, text) -> None:
        sent = client.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"text": text},
            headers=agent_headers,
        )
        assert sent.status_code == 200, sent.text

    client.post(f"/api/conversations/{conversation_id}/accept", headers=first["headers"])
    reply(first["headers"], "Priya here, let me look.")
    client.post(
        f"/api/conversations/{conversation_id}/transfer",
        json={"agent_id": second["id"]},
        headers=first["headers"],
    )
    client.post(f"/api/conversations/{conversation_id}/accept", headers=second["headers"])
    reply(second["headers"], "Aisha from payments, I have it.")
    reply(admin, "A note from the admin.")
    messages = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()[
        "messages"
    ]
    said = [(m.get("author"), m["text"]) for m in messages if m["sender"] == "agent"]
    assert said == [
        ("Priya", "Priya here, let me look."),
        ("Aisha", "Aisha from payments, I have it."),
        (None, "A note from the admin."),
    ]
    mailed = as_text(messages, agent_name="Aisha")  # the emailed transcript's lines
    assert "Priya: Priya here, let me look." in mailed
    assert "Aisha: Aisha from payments, I have it." in mailed


def test_canned_responses(client, bot, admin) -> None:
    agent = make_agent(client, admin)
    assert (
        client.put(
            "/api/canned/hello", json={"text": "Hi {customer_name}, how can I help?"}, headers=admin
        ).status_code
        == 200
    )
    assert (
        client.put("/api/canned/hello", json={"text": "x"}, headers=agent["headers"]).status_code
        == 403
    )
    conversation_id, _ = waiting_chat(client, bot, name="Ana Silva")
    client.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    sent = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"canned": "hello"},
        headers=agent["headers"],
    )
    assert sent.json()["messages"][0]["text"] == "Hi Ana, how can I help?"
    missing = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"canned": "nope"},
        headers=agent["headers"],
    )
    assert missing.status_code == 404


def test_a_canned_response_can_be_removed(client, bot, admin) -> None:
    """By an admin, in every language at once; agents can no longer send it."""
    agent = make_agent(client, admin)
    client.put("/api/canned/bye", json={"text": "Bye {customer_name}!"}, headers=admin)
    client.put("/api/canned/bye", json={"text": "さようなら", "language": "ja"}, headers=admin)
    assert client.delete("/api/canned/bye", headers=agent["headers"]).status_code == 403
    assert client.delete("/api/canned/bye", headers=admin).status_code == 204
    assert "bye" not in [c["shortcut"] for c in client.get("/api/canned", headers=admin).json()]
    assert client.delete("/api/canned/bye", headers=admin).status_code == 404
    conversation_id, _ = waiting_chat(client, bot, name="Ana Silva")
    client.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    sent = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"canned": "bye"},
        headers=agent["headers"],
    )
    assert sent.status_code == 404


def test_canned_responses_speak_the_customers_language(client, bot, admin) -> None:
    agent = make_agent(client, admin, "Sato", {"cards": 3})
    client.patch(f"/api/agents/{agent['id']}", json={"languages": ["en", "ja"]}, headers=admin)
    english = client.put(
        "/api/canned/hello", json={"text": "Hi {customer_name}, how can I help?"}, headers=admin
    )
    japanese = client.put(
        "/api/canned/hello",
        json={"text": "{customer_name}様、お問い合わせありがとうございます。", "language": "ja"},
        headers=admin,
    )
    assert english.status_code == japanese.status_code == 200
    assert japanese.json() == {
        "shortcut": "hello",
        "text": "Hi {customer_name}, how can I help?",  # for every other language
        "texts": {"ja": "{customer_name}様、お問い合わせありがとうございます。"},
    }
    assert client.get("/api/canned", headers=agent["headers"]).json() == [japanese.json()]
    unknown = client.put(
        "/api/canned/hello", json={"text": "Bonjour", "language": "fr"}, headers=admin
    )
    assert unknown.status_code == 422 and "Cascade speaks en, ja" in unknown.text

    bot.replies.append(list(HANDOFF))
    started = client.post("/api/conversations", json={"locale": "ja"}).json()  # no name given
    client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "担当の方と話したいです"},
        headers={"Authorization": f"Bearer {started['token']}"},
    )
    client.post(f"/api/conversations/{started['id']}/accept", headers=agent["headers"])
    sent = client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"canned": "/hello"},  # as the console shows it
        headers=agent["headers"],
    )
    assert sent.json()["messages"][0]["text"] == "お客様、お問い合わせありがとうございます。"


def test_only_the_owner_acts(client, bot, admin) -> None:
    owner = make_agent(client, admin, "Owner", {"cards": 3})
    other = make_agent(client, admin, "Other", {"cards": 1})
    conversation_id, headers = waiting_chat(client, bot)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=owner["headers"])
    for action in ("resolve", "handback", "escalate"):
        assert (
            client.post(
                f"/api/conversations/{conversation_id}/{action}", headers=other["headers"]
            ).status_code
            == 403
        )
    assert (
        client.post(
            f"/api/conversations/{conversation_id}/accept", headers=other["headers"]
        ).status_code
        == 409
    )
    assert (
        client.post(f"/api/conversations/{conversation_id}/resolve", headers=headers).status_code
        == 403
    )


def test_two_agents_accepting_at_once_exactly_one_wins(client, bot, admin) -> None:
    agents = [make_agent(client, admin, f"Agent {i}", {"cards": 3}) for i in range(2)]
    conversation_id, _ = waiting_chat(client, bot)
    db = client.app.state.services.storage.db

    def offer_to_both() -> None:
        # An agent takes only a chat offered to them: both hold an offer of it for the race.
        db.execute(
            "update offers set status = 'withdrawn' where conversation_id = ?", [conversation_id]
        )
        for agent in agents:
            db.table("offers").insert(
                {
                    "conversation_id": conversation_id,
                    "agent_id": agent["id"],
                    "status": "pending",
                    "created_at": "2026-01-05T09:00:00.000+00:00",
                    "expires_at": "2026-01-05T10:00:00.000+00:00",
                }
            )

    for _ in range(10):  # repeat the race to give it every chance to go wrong
        offer_to_both()
        results: list[int] = []
        barrier = threading.Barrier(2)

        def take(agent, barrier=barrier, results=results) -> None:
            barrier.wait()
            response = client.post(
                f"/api/conversations/{conversation_id}/accept", headers=agent["headers"]
            )
            results.append(response.status_code)

        threads = [threading.Thread(target=take, args=(a,)) for a in agents]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200, 409]
        owner = client.get(f"/api/conversations/{conversation_id}", headers=admin).json()[
            "assigned_agent"
        ]["id"]
        client.post(
            f"/api/conversations/{conversation_id}/transfer",
            json={"skill": "cards"},
            headers=next(a for a in agents if a["id"] == owner)["headers"],
        )
    joined = [
        m
        for m in client.get(f"/api/conversations/{conversation_id}", headers=admin).json()[
            "messages"
        ]
        if m["text"].endswith("has joined the chat.")
    ]
    assert len(joined) == 10


def test_a_customer_who_leaves_for_a_new_chat_frees_the_agent_and_the_agent_is_told(
    client, bot, admin
) -> None:
    priya = make_agent(client, admin, "Priya", {"cards": 3}, max_concurrent=1)
    conversation_id, headers = waiting_chat(client, bot)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=priya["headers"])
    waiting, waiting_headers = waiting_chat(client, bot, name="Ben")  # Priya is full
    assert offers(client, priya) == []

    stranger = client.post("/api/conversations", json={}).json()["token"]
    refused = client.post(
        f"/api/conversations/{conversation_id}/leave",
        headers={"Authorization": f"Bearer {stranger}"},
    )
    assert refused.status_code == 403
    left = client.post(f"/api/conversations/{conversation_id}/leave", headers=headers)
    assert left.status_code == 200, left.text
    assert left.json() == {"status": "abandoned", "left": True}
    chat = client.get(f"/api/conversations/{conversation_id}", headers=admin).json()
    assert chat["messages"][-1]["text"] == "The customer left the chat."
    assert offers(client, priya) == [waiting]  # her slot is free for the next customer
    # Leaving again, or leaving the bot, changes nothing.
    again = client.post(f"/api/conversations/{conversation_id}/leave", headers=headers)
    assert again.json() == {"status": "abandoned", "left": False}
    with_bot = client.post("/api/conversations", json={}).json()
    kept = client.post(
        f"/api/conversations/{with_bot['id']}/leave",
        headers={"Authorization": f"Bearer {with_bot['token']}"},
    )
    assert kept.json() == {"status": "bot", "left": False}
    # The one still waiting leaves the queue the same way, and its offer is withdrawn.
    gone = client.post(f"/api/conversations/{waiting}/leave", headers=waiting_headers)
    assert gone.json() == {"status": "abandoned", "left": True}
    assert offers(client, priya) == []
