"""Tickets keep the customer and other systems informed: real SMTP and webhook servers on
loopback receive what the outbox delivers."""

from __future__ import annotations

import json
from email import message_from_bytes

from fastapi.testclient import TestClient
from pydantic import SecretStr

from cascade.app import create_app
from conversations.identity import sign
from handoff.outbox import verify_signature
from tests.factories import HashingEmbedder, ScriptedBot
from tests.helpers import ADMIN_HEADERS, notifying_settings, wait_until

HANDOFF = [
    {"custom": {"text": "Connecting you."}},
    {"custom": {"handoff": {"reason": "customer_request"}}},
]


def test_ticket_emails_and_signed_webhooks(tmp_path, mailbox, receiver, clock) -> None:
    inbox, smtp_port = mailbox
    settings = notifying_settings(tmp_path, smtp_port, receiver).model_copy(
        update={"identity_secret": SecretStr("site-secret")}
    )
    bot = ScriptedBot(list(HANDOFF))
    admin = ADMIN_HEADERS
    with TestClient(
        create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)
    ) as client:
        # The company's site signed this customer in: the email may quote them.
        customer = {"name": "Ana", "email": "ana@example.com", "user_id": "cust-9"}
        customer["user_hash"] = sign("cust-9", "site-secret")
        started = client.post("/api/conversations", json={"customer": customer}).json()
        client.post(
            f"/api/conversations/{started['id']}/messages",
            json={"text": "a person please"},
            headers={"Authorization": f"Bearer {started['token']}"},
        )
        ticket_id = client.get(f"/api/conversations/{started['id']}", headers=admin).json()[
            "ticket_id"
        ]
        outbox = client.app.state.services.outbox
        assert outbox.deliver_due()["sent"] == 3  # handoff.queued, ticket.created, the email

        wait_until(lambda: inbox.envelopes, what="the email")
        mail = message_from_bytes(inbox.envelopes[0].content)
        assert inbox.envelopes[0].rcpt_tos == ["ana@example.com"]
        assert mail["Subject"] == f"[{ticket_id}] We've received your request"
        body = mail.get_payload(decode=True).decode()
        assert 'You wrote: "a person please"' in body, body  # what it is about
        assert body.startswith("Hello Ana,"), body
        events = [json.loads(body)["event"] for _, body in receiver.requests]
        assert events == ["handoff.queued", "ticket.created"]
        sent_at = clock.now().timestamp()
        for headers, body in receiver.requests:
            assert verify_signature(body, headers["X-Cascade-Signature"], "s3cret", now=sent_at)
        created = json.loads(receiver.requests[1][1])["data"]
        assert (created["id"], created["status"], created["customer_email"]) == (
            ticket_id,
            "new",
            "ana@example.com",
        )

        client.patch(f"/api/tickets/{ticket_id}", json={"status": "solved"}, headers=admin)
        outbox.deliver_due()
        wait_until(lambda: len(inbox.envelopes) == 2, what="the second email")
        assert (
            message_from_bytes(inbox.envelopes[1].content)["Subject"]
            == f"[{ticket_id}] Your request is solved"
        )
        solved = json.loads(receiver.requests[-1][1])
        assert (solved["event"], solved["data"]["status"]) == ("ticket.solved", "solved")


def test_an_address_nobody_vouched_for_gets_none_of_the_chat_s_words(
    tmp_path, mailbox, receiver, clock
) -> None:
    """Anyone may start a chat with anyone's address: the email saying a ticket was filed then
    carries neither the name nor the words given, so nobody can have the support address mail
    their text and links to a stranger."""
    inbox, smtp_port = mailbox
    settings = notifying_settings(tmp_path, smtp_port, receiver)
    with TestClient(
        create_app(
            settings, embedder=HashingEmbedder(), bot=ScriptedBot(list(HANDOFF)), clock=clock
        )
    ) as client:
        started = client.post(
            "/api/conversations",
            json={
                "customer": {
                    "name": "Win a prize at https://evil.example/claim",
                    "email": "stranger@example.com",
                }
            },
        ).json()
        client.post(
            f"/api/conversations/{started['id']}/messages",
            json={"text": "Claim your refund at https://evil.example/refund now"},
            headers={"Authorization": f"Bearer {started['token']}"},
        )
        client.app.state.services.outbox.deliver_due()
        wait_until(lambda: inbox.envelopes, what="the email")
        mail = message_from_bytes(inbox.envelopes[0].content)
        assert inbox.envelopes[0].rcpt_tos == ["stranger@example.com"]
        assert mail["Subject"].endswith("We've received your request")
        body = mail.get_payload(decode=True).decode()
        assert "evil.example" not in body, body
        assert body.startswith("Hello,"), body
        assert "We've filed ticket" in body, body
