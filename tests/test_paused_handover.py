"""A hand-over the bot paused to ask for the customer's address (nobody online to chat, no
address known): a customer who leaves in the middle leaves a ticket with what they asked,
not a chat closed as abandoned with their request lost."""

from __future__ import annotations

from tests.helpers import ADMIN_HEADERS

ASKED = "my card is blocked and I need a person"
PAUSED = [
    {"custom": {"text": "No one from our team is free to chat right now, so I'll pass this on."}},
    {
        "custom": {
            "paused": {"reason": "customer_request", "skill": "cards", "question": ASKED},
        }
    },
    {"custom": {"text": "So our team can get back to you: what email address should they use?"}},
]


def started(client) -> tuple[str, dict[str, str]]:
    chat = client.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    return chat["id"], {"Authorization": f"Bearer {chat['token']}"}


def test_a_customer_who_leaves_while_asked_for_an_address_leaves_a_ticket(
    client, bot, clock
) -> None:
    services = client.app.state.services
    bot.replies.append(PAUSED)
    cid, headers = started(client)
    turn = client.post(f"/api/conversations/{cid}/messages", json={"text": ASKED}, headers=headers)
    assert turn.json()["status"] == "bot"  # asked for an address, nothing filed yet
    clock.advance(minutes=29)
    assert services.conversations.hand_over_paused(1800) == []  # not quiet long enough
    assert services.queue.abandon_idle() == []
    clock.advance(minutes=2)
    assert services.queue.abandon_idle() == []  # not closed as abandoned, whichever runs first
    assert services.conversations.hand_over_paused(1800) == [cid]
    view = client.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
    assert view["status"] == "ticketed"
    ticket = client.get(f"/api/tickets/{view['ticket_id']}", headers=ADMIN_HEADERS).json()
    assert (ticket["reason"], ticket["skill"]) == ("nobody_online", "cards")
    assert ticket["handoff"]["reason"] == "customer_request"
    assert ASKED in [m["text"] for m in ticket["transcript"]]
    assert services.conversations.hand_over_paused(1800) == []  # once


def test_a_chat_with_no_paused_hand_over_is_closed_as_before(client, bot, clock) -> None:
    """Only the pause is filed: a chat that merely went quiet with the bot is abandoned, and
    one whose hand-over went ahead after the pause is not filed again."""
    services = client.app.state.services
    bot.replies += [[{"custom": {"text": "Hello! How can I help?"}}], PAUSED]
    quiet, headers = started(client)
    client.post(f"/api/conversations/{quiet}/messages", json={"text": "hi"}, headers=headers)
    paused, paused_headers = started(client)
    client.post(
        f"/api/conversations/{paused}/messages", json={"text": ASKED}, headers=paused_headers
    )
    bot.replies.append(
        [
            {"custom": {"contact": {"email": "ana@example.com"}}},
            {"custom": {"handoff": {"reason": "customer_request", "skill": "cards"}}},
        ]
    )
    went_on = client.post(
        f"/api/conversations/{paused}/messages",
        json={"text": "ana@example.com"},
        headers=paused_headers,
    ).json()
    assert went_on["status"] == "ticketed"  # nobody online: filed at the hand-over
    clock.advance(minutes=31)
    assert services.conversations.hand_over_paused(1800) == []
    assert services.queue.abandon_idle() == [quiet]


def test_a_customer_who_declines_to_be_emailed_after_all_leaves_nothing_filed(
    client, bot, clock
) -> None:
    """Asked to be emailed, the bot asks for an address; the customer declines: the bot's
    `dropped` signal calls the paused hand-over off, so the quiet chat is not filed later."""
    services = client.app.state.services
    asked_email = [
        {"custom": {"paused": {"reason": "customer_chose_email", "question": None}}},
        {"custom": {"text": "What email address should we reply to?"}},
    ]
    declined = [
        {"custom": {"text": "No problem: nothing is filed. What else can I help you with?"}},
        {"custom": {"dropped": {}}},
    ]
    bot.replies += [asked_email, declined]
    cid, headers = started(client)
    for text in ("can you mail me", "um, no thanks"):
        turn = client.post(
            f"/api/conversations/{cid}/messages", json={"text": text}, headers=headers
        )
        assert turn.json()["status"] == "bot"
    clock.advance(minutes=31)
    assert services.conversations.hand_over_paused(1800) == []
    assert services.queue.abandon_idle() == [cid]  # closed as abandoned: nothing was asked
    view = client.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
    assert view["status"] == "abandoned"
    assert client.get("/api/tickets", headers=ADMIN_HEADERS).json() == []
