"""Each conversation has a language: given with `locale` when it starts, or decided by the
customer's own messages; everything Cascade writes to the customer (outside the bot's replies)
is in it: the queue and ticket texts in the chat, the emails, the widget's words. Staff see it
on the conversation, in the hand-over package and in webhooks."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cascade.app import create_app
from conversations.identity import sign
from core.words import say
from tests.factories import HANDOFF, HashingEmbedder, ScriptedBot, make_agent
from tests.helpers import ADMIN_HEADERS, notifying_settings, wait_until

JAPANESE_QUESTION = "カードがまだ届きません。いつ届きますか？"


class ListeningBot(ScriptedBot):
    """A scripted bot that also keeps the metadata each message was sent with."""

    def __init__(self, *replies: list[dict[str, Any]]) -> None:
        super().__init__(*replies)
        self.metadata: list[dict[str, Any]] = []

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        self.metadata.append(metadata)
        return await super().send(sender_id, text, metadata=metadata)


def start(client: TestClient, **body: Any) -> tuple[dict[str, Any], dict[str, str]]:
    response = client.post("/api/conversations", json=body)
    assert response.status_code == 201, response.text
    started = response.json()
    return started, {"Authorization": f"Bearer {started['token']}"}


def write(client: TestClient, started: dict[str, Any], headers: dict[str, str], text: str) -> Any:
    turn = client.post(
        f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
    )
    assert turn.status_code == 200, turn.text
    return turn.json()


def read(client: TestClient, conversation_id: str) -> dict[str, Any]:
    return client.get(f"/api/conversations/{conversation_id}", headers=ADMIN_HEADERS).json()


@pytest.mark.parametrize(
    ("locale", "language"), [("ja", "ja"), ("ja-JP", "ja"), ("ja_JP", "ja"), ("en-GB", "en")]
)
def test_a_conversation_starts_in_the_locale_given(client, locale, language) -> None:
    started, _ = start(client, locale=locale)
    assert (started["language"], started["language_source"]) == (language, "locale")
    assert started["messages"][0]["text"] == say(language, "chat.welcome")
    assert read(client, started["id"])["language"] == language


def test_the_welcome_is_japanese_when_the_conversation_starts_in_japanese(client) -> None:
    started, _ = start(client, locale="ja")
    assert started["messages"][0]["text"].startswith("こんにちは")


def test_a_locale_cascade_does_not_speak_is_refused_with_the_ones_it_does(client) -> None:
    refused = client.post("/api/conversations", json={"locale": "fr-FR"})
    assert refused.status_code == 422
    detail = json.dumps(refused.json())
    assert "fr-FR" in detail and "en, ja" in detail


def test_without_a_locale_the_first_japanese_message_decides_and_rasa_hears_it(client, bot) -> None:
    listening = ListeningBot([{"text": "…"}], [{"text": "…"}], [{"text": "…"}], [{"text": "…"}])
    client.app.state.services.conversations.bot = listening
    started, headers = start(client)
    assert (started["language"], started["language_source"]) == ("en", "default")

    write(client, started, headers, "ok")  # too short to tell: nothing decided yet
    assert read(client, started["id"])["language_source"] == "default"
    assert listening.metadata[-1]["language"] == "en"

    write(client, started, headers, JAPANESE_QUESTION)
    view = read(client, started["id"])
    assert (view["language"], view["language_source"]) == ("ja", "detected")
    assert listening.metadata[-1]["language"] == "ja"
    assert {"agents_available", "customer_email"} <= listening.metadata[-1].keys()

    write(client, started, headers, "ok")  # short Latin text keeps the Japanese
    assert read(client, started["id"])["language"] == "ja"
    # A customer who changes language, surely, is answered in the new one.
    write(client, started, headers, "Actually I would rather write in English, if that is fine")
    assert read(client, started["id"])["language"] == "en"
    assert listening.metadata[-1]["language"] == "en"


def test_on_a_page_that_gave_the_language_one_line_in_another_does_not_change_it(client) -> None:
    """A Japanese shop's customer writing an order number in English stays in Japanese; two
    English lines in a row are a customer who changed language. (A first message in another
    language switches at once: tests/browser/test_widget_japanese.py.)"""
    client.app.state.services.conversations.bot = ScriptedBot(*[[{"text": "…"}]] * 4)
    started, headers = start(client, locale="ja")
    write(client, started, headers, JAPANESE_QUESTION)
    write(client, started, headers, "Order number is KM-20451. Please check it, thank you!")
    assert read(client, started["id"])["language"] == "ja"
    write(client, started, headers, "Actually I would rather write in English, if that is fine")
    view = read(client, started["id"])
    assert (view["language"], view["language_source"]) == ("en", "detected")


@pytest.mark.sends_email
def test_a_waiting_japanese_customer_reads_their_place_in_japanese(client, bot, admin) -> None:
    make_agent(client, admin, max_concurrent=1, languages=["en", "ja"])
    busy, busy_headers = start(client)  # takes the only agent's only slot
    bot.replies.append(list(HANDOFF))
    write(client, busy, busy_headers, "I want a person")

    started, headers = start(client)
    bot.replies.append(list(HANDOFF))
    turn = write(client, started, headers, "担当者と話したいです")
    waiting = turn["messages"][-1]
    view = read(client, started["id"])
    assert view["status"] == "queued"
    minutes = round(view["queue"]["estimated_wait_s"] / 60)
    assert waiting["sender"] == "system"
    assert waiting["text"] == (
        f"ただいま{view['queue']['position']}番目にお待ちいただいております。"
        f"待ち時間は約{minutes}分です。"
    )
    assert waiting["buttons"][0]["title"] == "メールで回答を受け取る"
    assert view["handoff"]["language"] == "ja"
    assert view["handoff"]["transcript"][1]["text"] == "担当者と話したいです"  # as written

    # "Email me instead" asks for the address in Japanese, and says so when it is not one.
    asked = write(client, started, headers, "/email_me")
    assert asked["messages"][-1]["text"] == "ご返信先のメールアドレスを入力してください。"
    wrong = write(client, started, headers, "えーと")
    assert wrong["messages"][-1]["text"].startswith("メールアドレスの形式ではない")


def test_an_agent_joining_and_resolving_speaks_the_customers_language(client, bot, admin) -> None:
    agent = make_agent(client, admin, languages=["en", "ja"])  # offered the Japanese chat
    started, headers = start(client, locale="ja")
    bot.replies.append(list(HANDOFF))
    write(client, started, headers, "担当者と話したいです")
    accepted = client.post(f"/api/conversations/{started['id']}/accept", headers=agent["headers"])
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["language"] == "ja"
    texts = [m["text"] for m in read(client, started["id"])["messages"]]
    assert "Priya Ramanがチャットに参加しました。" in texts

    resolved = client.post(f"/api/conversations/{started['id']}/resolve", headers=agent["headers"])
    assert resolved.status_code == 200, resolved.text
    last = read(client, started["id"])["messages"][-1]
    assert last["text"] == say("ja", "chat.csat_question")
    assert "評価" in last["text"]
    rated = write(client, started, headers, '/csat{"score": 5}')
    assert rated["messages"][-1]["text"] == "ご評価いただきありがとうございます。"


@pytest.fixture
def notifying(tmp_path, mailbox, receiver, clock):
    """The app with a real SMTP server and webhook receiver on loopback, nobody online."""
    inbox, smtp_port = mailbox
    settings = notifying_settings(tmp_path, smtp_port, receiver).model_copy(
        update={"identity_secret": SecretStr("site-secret")}
    )
    bot = ScriptedBot()
    with TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)) as app:
        yield app, bot, inbox, receiver


def test_a_japanese_ticket_its_emails_and_webhooks(notifying) -> None:
    client, bot, inbox, receiver = notifying
    # Signed in by the shop's site: the email may greet them by name and quote them.
    signed = {"user_id": "sato-1", "user_hash": sign("sato-1", "site-secret")}
    started, headers = start(
        client, customer={"name": "佐藤", "email": "sato@example.jp", **signed}
    )
    bot.replies.append(list(HANDOFF))
    turn = write(client, started, headers, "返品のことで担当の方と話したいです")
    filed = turn["messages"][-1]["text"]
    view = read(client, started["id"])
    ticket_id = view["ticket_id"]
    # Nobody online: a ticket, told in Japanese, with the address the reply goes to.
    assert filed.startswith("ただいま対応できる担当者がいないため")
    assert (
        f"チケット {ticket_id}" in filed
        and "sato@example.jp 宛にメールでご連絡いたします。" in filed
    )
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()
    assert ticket["language"] == "ja"

    outbox = client.app.state.services.outbox
    outbox.deliver_due()
    wait_until(lambda: inbox.envelopes, what="the ticket's email")
    mail = message_from_bytes(inbox.envelopes[0].content, policy=policy.default)
    assert mail["Subject"] == f"[{ticket_id}] お問い合わせを受け付けました"
    body = mail.get_content()
    assert body.startswith("佐藤 様\n\n")
    assert f"チケット {ticket_id} としてお受けいたしました" in body
    assert "お問い合わせ内容：「返品のことで担当の方と話したいです」" in body
    payloads = {json.loads(b)["event"]: json.loads(b)["data"] for _, b in receiver.requests}
    assert payloads["handoff.queued"]["language"] == "ja"
    assert payloads["ticket.created"]["language"] == "ja"

    client.patch(f"/api/tickets/{ticket_id}", json={"status": "solved"}, headers=ADMIN_HEADERS)
    assert read(client, started["id"])["messages"][-1]["text"].startswith(
        f"チケット {ticket_id} は解決しました。"
    )
    outbox.deliver_due()
    wait_until(lambda: len(inbox.envelopes) == 2, what="the solved email")
    solved = message_from_bytes(inbox.envelopes[1].content, policy=policy.default)
    assert solved["Subject"] == f"[{ticket_id}] お問い合わせは解決しました"


def test_the_transcript_email_is_in_the_conversations_language(notifying) -> None:
    client, bot, inbox, _ = notifying
    started, headers = start(client, locale="ja", customer={"email": "sato@example.jp"})
    bot.replies.append([{"text": "お届けまで5日ほどかかります。"}])
    write(client, started, headers, "カードはいつ届きますか")
    sent = client.post(f"/api/conversations/{started['id']}/transcript", headers=headers)
    assert sent.status_code == 202, sent.text
    client.app.state.services.outbox.deliver_due()
    wait_until(lambda: inbox.envelopes, what="the transcript")
    mail = message_from_bytes(inbox.envelopes[0].content, policy=policy.default)
    assert mail["Subject"] == "チャットの記録"
    body = mail.get_content()
    assert body.startswith("サポートチームとのチャットの記録をお送りします。")
    assert "お客様: カードはいつ届きますか" in body
    assert "アシスタント: お届けまで5日ほどかかります。" in body


@pytest.mark.parametrize(
    ("query", "language", "matched"),
    [
        ("?locale=ja-JP", "ja", True),
        ("?locale=fr-FR&locale=ja", "ja", True),  # the first one Cascade speaks
        ("?locale=fr-FR", "en", False),
        ("", "en", False),
    ],
)
def test_the_widget_gets_its_words_in_the_language_asked_for(
    client, query, language, matched
) -> None:
    found = client.get("/api/widget/words" + query)
    assert found.status_code == 200, found.text
    words = found.json()
    assert (words["language"], words["matched"]) == (language, matched)
    assert words["languages"] == ["en", "ja"]
    assert words["words"]["widget.send"] == ("送信" if language == "ja" else "Send")
    assert found.headers["access-control-allow-origin"] == "*"  # read from the company's site
    assert words["sends_email"] is False  # no SMTP server here: no transcript by email
