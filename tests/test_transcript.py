"""A customer asks for the chat by email: a real SMTP server on loopback receives it."""

from __future__ import annotations

from email import message_from_bytes

from fastapi.testclient import TestClient

from cascade.app import create_app
from conversations.transcript import as_text
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot
from tests.helpers import ADMIN, ADMIN_HEADERS, wait_until


def _app(tmp_path, clock, bot: ScriptedBot | None = None, **smtp):
    settings = Settings(
        data_dir=tmp_path,
        admin_token=ADMIN,
        rasa_url="",
        route_interval_s=0,
        outbox_interval_s=0,
        **smtp,
    )
    bot = bot or ScriptedBot([{"text": "Your card arrives in 5 to 7 working days."}])
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


def test_the_transcript_goes_only_to_the_conversations_own_address(
    tmp_path, mailbox, clock
) -> None:
    inbox, port = mailbox
    with _app(tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port) as client:
        started = client.post(
            "/api/conversations", json={"customer": {"email": "ana@example.com"}}
        ).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/conversations/{started['id']}/transcript"

        other = client.post(path, json={"email": "someone@elsewhere.example"}, headers=customer)
        assert other.status_code == 409
        assert "only to the email address this conversation already has" in other.json()["detail"]
        same = client.post(path, json={"email": "ANA@example.com"}, headers=customer)
        assert same.json() == {"sent_to": "ana@example.com"}

        # Staff may send it, to that address only, and change nothing by asking.
        lead = client.post(
            "/api/tokens", json={"role": "supervisor", "subject": "Sam"}, headers=ADMIN_HEADERS
        )
        lead_headers = {"Authorization": f"Bearer {lead.json()['token']}"}
        moved = client.post(path, json={"email": "sam@evil.example"}, headers=lead_headers)
        assert moved.status_code == 409
        assert client.post(path, json={}, headers=lead_headers).json() == {
            "sent_to": "ana@example.com"
        }
        view = client.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
        assert view["customer"]["email"] == "ana@example.com"

        client.app.state.services.outbox.deliver_due()
        wait_until(lambda: len(inbox.envelopes) == 2, what="both transcripts")
        assert {tuple(e.rcpt_tos) for e in inbox.envelopes} == {("ana@example.com",)}


def test_an_address_is_set_once_and_only_by_the_customer(tmp_path, mailbox, clock) -> None:
    _, port = mailbox
    with _app(tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port) as client:
        started = client.post("/api/conversations", json={}).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/conversations/{started['id']}/transcript"

        staff = client.post(path, json={"email": "admin@example.com"}, headers=ADMIN_HEADERS)
        assert staff.status_code == 409
        assert "only its customer can give one" in staff.json()["detail"]
        view = client.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
        assert view["customer"].get("email") is None

        first = client.post(path, json={"email": "bo@example.com"}, headers=customer)
        assert first.json() == {"sent_to": "bo@example.com"}
        # Ops read every conversation for their figures, but write to no customer.
        ops = client.post(
            "/api/tokens", json={"role": "ops", "subject": "Wallboard"}, headers=ADMIN_HEADERS
        ).json()
        by_ops = client.post(path, headers={"Authorization": f"Bearer {ops['token']}"})
        assert by_ops.status_code == 403
        assert by_ops.json()["detail"] == "ops read conversations; they do not email customers"
        second = client.post(path, json={"email": "bo.other@example.com"}, headers=customer)
        assert second.status_code == 409
        view = client.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
        assert view["customer"]["email"] == "bo@example.com"


def test_a_few_transcripts_per_conversation_at_most(tmp_path, mailbox, clock) -> None:
    inbox, port = mailbox
    with _app(
        tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port, transcripts_per_conversation=2
    ) as client:
        started = client.post(
            "/api/conversations", json={"customer": {"email": "cy@example.com"}}
        ).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/conversations/{started['id']}/transcript"
        assert [client.post(path, headers=customer).status_code for _ in range(2)] == [202, 202]
        refused = client.post(path, headers=customer)
        assert refused.status_code == 429
        assert "already emailed 2 times" in refused.json()["detail"]
        assert client.post(path, headers=ADMIN_HEADERS).status_code == 429  # staff too
        outbox = client.app.state.services.outbox
        outbox.deliver_due()
        wait_until(lambda: len(inbox.envelopes) == 2, what="the two transcripts")
        outbox.deliver_due()
        assert len(inbox.envelopes) == 2  # the refused ones were never queued


def test_the_transcript_s_times_are_the_business_s_named(tmp_path, mailbox, clock) -> None:
    """A Tokyo shop's customer reads Tokyo times, with the zone said; the chat's own notices
    are signed as notices, not with the software's name."""
    from zoneinfo import ZoneInfo

    inbox, port = mailbox
    with _app(
        tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port, business_timezone="Asia/Tokyo"
    ) as client:
        started = client.post(
            "/api/conversations",
            json={"customer": {"email": "hanako@example.jp"}, "locale": "ja"},
        ).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/conversations/{started['id']}"
        client.post(f"{path}/messages", json={"text": "カードはいつ届きますか"}, headers=customer)
        assert client.post(f"{path}/transcript", headers=customer).status_code == 202
        client.app.state.services.outbox.deliver_due()
        wait_until(lambda: inbox.envelopes, what="the email")
        body = message_from_bytes(inbox.envelopes[0].content).get_payload(decode=True).decode()
        tokyo = clock.now().astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")
        assert f"[{tokyo} JST] お客様: カードはいつ届きますか" in body, body
        assert "Cascade" not in body


def test_an_international_domain_is_mailed_and_an_undeliverable_address_refused(
    tmp_path, mailbox, clock
) -> None:
    """jose@bücher.de goes out as jose@xn--bcher-kva.de (mail servers read ASCII); josé@… is
    refused when given, as few servers take it: accepted, it would only die in the outbox."""
    inbox, port = mailbox
    with _app(tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port) as client:
        refused = client.post(
            "/api/conversations", json={"customer": {"email": "josé@example.com"}}
        )
        assert refused.status_code == 422
        assert "before the @-sign" in refused.json()["detail"][0]["msg"]
        started = client.post(
            "/api/conversations", json={"customer": {"email": "jose@bücher.de"}}
        ).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/conversations/{started['id']}"
        client.post(
            f"{path}/messages", json={"text": "When does my card arrive?"}, headers=customer
        )
        sent = client.post(f"{path}/transcript", headers=customer)
        assert sent.json() == {"sent_to": "jose@bücher.de"}  # as the customer wrote it
        client.app.state.services.outbox.deliver_due()
        wait_until(lambda: inbox.envelopes, what="the email")
        assert inbox.envelopes[0].rcpt_tos == ["jose@xn--bcher-kva.de"]
        mail = message_from_bytes(inbox.envelopes[0].content)
        assert mail["To"] == "jose@xn--bcher-kva.de"
        assert mail["Date"] and mail["Message-ID"]  # what mail clients sort and thread by
        assert client.get("/health").json()["status"] == "ok"


def test_articles_in_the_transcript_read_as_plain_text(tmp_path, mailbox, clock) -> None:
    """An article's Markdown in the chat is bold and links there; in the email, words: no
    stars, a link's words with its address. The customer's own text stays as typed."""
    inbox, port = mailbox
    article = (
        "**Report a lost card**\n\n1. Go to **Cards → Report**\n"
        "2. See [our help page](https://bank.example/lost)."
    )
    bot = ScriptedBot([{"text": article}])
    with _app(tmp_path, clock, bot, smtp_host="127.0.0.1", smtp_port=port) as client:
        started = client.post("/api/conversations", json={}).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/conversations/{started['id']}"
        client.post(f"{path}/messages", json={"text": "I lost my **card**"}, headers=customer)
        sent = client.post(
            f"{path}/transcript", json={"email": "ana@example.com"}, headers=customer
        )
        assert sent.status_code == 202, sent.text
        client.app.state.services.outbox.deliver_due()
        wait_until(lambda: inbox.envelopes, what="the email")
        body = message_from_bytes(inbox.envelopes[0].content).get_payload(decode=True).decode()
        body = body.replace("\r\n", "\n")
        assert "You: I lost my **card**" in body
        assert "Assistant: Report a lost card\n\n1. Go to Cards → Report\n" in body
        assert "2. See our help page (https://bank.example/lost)." in body


def test_an_address_typed_full_width_is_taken_as_it_reads(tmp_path, mailbox, clock) -> None:
    """A Japanese IME types ＠ and full-width letters: the address is the one the customer sees."""
    inbox, port = mailbox
    with _app(tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port) as client:
        started = client.post(
            "/api/conversations", json={"customer": {"email": "taro＠example.jp"}}
        )
        assert started.status_code == 201, started.text
        view = client.get(f"/api/conversations/{started.json()['id']}", headers=ADMIN_HEADERS)
        assert view.json()["customer"]["email"] == "taro@example.jp"

        other = client.post("/api/conversations", json={}).json()
        sent = client.post(
            f"/api/conversations/{other['id']}/transcript",
            json={"email": " ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ "},
            headers={"Authorization": f"Bearer {other['token']}"},
        )
        assert sent.status_code == 202 and sent.json() == {"sent_to": "hanako@example.jp"}
        client.app.state.services.outbox.deliver_due()
        wait_until(lambda: len(inbox.envelopes) == 1, what="the transcript")
        assert inbox.envelopes[0].rcpt_tos == ["hanako@example.jp"]
        bad = client.post(
            f"/api/conversations/{other['id']}/transcript",
            json={"email": "hanako＠"},
            headers={"Authorization": f"Bearer {other['token']}"},
        )
        assert bad.status_code == 422


def test_a_messages_buttons_read_on_one_line() -> None:
    """A rating's five stars, or the choices offered, are one line of the email, not five."""
    said = as_text(
        [
            {
                "sender": "system",
                "text": "How did we do?",
                "created_at": "2026-12-03T07:18:00+00:00",
                "buttons": [{"title": str(n), "payload": f"/rate{n}"} for n in range(1, 6)],
            },
            {"sender": "customer", "text": "5", "created_at": "2026-12-03T07:19:00+00:00"},
        ],
        agent_name=None,
        language="en",
    )
    lines = said.splitlines()
    stars = lines.index("    ( 1 )  ( 2 )  ( 3 )  ( 4 )  ( 5 )")
    assert lines[stars - 1].endswith("How did we do?") and lines[stars + 1].endswith(": 5")
