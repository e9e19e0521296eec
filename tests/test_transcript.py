"""A customer asks for the chat by email: a real SMTP server on loopback receives it."""

from __future__ import annotations

from email import message_from_bytes

from fastapi.testclient import TestClient

from cascade.app import create_app
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot
from tests.helpers import ADMIN, wait_until


def _app(tmp_path, clock, **smtp):
    settings = Settings(
        data_dir=tmp_path,
        admin_token=ADMIN,
        rasa_url="",
        route_interval_s=0,
        outbox_interval_s=0,
        **smtp,
    )
    bot = ScriptedBot([{"text": "Your card arrives in 5 to 7 working days."}])
    return TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock))


def test_the_transcript_arrives_by_email_with_every_message(tmp_path, mailbox, clock) -> None:
    inbox, port = mailbox
    with _app(tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port) as client:
        started = client.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/conversations/{started['id']}"
        client.post(
            f"{path}/messages", json={"text": "When does my card arrive?"}, headers=customer
        )

        missing = client.post(f"{path}/transcript", headers=customer)
        assert missing.status_code == 422
        assert "email address" in missing.json()["detail"]
        assert (
            client.post(f"{path}/transcript", json={"email": "nope"}, headers=customer).status_code
            == 422
        )

        sent = client.post(
            f"{path}/transcript", json={"email": "ana@example.com"}, headers=customer
        )
        assert sent.status_code == 202, sent.text
        assert sent.json() == {"sent_to": "ana@example.com"}
        client.app.state.services.outbox.deliver_due()
        wait_until(lambda: inbox.envelopes, what="the email")
        mail = message_from_bytes(inbox.envelopes[0].content)
        assert inbox.envelopes[0].rcpt_tos == ["ana@example.com"]
        assert mail["Subject"] == "Your chat transcript"
        body = mail.get_payload(decode=True).decode()
        assert "You: When does my card arrive?" in body
        assert "Assistant: Your card arrives in 5 to 7 working days." in body

        # The address is kept: the next request needs none.
        assert client.post(f"{path}/transcript", headers=customer).json() == {
            "sent_to": "ana@example.com"
        }

        other = client.post("/api/conversations", json={}).json()
        stranger = {"Authorization": f"Bearer {other['token']}"}
        assert client.post(f"{path}/transcript", headers=stranger).status_code == 403


def test_without_smtp_the_customer_is_told_email_is_off(tmp_path, clock) -> None:
    with _app(tmp_path, clock) as client:
        started = client.post(
            "/api/conversations", json={"customer": {"email": "ana@example.com"}}
        ).json()
        response = client.post(
            f"/api/conversations/{started['id']}/transcript",
            headers={"Authorization": f"Bearer {started['token']}"},
        )
        assert response.status_code == 503
        assert "does not send email" in response.json()["detail"]
