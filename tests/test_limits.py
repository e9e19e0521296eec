"""Limits, in-process: request bodies past their limit, per-address rate limits with Retry-After,
and conversations in which the customer never wrote, closed after a while.

Every request of a TestClient comes from one address ("testclient"), so the limits here are set
low; a real server behind real sockets is in test_limits_served.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from limits.errors import ConfigurationError

from cascade.app import create_app
from core.settings import Settings
from tests.factories import HashingEmbedder, article, jsonl, make_agent, waiting_chat
from tests.helpers import ADMIN, ADMIN_HEADERS

LOW = {
    "rate_limit_start": "3/minute",
    "rate_limit_messages": "2/minute",
    "rate_limit_search": "2/minute",
    "rate_limit_transcripts": "2/hour",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        route_interval_s=0,  # the tests run the timers' passes themselves
        kb_import_max_bytes=300_000,
    )


@pytest.fixture
def limited(settings, bot, clock):
    """The app with low rate limits."""
    low = settings.model_copy(update=LOW)
    with TestClient(create_app(low, embedder=HashingEmbedder(), bot=bot, clock=clock)) as client:
        yield client


def start(client: TestClient) -> tuple[str, dict[str, str]]:
    started = client.post("/api/conversations", json={})
    assert started.status_code == 201, started.text
    return started.json()["id"], {"Authorization": f"Bearer {started.json()['token']}"}


def refused(response, *, within_s: int = 60) -> str:
    """The 429's detail, after checking it says when to come back."""
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= within_s
    return response.json()["detail"]


# -- bodies -------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_a_small_413(client) -> None:
    big = json.dumps({"query": "x" * 200_000})
    response = client.post(
        "/api/kb/search", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "the request body is larger than this endpoint's limit of 65536 bytes"
    }


def test_a_big_invalid_field_is_not_echoed_in_the_422(client) -> None:
    cid, customer = start(client)
    response = client.post(
        f"/api/conversations/{cid}/messages", json={"text": "y" * 60_000}, headers=customer
    )
    assert response.status_code == 422
    assert len(response.content) < 500
    assert response.json()["detail"][0]["msg"] == "String should have at most 5000 characters"
    small = client.post("/api/kb/search", json={"query": "hi", "limit": 500})
    assert small.json()["detail"][0]["input"] == 500  # a short value is still shown


def test_no_error_quotes_a_long_value_back(client, admin) -> None:
    """Not as a dict's key in the place of the error, not in its message, not as a path's id."""
    keyed = client.post(
        "/api/agents", json={"name": "x", "skills": {"y" * 30_000: 9}}, headers=admin
    )
    assert keyed.status_code == 422
    assert len(keyed.content) < 2_000
    missing = client.get("/api/kb/articles/" + "q" * 60_000)
    assert missing.status_code == 404
    assert len(missing.content) < 400
    assert missing.json()["detail"].startswith("no published article with id 'qqq")


def test_an_import_may_be_larger_up_to_its_own_limit(client, admin) -> None:
    body = "word " * 3000
    articles = [article(f"a-{i}", title=f"Article {i}", body=body) for i in range(10)]
    below = jsonl(*articles)
    assert 65_536 < len(below.encode()) < 300_000
    imported = client.post("/api/kb/import", content=below, headers=admin)
    assert imported.json() == {"imported": 10}

    above = jsonl(*articles, *[article(f"b-{i}", body=body) for i in range(12)])
    assert len(above.encode()) > 300_000
    response = client.post("/api/kb/import", content=above, headers=admin)
    assert response.status_code == 413
    assert "limit of 300000 bytes" in response.json()["detail"]
    assert len(client.get("/api/kb/articles", headers=admin).json()) == 10


def test_an_article_may_be_larger_than_a_chat_message(client, admin) -> None:
    long = article("long-read", body="paragraph " * 9000)  # 90,000 characters
    created = client.post("/api/kb/articles", json=long, headers=admin)
    assert created.status_code == 201, created.text[:300]


# -- rate limits --------------------------------------------------------------------------------


def test_starting_conversations_past_the_limit_gets_429_with_retry_after(limited) -> None:
    for _ in range(3):
        start(limited)
    detail = refused(limited.post("/api/conversations", json={}))
    assert detail.startswith("too many requests (start: at most 3/minute from one address)")


def test_customers_messages_are_limited_and_agents_replies_are_not(limited, bot, admin) -> None:
    client = limited
    agent = make_agent(client, admin)
    cid, customer = waiting_chat(client, bot)  # the customer's first message
    client.app.state.services.queue.route()
    taken = client.post(f"/api/conversations/{cid}/accept", headers=agent["headers"], json={})
    assert taken.status_code == 200, taken.text
    path = f"/api/conversations/{cid}/messages"
    assert client.post(path, json={"text": "hello?"}, headers=customer).status_code == 200
    assert "messages: at most 2/minute" in refused(
        client.post(path, json={"text": "hello??"}, headers=customer)
    )
    replies = [
        client.post(path, json={"text": f"Here to help ({n})."}, headers=agent["headers"])
        for n in range(4)
    ]
    assert [r.status_code for r in replies] == [200] * 4


def test_public_search_is_limited(limited) -> None:
    for _ in range(2):
        assert limited.post("/api/kb/search", json={"query": "lost card"}).status_code == 200
    assert "search: at most 2/minute" in refused(
        limited.post("/api/kb/search", json={"query": "lost card"})
    )
    # An editor trying questions from the same address is staff: not limited. A token that is
    # not valid counts as none.
    editor = limited.post(
        "/api/tokens", json={"role": "editor", "subject": "Noor"}, headers=ADMIN_HEADERS
    )
    signed_in = {"Authorization": f"Bearer {editor.json()['token']}"}
    for _ in range(5):
        tried = limited.post("/api/kb/search", json={"query": "lost card"}, headers=signed_in)
        assert tried.status_code == 200, tried.text
    stale = {"Authorization": "Bearer not-a-token"}
    assert limited.post("/api/kb/search", json={"query": "x"}, headers=stale).status_code == 429


def mailing(tmp_path, port: int, **limits: str) -> Settings:
    """Settings that send email to the loopback SMTP server on `port`, with these limits."""
    return Settings(
        data_dir=tmp_path / "mail",
        admin_token=ADMIN,
        rasa_url="",
        route_interval_s=0,
        outbox_interval_s=0,
        smtp_host="127.0.0.1",
        smtp_port=port,
        **limits,
    )


def test_transcripts_are_limited_per_address(tmp_path, mailbox, clock) -> None:
    _, port = mailbox
    settings = mailing(tmp_path, port, **LOW)
    with TestClient(create_app(settings, embedder=HashingEmbedder(), clock=clock)) as client:
        sent = []
        for email in ("a@example.com", "b@example.com", "c@example.com"):
            started = client.post("/api/conversations", json={"customer": {"email": email}})
            token = {"Authorization": f"Bearer {started.json()['token']}"}
            cid = started.json()["id"]
            sent.append(client.post(f"/api/conversations/{cid}/transcript", headers=token))
        assert [r.status_code for r in sent[:2]] == [202, 202]
        assert "transcripts: at most 2/hour" in refused(sent[2], within_s=3600)


def test_transcripts_to_one_recipient_are_limited_whoever_asks(tmp_path, mailbox, clock) -> None:
    """Chats started with a stranger's address cannot flood their inbox, from however many
    client addresses (here one, with a generous limit of its own)."""
    _, port = mailbox
    settings = mailing(
        tmp_path, port, rate_limit_start="100/minute", rate_limit_transcripts="100/hour"
    )
    with TestClient(create_app(settings, embedder=HashingEmbedder(), clock=clock)) as client:

        def transcript(email: str):
            started = client.post("/api/conversations", json={"customer": {"email": email}})
            token = {"Authorization": f"Bearer {started.json()['token']}"}
            return client.post(
                f"/api/conversations/{started.json()['id']}/transcript", headers=token
            )

        sent = [transcript("Victim@example.com").status_code for _ in range(3)]
        assert sent == [202, 202, 202]
        detail = refused(transcript("victim@example.com"), within_s=3600)
        assert "transcripts_to: at most 3/hour;10/day to one address" in detail
        assert transcript("someone.else@example.com").status_code == 202


def test_the_limits_can_be_switched_off(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN, rasa_url="", rate_limits=False, **LOW)
    with TestClient(create_app(settings, embedder=HashingEmbedder())) as client:
        statuses = {client.post("/api/conversations", json={}).status_code for _ in range(10)}
    assert statuses == {201}


def test_a_limit_or_storage_it_cannot_use_stops_the_start(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, rasa_url="", rate_limit_search="lots")
    with pytest.raises(ValueError, match="rate limit 'search': 'lots'"):
        create_app(settings, embedder=HashingEmbedder())
    nowhere = Settings(data_dir=tmp_path, rasa_url="", rate_limit_storage="nowhere://x")
    with pytest.raises(ConfigurationError, match="unknown storage scheme"):
        create_app(nowhere, embedder=HashingEmbedder())


# -- conversations the customer never wrote in ---------------------------------------------------


def test_a_conversation_never_written_in_is_closed_after_the_limit(client, bot, clock) -> None:
    services = client.app.state.services
    silent, silent_headers = start(client)
    bot.replies.append([{"text": "Could you tell me a bit more?"}])
    talked, talked_headers = start(client)
    client.post(
        f"/api/conversations/{talked}/messages", json={"text": "card"}, headers=talked_headers
    )

    clock.advance(minutes=50)  # the one who wrote writes again: not idle
    bot.replies.append([{"text": "Which card?"}])
    client.post(
        f"/api/conversations/{talked}/messages", json={"text": "debit"}, headers=talked_headers
    )
    clock.advance(minutes=9)
    assert services.queue.abandon_idle() == []
    clock.advance(minutes=2)  # an hour and a minute since both started
    assert services.queue.abandon_idle() == [silent]
    statuses = {
        cid: client.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()["status"]
        for cid in (silent, talked)
    }
    assert statuses == {silent: "abandoned", talked: "bot"}

    # Not a contact, so not an abandoned one: the figures hold only the chat with words in it.
    figures = client.get("/api/metrics", headers=ADMIN_HEADERS).json()
    assert (figures["contacts"], figures["abandoned"]) == (1, 0)

    # A customer who writes after all carries on in the same chat.
    bot.replies.append([{"text": "How can I help?"}])
    turn = client.post(
        f"/api/conversations/{silent}/messages", json={"text": "hi"}, headers=silent_headers
    )
    assert turn.status_code == 200
    assert turn.json()["status"] == "bot"
    assert turn.json()["messages"][-1]["text"] == "How can I help?"


def test_never_written_conversations_stay_open_when_the_limit_is_off(tmp_path, clock) -> None:
    settings = Settings(
        data_dir=tmp_path, admin_token=ADMIN, rasa_url="", route_interval_s=0, unwritten_limit_s=0
    )
    with TestClient(create_app(settings, embedder=HashingEmbedder(), clock=clock)) as client:
        cid, _ = start(client)
        clock.advance(days=2)
        assert client.app.state.services.queue.abandon_idle() == []
        view = client.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert view["status"] == "bot"


def test_a_body_that_is_not_utf8_or_nested_too_deeply_is_told_so(client) -> None:
    cid, customer = start(client)
    for body in (b'{"text": "\xff\xfe"}', b"[" * 5_000):
        refused = client.post(
            f"/api/conversations/{cid}/messages",
            content=body,
            headers={**customer, "Content-Type": "application/json"},
        )
        assert refused.status_code == 400
        assert refused.json()["detail"] == (
            "the body is not readable JSON: it must be UTF-8 text, with no number of thousands"
            " of digits and no nesting thousands deep"
        )


def test_refused_transcript_requests_use_up_no_one_s_quota(tmp_path, mailbox, clock) -> None:
    """Asking, from one's own chat, for a transcript to a stranger's address is refused (409)
    and does not count against that address: its owner still gets their own transcripts."""
    _, port = mailbox
    settings = mailing(
        tmp_path, port, rate_limit_start="100/minute", rate_limit_transcripts="100/hour"
    )
    with TestClient(create_app(settings, embedder=HashingEmbedder(), clock=clock)) as client:
        mine = client.post("/api/conversations", json={"customer": {"email": "me@example.com"}})
        for _ in range(3):
            other = client.post(
                f"/api/conversations/{mine.json()['id']}/transcript",
                json={"email": "owner@example.com"},
                headers={"Authorization": f"Bearer {mine.json()['token']}"},
            )
            assert other.status_code == 409, other.text
        owners = client.post(
            "/api/conversations", json={"customer": {"email": "owner@example.com"}}
        )
        for _ in range(3):  # the 3 an hour to one address are all the owner's
            sent = client.post(
                f"/api/conversations/{owners.json()['id']}/transcript",
                headers={"Authorization": f"Bearer {owners.json()['token']}"},
            )
            assert sent.status_code == 202, sent.text


def test_only_customers_count_against_the_transcript_limit(tmp_path, mailbox, clock) -> None:
    """Requests without a valid token are refused before anything counts, and staff at the same
    client address (an office behind one address) are not stopped by its customers' count."""
    _, port = mailbox
    settings = mailing(
        tmp_path, port, rate_limit_start="100/minute", rate_limit_transcripts="1/hour"
    )
    with TestClient(create_app(settings, embedder=HashingEmbedder(), clock=clock)) as client:
        started = client.post("/api/conversations", json={"customer": {"email": "a@example.com"}})
        path = f"/api/conversations/{started.json()['id']}/transcript"
        stale = {"Authorization": "Bearer not-a-token"}
        for _ in range(3):
            assert client.post(path).status_code == 401
            assert client.post(path, headers=stale).status_code == 401
        token = {"Authorization": f"Bearer {started.json()['token']}"}
        assert client.post(path, headers=token).status_code == 202
        assert "transcripts: at most 1/hour" in refused(
            client.post(path, headers=token), within_s=3600
        )
        by_staff = client.post(path, headers=ADMIN_HEADERS)
        assert by_staff.status_code == 202, by_staff.text
