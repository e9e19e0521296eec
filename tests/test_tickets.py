"""The ticket tier through the API, with a clock that moves: lifecycle, replies, SLAs."""

from __future__ import annotations

import pytest

from tests.factories import HANDOFF, make_agent, waiting_chat
from tests.helpers import ADMIN_HEADERS


def ticketed(client, bot, *, email="ana@example.com", name="Ana", text="a person please"):
    """A conversation that became a ticket because nobody was online."""
    bot.replies.append(list(HANDOFF))
    customer = ({"name": name} if name else {}) | ({"email": email} if email else {})
    started = client.post("/api/conversations", json={"customer": customer}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    turn = client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": text},
        headers=headers,
    )
    assert turn.json()["status"] == "ticketed"
    ticket_id = client.get(f"/api/conversations/{started['id']}", headers=headers).json()[
        "ticket_id"
    ]
    return ticket_id, started["id"], headers


def test_a_ticket_has_sla_targets_in_business_hours(client, bot, admin) -> None:
    ticket_id, _, _ = ticketed(client, bot)  # filed Monday 09:00, priority normal
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert ticket["status"] == "new"
    assert ticket["sla"]["first_response"] == {
        "due": "2026-01-05T13:00:00+00:00",
        "state": "ok",
        "remaining_business_s": 4 * 3600,
    }
    assert (
        ticket["sla"]["resolution"]["due"] == "2026-01-07T17:00:00+00:00"
    )  # 24 business hours: Wed close


def test_a_new_priority_brings_its_own_sla_targets(client, bot, admin, clock) -> None:
    ticket_id, _, _ = ticketed(client, bot)  # filed Monday 09:00, priority normal
    clock.advance(minutes=20)
    changed = client.patch(f"/api/tickets/{ticket_id}", json={"priority": "urgent"}, headers=admin)
    assert changed.status_code == 200
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert ticket["sla"]["first_response"] == {  # 30 minutes from the filing, not 4 hours
        "due": "2026-01-05T09:30:00+00:00",
        "state": "ok",
        "remaining_business_s": 10 * 60,
    }
    assert ticket["sla"]["resolution"]["due"] == "2026-01-05T13:00:00+00:00"  # 4 hours
    assert ticket["events"][-1]["data"] == {"by": "admin", "priority": "urgent"}


def test_warning_then_breach_recorded_once(client, bot, admin, clock) -> None:
    ticket_id, _, _ = ticketed(client, bot)
    tickets = client.app.state.services.tickets
    clock.advance(hours=2, minutes=59)
    assert tickets.check_slas() == []
    clock.advance(minutes=1)  # 3 of 4 hours: 75 %
    assert tickets.check_slas() == [(ticket_id, "first_response", "warning")]
    assert tickets.check_slas() == []
    clock.advance(hours=1)
    assert tickets.check_slas() == [(ticket_id, "first_response", "breached")]
    view = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert view["sla"]["first_response"]["state"] == "breached"
    assert [e["name"] for e in view["events"]] == ["ticket.created", "sla.warning", "sla.breached"]


def test_a_chat_waiting_too_long_warns_then_breaches(client, bot, admin, clock) -> None:
    make_agent(client, admin, "Busy elsewhere", {"loans": 1})  # online, but not for cards
    bot.replies.append(list(HANDOFF))
    started = client.post("/api/conversations", json={}).json()
    client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "help"},
        headers={"Authorization": f"Bearer {started['token']}"},
    )
    tickets = client.app.state.services.tickets
    clock.advance(seconds=224)
    assert tickets.check_slas() == []
    clock.advance(seconds=1)
    assert tickets.check_slas() == [(started["id"], "queue_wait", "warning")]
    clock.advance(seconds=75)
    assert tickets.check_slas() == [(started["id"], "queue_wait", "breached")]
    assert tickets.check_slas() == []


def test_the_first_agent_to_reply_to_an_unassigned_ticket_takes_it(client, bot, admin) -> None:
    """The customer's answer then comes back to them ("Only mine"), and a colleague does not
    answer over them."""
    priya = make_agent(client, admin, "Priya", {"cards": 3}, online=False)
    tom = make_agent(client, admin, "Tom", {"cards": 3}, online=False)
    ticket_id, _, _ = ticketed(client, bot)
    for agent, status in ((priya, 201), (tom, 403)):
        replied = client.post(
            f"/api/tickets/{ticket_id}/replies",
            json={"text": f"{agent['name']} here: looking into it."},
            headers=agent["headers"],
        )
        assert replied.status_code == status, replied.text
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert ticket["assignee_agent_id"] == priya["id"]
    mine = client.get(f"/api/tickets?assignee={priya['id']}", headers=priya["headers"]).json()
    assert [t["id"] for t in mine] == [ticket_id]


def test_lifecycle_reply_solve_reopen(client, bot, admin) -> None:
    agent = make_agent(client, admin, "Priya", {"cards": 3}, online=False)
    ticket_id, conversation_id, customer = ticketed(client, bot)
    assigned = client.patch(
        f"/api/tickets/{ticket_id}",
        json={"assignee_agent_id": agent["id"], "status": "open"},
        headers=agent["headers"],
    )
    assert assigned.status_code == 200
    assert (assigned.json()["status"], assigned.json()["assignee_agent_id"]) == (
        "open",
        agent["id"],
    )

    client.post(
        f"/api/tickets/{ticket_id}/notes",
        json={"text": "Check the card log"},
        headers=agent["headers"],
    )
    reply = client.post(
        f"/api/tickets/{ticket_id}/replies",
        json={"text": "Your new card is on its way."},
        headers=agent["headers"],
    )
    assert reply.status_code == 201
    seen = client.get(f"/api/conversations/{conversation_id}", headers=customer).json()["messages"]
    assert seen[-1] == {**seen[-1], "sender": "agent", "text": "Your new card is on its way."}
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert ticket["status"] == "pending" and ticket["sla"]["first_response"]["state"] == "met"
    assert ticket["notes"][-1]["text"] == "Check the card log"
    own_view = client.get(f"/api/tickets/{ticket_id}", headers=customer).json()
    assert "notes" not in own_view and own_view["status"] == "pending"
    assert (
        client.get(f"/api/conversations/{conversation_id}/ticket", headers=customer).json()["id"]
        == ticket_id
    )

    solved = client.patch(
        f"/api/tickets/{ticket_id}", json={"status": "solved"}, headers=agent["headers"]
    ).json()
    assert solved["status"] == "solved"
    ask = client.get(f"/api/conversations/{conversation_id}", headers=customer).json()["messages"][
        -1
    ]
    assert ticket_id in ask["text"] and len(ask["buttons"]) == 5
    rated = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": ask["buttons"][3]["payload"]},
        headers=customer,
    ).json()
    assert rated["messages"][0]["text"] == "4"
    assert (
        client.get(f"/api/conversations/{conversation_id}", headers=customer).json()["csat"][
            "score"
        ]
        == 4
    )

    client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": "it still hasn't arrived"},
        headers=customer,
    )
    assert client.get(f"/api/tickets/{ticket_id}", headers=admin).json()["status"] == "open"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "archived"}, 422),
        ({"priority": "whenever"}, 422),
        ({"assignee_agent_id": "nobody"}, 404),
        ({"skill": "\u0000"}, 422),
        ({"skill": " "}, 422),
    ],
)
def test_bad_updates_are_4xx(client, bot, admin, body, status) -> None:
    ticket_id, _, _ = ticketed(client, bot)
    assert client.patch(f"/api/tickets/{ticket_id}", json=body, headers=admin).status_code == status


@pytest.mark.parametrize("path", ["replies", "notes"])
def test_a_reply_or_note_of_invisible_characters_is_refused(client, bot, admin, path) -> None:
    """Zero-width spaces alone would reach the customer as an empty reply (and an empty email):
    a 422 that says why, and nothing added."""
    ticket_id, _, _ = ticketed(client, bot)
    before = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    sent = client.post(
        f"/api/tickets/{ticket_id}/{path}", json={"text": "\u200b \u200b\ufeff"}, headers=admin
    )
    assert sent.status_code == 422 and "invisible characters" in sent.text
    after = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert (after["transcript"], after["notes"]) == (before["transcript"], before["notes"])


def test_closed_is_final(client, bot, admin, clock) -> None:
    ticket_id, _, _ = ticketed(client, bot)
    client.patch(f"/api/tickets/{ticket_id}", json={"status": "closed"}, headers=admin)
    refused = client.patch(f"/api/tickets/{ticket_id}", json={"status": "open"}, headers=admin)
    assert refused.status_code == 409 and "cannot become" in refused.json()["detail"]
    # Closed unsolved and unanswered: its clocks stopped, not counting down nor breaching.
    clock.advance(days=30)
    for where in (f"/api/tickets/{ticket_id}", f"/api/tickets/{ticket_id}/sla"):
        clocks = client.get(where, headers=admin).json()
        clocks = clocks.get("sla", clocks)
        assert {name: c["state"] for name, c in clocks.items()} == {
            "first_response": "stopped",
            "resolution": "stopped",
        }, where
    assert (
        client.get(f"/api/tickets/{ticket_id}", headers=admin).json()["sla"]["resolution"][
            "remaining_business_s"
        ]
        is None
    )


def test_filtered_list(client, bot, admin) -> None:
    first, _, _ = ticketed(client, bot)
    second, _, _ = ticketed(client, bot)
    client.patch(
        f"/api/tickets/{second}", json={"status": "open", "priority": "high"}, headers=admin
    )
    everything = client.get("/api/tickets", headers=admin).json()
    assert [t["id"] for t in everything] == [second, first]
    assert [t["id"] for t in client.get("/api/tickets?status=open", headers=admin).json()] == [
        second
    ]
    assert [t["id"] for t in client.get("/api/tickets?priority=normal", headers=admin).json()] == [
        first
    ]
    third, _, _ = ticketed(client, bot)
    client.patch(f"/api/tickets/{third}", json={"status": "solved"}, headers=admin)
    several = client.get("/api/tickets?status=new&status=open", headers=admin)
    assert [t["id"] for t in several.json()] == [second, first]  # not the solved one
    assert client.get("/api/tickets?status=new&status=done", headers=admin).status_code == 422
    customer = client.post("/api/conversations", json={}).json()["token"]
    assert (
        client.get("/api/tickets", headers={"Authorization": f"Bearer {customer}"}).status_code
        == 403
    )


def test_the_list_is_read_page_by_page(client, bot, admin) -> None:
    """Past the largest page: each page ends where the next begins, nothing twice or missed."""
    filed = [ticketed(client, bot)[0] for _ in range(5)]
    seen, before = [], ""
    while True:
        page = client.get(f"/api/tickets?limit=2{before}", headers=admin)
        assert page.status_code == 200, page.text
        ids = [t["id"] for t in page.json()]
        if not ids:
            break
        seen += ids
        before = f"&before={ids[-1]}"
    assert seen == filed[::-1]
    both = client.get(f"/api/tickets?status=new&before={filed[2]}", headers=admin).json()
    assert [t["id"] for t in both] == [filed[1], filed[0]]
    refused = client.get("/api/tickets?before=1001", headers=admin)
    assert refused.status_code == 422 and "before" in refused.text


def test_the_list_names_the_customer_and_what_they_asked(client, bot, admin) -> None:
    asked = "my card was charged twice\nfor one coffee"
    named, _, _ = ticketed(client, bot, text=asked)
    long = "注文した商品がまだ届かないのですが、" * 12  # 216 characters, no spaces to cut at
    unnamed, _, _ = ticketed(client, bot, email=None, name=None, text=long)
    listed = {t["id"]: t for t in client.get("/api/tickets", headers=admin).json()}
    assert (listed[named]["customer_name"], listed[named]["subject"]) == (
        "Ana",
        "my card was charged twice for one coffee",  # on one line
    )
    subject = listed[unnamed]["subject"]
    assert listed[unnamed]["customer_name"] is None
    assert len(subject) == 120 and subject.endswith("…") and long.startswith(subject[:-1])
    assert client.get(f"/api/tickets/{named}", headers=admin).json()["subject"] == (
        "my card was charged twice for one coffee"
    )


def test_the_subject_is_the_question_handed_over_not_a_greeting(client, bot, admin) -> None:
    question = "I lost my wallet with my debit card in it"
    bot.replies += [
        [{"text": "Hello! What can I help you with?"}],
        [{"custom": {"handoff": {"reason": "customer_chose_email", "question": question}}}],
    ]
    started = client.post("/api/conversations", json={"customer": {"email": "a@example.com"}})
    conversation = started.json()
    headers = {"Authorization": f"Bearer {conversation['token']}"}
    for text in ("hi there", "email me about it"):
        client.post(
            f"/api/conversations/{conversation['id']}/messages",
            json={"text": text},
            headers=headers,
        )
    ticket_id = client.get(f"/api/conversations/{conversation['id']}", headers=headers).json()[
        "ticket_id"
    ]
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert ticket["subject"] == question
    assert ticket["handoff"]["summary"].endswith(
        "Handed over because the customer asked to be emailed."
    )


def test_cli_lists_and_shows_tickets(client, bot, settings) -> None:
    from typer.testing import CliRunner

    from cascade.cli import app

    ticket_id, _, _ = ticketed(client, bot)
    runner = CliRunner()
    listed = runner.invoke(
        app, ["tickets", "list", "--data-dir", str(settings.data_dir)], env={"COLUMNS": "200"}
    )
    assert listed.exit_code == 0, listed.output
    assert ticket_id in listed.output and "Ana · ana@example.com" in listed.output
    assert "a person please" in listed.output
    shown = runner.invoke(app, ["tickets", "show", ticket_id, "--data-dir", str(settings.data_dir)])
    assert shown.exit_code == 0, shown.output
    assert "[customer] a person please" in shown.output and "first response: " in shown.output
    missing = runner.invoke(app, ["tickets", "show", "T-9", "--data-dir", str(settings.data_dir)])
    assert missing.exit_code == 1


def test_outside_live_chat_hours_a_hand_over_becomes_a_ticket(tmp_path, bot, clock) -> None:
    from fastapi.testclient import TestClient

    from cascade.app import create_app
    from core.settings import Settings
    from tests.factories import HashingEmbedder
    from tests.helpers import ADMIN

    settings = Settings(
        data_dir=tmp_path, admin_token=ADMIN, rasa_url="", live_chat_hours="mon-fri 09:00-17:00"
    )
    clock.advance(hours=9)  # Monday 18:00
    with TestClient(
        create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)
    ) as client:
        make_agent(client, ADMIN_HEADERS, "Night owl", {"cards": 3})
        ticket_id, _, _ = ticketed(client, bot)
        ticket = client.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()
        assert ticket["reason"] == "outside_hours"
        assert "away until business hours" in ticket["transcript"][-1]["text"]


def say_on(client, conversation_id, headers, text):
    """What the chat answers a customer's message with (their own message left out)."""
    turn = client.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": text}, headers=headers
    ).json()
    return [m["text"] for m in turn["messages"] if m["sender"] != "customer"]


@pytest.mark.sends_email
def test_writing_on_an_open_ticket_is_acknowledged_once_and_kept(client, bot, admin) -> None:
    agent = make_agent(client, admin, "Priya", {"cards": 3}, online=False)
    ticket_id, conversation_id, customer = ticketed(client, bot)
    assert bot.told[-1]["sends_email"] is True
    assert client.get(f"/api/tickets/{ticket_id}", headers=admin).json()["emailed"] is True

    told = say_on(client, conversation_id, customer, "the card ends in 4411")
    assert told == [
        f"Thanks, we've added this to ticket {ticket_id}. We'll reply by email to ana@example.com."
    ]
    # A burst of messages is not answered message by message.
    assert say_on(client, conversation_id, customer, "and it was ordered on Monday") == []

    client.post(
        f"/api/tickets/{ticket_id}/replies",
        json={"text": "Which address was it sent to?"},
        headers=agent["headers"],
    )
    told = say_on(client, conversation_id, customer, "12 Hill Street")
    assert told == [
        f"Thanks, we've added this to ticket {ticket_id}. We'll reply by email to ana@example.com."
    ]
    transcript = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()["transcript"]
    said = "\n".join(str(line) for line in transcript)
    for text in ("the card ends in 4411", "and it was ordered on Monday", "12 Hill Street"):
        assert text in said


def test_a_server_that_sends_no_email_promises_none(client, bot, admin) -> None:
    """No SMTP server set up: the customer's address is kept, but the chat promises the reply
    in the chat, and offers no "email me instead" to a customer waiting in the queue."""
    ticket_id, conversation_id, customer = ticketed(client, bot)
    assert bot.told[-1]["sends_email"] is False  # so the bot asks for no address either
    filed = client.get(f"/api/conversations/{conversation_id}", headers=customer).json()
    assert filed["messages"][-1]["text"].endswith(
        f"ticket {ticket_id} with everything you've told us."
        " Keep this number; we'll reply here, in this chat."
    )
    assert say_on(client, conversation_id, customer, "any news?") == [
        f"Thanks, we've added this to ticket {ticket_id}."
        " Keep this number; we'll reply here, in this chat."
    ]
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert ticket["customer_email"] == "ana@example.com"
    assert ticket["emailed"] is False  # the agent's console says their reply stays in the chat

    make_agent(client, admin, "Priya", {"cards": 3})  # online: the next chat waits for her
    make_agent(client, admin, "Tomas", {"cards": 3})
    bot.replies.append(list(HANDOFF))
    started = client.post("/api/conversations", json={"customer": {"name": "Kai"}}).json()
    kai = {"Authorization": f"Bearer {started['token']}"}
    turn = client.post(
        f"/api/conversations/{started['id']}/messages", json={"text": "a person"}, headers=kai
    ).json()
    assert turn["status"] == "queued"
    assert all("buttons" not in m for m in turn["messages"])
    # Asking in words is a message for the agent like any other: no address is asked for.
    turn = client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "can you just email me instead? kai@example.com"},
        headers=kai,
    ).json()
    assert turn["status"] == "queued"
    noted = turn["messages"][-1]
    assert noted["text"].startswith("Your message is saved.")
    assert "buttons" not in noted


@pytest.mark.sends_email
def test_without_an_email_the_acknowledgement_points_to_the_chat(client, bot) -> None:
    ticket_id, conversation_id, customer = ticketed(client, bot, email=None)
    assert say_on(client, conversation_id, customer, "any news?") == [
        f"Thanks, we've added this to ticket {ticket_id}."
        " Keep this number; you can check on it in this chat, or type your email address here"
        " to get our reply by email."
    ]
    # The address typed on the ticket is kept: the reply can go by email after all.
    assert say_on(client, conversation_id, customer, "it's ana@example.com") == [
        f"Thanks, we've added this to ticket {ticket_id}. We'll reply by email to ana@example.com."
    ]
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()
    assert ticket["customer_email"] == "ana@example.com"
    assert ticket["events"][-1]["data"] == {"by": "customer", "customer_email": "ana@example.com"}
    # A corrected address replaces it, and the answer names the one the reply will go to.
    assert say_on(client, conversation_id, customer, "sorry, use ana.silva@example.com") == [
        f"Thanks, we've added this to ticket {ticket_id}."
        " We'll reply by email to ana.silva@example.com."
    ]
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()
    assert ticket["customer_email"] == "ana.silva@example.com"


@pytest.mark.sends_email
def test_a_japanese_customer_is_acknowledged_in_japanese(client, bot) -> None:
    bot.replies.append(list(HANDOFF))
    started = client.post(
        "/api/conversations",
        json={"customer": {"email": "hana@example.jp"}, "locale": "ja"},
    ).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "担当の方と話したいです"},
        headers=headers,
    )
    ticket_id = client.get(f"/api/conversations/{started['id']}", headers=headers).json()[
        "ticket_id"
    ]
    assert say_on(client, started["id"], headers, "注文番号は 1234 です") == [
        f"ありがとうございます。チケット {ticket_id} について承りました。"
        "hana@example.jp 宛にメールでご連絡いたします。"
    ]
    # A message that is only a new address reads as well: it was received, not "added".
    assert say_on(client, started["id"], headers, "hana.sato@example.jp") == [
        f"ありがとうございます。チケット {ticket_id} について承りました。"
        "hana.sato@example.jp 宛にメールでご連絡いたします。"
    ]


def test_writing_on_a_closed_ticket_says_so_every_time(client, bot, admin) -> None:
    ticket_id, conversation_id, customer = ticketed(client, bot)
    client.patch(f"/api/tickets/{ticket_id}", json={"status": "solved"}, headers=admin)
    client.patch(f"/api/tickets/{ticket_id}", json={"status": "closed"}, headers=admin)
    closed = (
        f"Ticket {ticket_id} is closed, so no one will see this here."
        " If you still need help, please start a new chat."
    )
    assert say_on(client, conversation_id, customer, "hello?") == [closed]
    assert say_on(client, conversation_id, customer, "is anyone there") == [closed]
    assert client.get(f"/api/tickets/{ticket_id}", headers=admin).json()["status"] == "closed"


@pytest.mark.sends_email
def test_an_address_typed_to_the_agent_is_the_ticket_s(client, bot, admin) -> None:
    """Told to the agent mid-chat, then the agent files a ticket: the reply goes there, and the
    customer is not asked for it again."""
    agent = make_agent(client, admin, "Priya", {"cards": 3})
    conversation_id, headers = waiting_chat(client, bot)
    client.post(f"/api/conversations/{conversation_id}/accept", headers=agent["headers"])
    said = client.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"text": "OK, my email is alex.p@example.com"},
        headers=headers,
    )
    assert said.json()["status"] == "assigned"
    escalated = client.post(
        f"/api/conversations/{conversation_id}/escalate", json={}, headers=agent["headers"]
    ).json()
    ticket = client.get(f"/api/tickets/{escalated['ticket_id']}", headers=admin).json()
    assert ticket["customer_email"] == "alex.p@example.com"
    assert "We'll reply by email to alex.p@example.com." in escalated["messages"][-1]["text"]


def test_the_customer_reads_where_their_ticket_stands(client, bot, admin) -> None:
    ticket_id, conversation_id, customer = ticketed(client, bot)

    def standing() -> str:
        view = client.get(f"/api/conversations/{conversation_id}", headers=customer).json()
        return view["ticket_status"]

    assert standing() == "new"
    client.patch(f"/api/tickets/{ticket_id}", json={"status": "solved"}, headers=admin)
    assert standing() == "solved"
    client.patch(f"/api/tickets/{ticket_id}", json={"status": "closed"}, headers=admin)
    assert standing() == "closed"


def test_notes_and_replies_must_say_something_storable(client, bot, admin) -> None:
    """A blank note, or one holding a NUL, is refused with a 422 naming the field (as chat
    messages are), on either database; nothing is stored."""
    agent = make_agent(client, admin, "Priya", {"cards": 3}, online=False)
    ticket_id, conversation_id, _ = ticketed(client, bot)
    client.patch(
        f"/api/tickets/{ticket_id}",
        json={"assignee_agent_id": agent["id"]},
        headers=agent["headers"],
    )
    for path in (
        f"/api/tickets/{ticket_id}/notes",
        f"/api/tickets/{ticket_id}/replies",
        f"/api/conversations/{conversation_id}/notes",
    ):
        for text, said in (("   ", "at least 1 character"), ("x\u0000y", "NUL character")):
            refused = client.post(path, json={"text": text}, headers=admin)
            assert refused.status_code == 422 and said in refused.text, (path, refused.text)
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert ticket["notes"] == []
    kept = client.post(
        f"/api/tickets/{ticket_id}/notes", json={"text": "  Card log checked. "}, headers=admin
    )
    assert kept.status_code == 201
    assert (
        client.get(f"/api/tickets/{ticket_id}", headers=admin).json()["notes"][-1]["text"]
        == "Card log checked."
    )


def test_a_ticket_s_chat_is_rated_once_the_ticket_is_solved(client, bot, admin) -> None:
    """Rating is once a chat: a ticket's customer rates the help that solved it, so a score
    sent while the ticket is still open is refused, saying when it can be given."""
    ticket_id, cid, headers = ticketed(client, bot)
    early = client.post(f"/api/conversations/{cid}/csat", json={"score": 1}, headers=headers)
    assert early.status_code == 409, early.text
    assert "once the ticket is solved" in early.json()["detail"]
    solved = client.patch(f"/api/tickets/{ticket_id}", json={"status": "solved"}, headers=admin)
    assert solved.status_code == 200, solved.text
    rated = client.post(f"/api/conversations/{cid}/csat", json={"score": 5}, headers=headers)
    assert rated.status_code == 200, rated.text
    assert client.get(f"/api/conversations/{cid}", headers=admin).json()["csat"]["score"] == 5


def test_a_score_typed_on_a_ticket_opened_again_is_a_message_on_it(client, bot, admin) -> None:
    """The rating request came with the solved ticket; the agent opened it again. A score typed
    then is not a rating (none is taken before the ticket is solved): it is added to the ticket."""
    ticket_id, cid, headers = ticketed(client, bot)
    client.patch(f"/api/tickets/{ticket_id}", json={"status": "solved"}, headers=admin)
    client.patch(f"/api/tickets/{ticket_id}", json={"status": "open"}, headers=admin)
    sent = client.post(f"/api/conversations/{cid}/messages", json={"text": "5"}, headers=headers)
    assert sent.status_code == 200, sent.text
    view = client.get(f"/api/conversations/{cid}", headers=admin).json()
    assert view.get("csat") is None
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=admin).json()
    assert any(m["sender"] == "customer" and m["text"] == "5" for m in ticket["transcript"])
