"""Emails about a ticket link back to the chat when Cascade knows its public address: the link
opens that conversation (and no other) for 30 days, in the customer's language; without the
address, emails carry no link. Real SMTP on loopback; the app's clock moved by hand."""

from __future__ import annotations

import re
from email import message_from_bytes
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from tests.factories import HashingEmbedder, ScriptedBot, make_agent
from tests.helpers import ADMIN_HEADERS, notifying_settings, wait_until

HANDOFF = [
    {"custom": {"text": "Connecting you."}},
    {"custom": {"handoff": {"reason": "customer_request"}}},
]
LINK = re.compile(r"https://support\.example\.com/chat#\S+")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mails(inbox, count: int) -> list[str]:
    wait_until(lambda: len(inbox.envelopes) >= count, what=f"{count} emails")
    return [
        message_from_bytes(e.content).get_payload(decode=True).decode().replace("\r\n", "\n")
        for e in inbox.envelopes
    ]


def ticketed(client, *, locale: str | None = None) -> tuple[dict, str]:
    body: dict = {"customer": {"name": "Ana", "email": "ana@example.com"}}
    if locale:
        body["locale"] = locale
    started = client.post("/api/conversations", json=body).json()
    client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "a person please"},
        headers=bearer(started["token"]),
    )
    view = client.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
    assert view["status"] == "ticketed"
    return started, view["ticket_id"]


def opened_by(link: str) -> tuple[str, dict[str, str]]:
    """The conversation id a link names and the headers its token gives."""
    parts = urlsplit(link)
    assert (parts.path, parts.query) == ("/chat", "")  # the token is after '#': no server logs it
    found = parse_qs(parts.fragment)
    return found["conversation"][0], bearer(found["token"][0])


def serving(tmp_path, mailbox, receiver, clock, public_url: str | None) -> TestClient:
    """An app that hands every chat over (nobody online: a ticket), emailing `mailbox`."""
    settings = notifying_settings(tmp_path, mailbox[1], receiver)
    settings.public_url = public_url
    bot = ScriptedBot(list(HANDOFF))
    return TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock))


def test_each_ticket_email_links_back_to_the_chat(tmp_path, mailbox, receiver, clock) -> None:
    inbox, _ = mailbox
    with serving(tmp_path, mailbox, receiver, clock, "https://support.example.com/") as client:
        outbox = client.app.state.services.outbox
        started, ticket_id = ticketed(client)
        other = client.post("/api/conversations", json={}).json()
        # The email waits in the outbox with a mark where the link goes: no token that opens
        # the chat sits in the table (or in its backups); the link is made as it is sent.
        queued = client.app.state.services.storage.db.execute(
            "select body from outbox where kind = 'email'"
        ).fetchall()
        assert [f"[[chat-link:{started['id']}]]" in body for (body,) in queued] == [True]
        assert not any("token" in body for (body,) in queued)
        outbox.deliver_due()
        (filed,) = mails(inbox, 1)
        assert "To add to your request, or to read our replies in the chat too: https://" in filed
        thread = message_from_bytes(inbox.envelopes[0].content)["Message-ID"]
        assert thread.startswith(f"<ticket-{ticket_id}.")
        link = LINK.search(filed)[0]
        conversation_id, headers = opened_by(link)
        assert conversation_id == started["id"]

        # The link's token opens this chat, as the customer's own does, and no other.
        assert client.get(f"/api/conversations/{started['id']}", headers=headers).status_code == 200
        assert client.get(f"/api/conversations/{other['id']}", headers=headers).status_code in (
            403,
            404,
        )
        said = client.post(
            f"/api/conversations/{started['id']}/messages",
            json={"text": "I found the receipt"},
            headers=headers,
        )
        assert said.status_code == 200, said.text
        ticket = client.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()
        assert ticket["transcript"][-2]["text"] == "I found the receipt"

        # The team's reply and the solved email each end with a link of their own.
        inbox.envelopes.clear()
        replied = client.post(
            f"/api/tickets/{ticket_id}/replies",
            json={"text": "Thanks, the refund of **42.10 EUR** is on its way."},
            headers=ADMIN_HEADERS,
        )
        assert replied.status_code == 201, replied.text
        client.patch(f"/api/tickets/{ticket_id}", json={"status": "solved"}, headers=ADMIN_HEADERS)
        outbox.deliver_due()
        reply, solved = mails(inbox, 2)
        assert reply.startswith(  # bold in the chat; in a plain-text email, no asterisks
            "Thanks, the refund of 42.10 EUR is on its way.\n\nTo answer, reply in the chat: "
        )
        assert "pick it up again." in solved and "\n\nYour chat: https://" in solved
        assert solved.count("pick it up again") == 1  # said once, the link under it
        for mail in (reply, solved):
            assert opened_by(LINK.search(mail)[0])[0] == started["id"]
        # Both answer the first: one thread in the customer's mail program.
        for envelope in inbox.envelopes:
            sent = message_from_bytes(envelope.content)
            assert (sent["In-Reply-To"], sent["References"]) == (thread, thread)
            assert sent["Message-ID"] != thread

        # A link lasts 30 days.
        clock.advance(days=29)
        assert client.get(f"/api/conversations/{started['id']}", headers=headers).status_code == 200
        clock.advance(days=2)
        assert client.get(f"/api/conversations/{started['id']}", headers=headers).status_code == 401


def test_a_japanese_chat_gets_its_link_in_japanese(tmp_path, mailbox, receiver, clock) -> None:
    inbox, _ = mailbox
    with serving(tmp_path, mailbox, receiver, clock, "https://support.example.com") as client:
        started, _ = ticketed(client, locale="ja")
        client.app.state.services.outbox.deliver_due()
        (filed,) = mails(inbox, 1)
        assert "内容の追加や、担当者からの返信のご確認はチャットからどうぞ：https://" in filed
        assert opened_by(LINK.search(filed)[0])[0] == started["id"]


def test_without_a_public_address_emails_carry_no_link(tmp_path, mailbox, receiver, clock) -> None:
    inbox, _ = mailbox
    with serving(tmp_path, mailbox, receiver, clock, None) as client:
        _, ticket_id = ticketed(client)
        client.post(
            f"/api/tickets/{ticket_id}/replies", json={"text": "On its way."}, headers=ADMIN_HEADERS
        )
        client.app.state.services.outbox.deliver_due()
        filed, reply = mails(inbox, 2)
        assert "http" not in filed and "http" not in reply
        assert reply == "On its way.\n\nReply in the chat to answer.\n"


@pytest.mark.parametrize(
    ("locale", "signature"), [(None, "Priya Raman, customer support"), ("ja", "担当：Priya Raman")]
)
def test_an_agent_s_reply_by_email_is_signed_with_their_name(
    tmp_path, mailbox, receiver, clock, locale, signature
) -> None:
    inbox, _ = mailbox
    with serving(tmp_path, mailbox, receiver, clock, None) as client:
        _, ticket_id = ticketed(client, locale=locale)
        agent = make_agent(client, ADMIN_HEADERS, "Priya Raman", languages=["en", "ja"])
        sent = client.post(
            f"/api/tickets/{ticket_id}/replies",
            json={"text": "On its way."},
            headers=agent["headers"],
        )
        assert sent.status_code in (200, 201), sent.text
        client.app.state.services.outbox.deliver_due()
        _, reply = mails(inbox, 2)
        assert reply.startswith(f"On its way.\n\n{signature}\n\n"), reply


def test_an_empty_public_address_means_no_links() -> None:
    from core.settings import Settings

    assert Settings(public_url="").public_url == ""  # as an empty CASCADE_PUBLIC_URL= gives


@pytest.mark.parametrize("url", ["support.example.com", "ftp://x.example", "https://a b.example"])
def test_a_public_address_that_is_no_web_address_is_refused(url) -> None:
    from pydantic import ValidationError

    from core.settings import Settings

    with pytest.raises(ValidationError, match="public_url"):
        Settings(public_url=url)


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        (None, "To go on with this chat, or to read it again: https://"),
        ("ja", "このチャットの続きや、内容の確認はこちらからどうぞ：https://"),
    ],
)
def test_the_transcript_email_links_back_to_the_chat(
    tmp_path, mailbox, receiver, clock, locale, line
) -> None:
    inbox, _ = mailbox
    with serving(tmp_path, mailbox, receiver, clock, "https://support.example.com") as client:
        started, _ = ticketed(client, locale=locale)
        client.app.state.services.outbox.deliver_due()
        mails(inbox, 1)  # the ticket's
        inbox.envelopes.clear()
        sent = client.post(
            f"/api/conversations/{started['id']}/transcript", headers=bearer(started["token"])
        )
        assert sent.status_code == 202, sent.text
        client.app.state.services.outbox.deliver_due()
        (transcript,) = mails(inbox, 1)
        assert "a person please" in transcript
        assert transcript.rstrip().splitlines()[-1].startswith(line)
        conversation_id, headers = opened_by(LINK.search(transcript)[0])
        assert conversation_id == started["id"]
        assert client.get(f"/api/conversations/{started['id']}", headers=headers).status_code == 200


def test_without_a_public_address_the_transcript_has_no_link(
    tmp_path, mailbox, receiver, clock
) -> None:
    inbox, _ = mailbox
    with serving(tmp_path, mailbox, receiver, clock, None) as client:
        started, _ = ticketed(client)
        sent = client.post(
            f"/api/conversations/{started['id']}/transcript", headers=bearer(started["token"])
        )
        assert sent.status_code == 202, sent.text
        client.app.state.services.outbox.deliver_due()
        filed, transcript = mails(inbox, 2)
        assert "a person please" in transcript and "http" not in transcript
