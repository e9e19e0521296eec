"""Odd input on every endpoint gets a 4xx saying what is wrong, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from tests.factories import HashingEmbedder
from tests.helpers import ACTION_HEADERS, ADMIN_HEADERS

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def lenient(settings, bot, clock):
    app = create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def cases(conversation: str, token: str) -> list[tuple[str, str, dict, int]]:
    customer = {"Authorization": f"Bearer {token}"}
    messages = f"/api/conversations/{conversation}/messages"
    return [
        (
            "post",
            messages,
            {"content": '{"text": "\\ud800 hi"}', "headers": {**customer, **JSON}},
            422,
        ),
        (
            "post",
            "/api/conversations",
            {"content": '{"customer": {"name": "\\udfff"}}', "headers": JSON},
            422,
        ),
        ("post", "/api/kb/search", {"content": '{"query": "\\ud800"}', "headers": JSON}, 422),
        # Bytes that are not UTF-8, said to be plain text: nothing to echo back as the input.
        *[
            ("post", url, {"content": b"\xff", "headers": {"Content-Type": "text/plain"}}, 422)
            for url in ("/api/conversations", "/api/kb/search", "/api/auth/sign-in")
        ],
        (
            "post",
            "/api/kb/import",
            {"content": '{"id": "a", "title": "\\ud800"}\n', "headers": ADMIN_HEADERS},
            422,
        ),
        ("post", messages, {"json": {"text": "hi", "client_id": 5}, "headers": customer}, 422),
        ("post", messages, {"content": "not json", "headers": {**customer, **JSON}}, 422),
        (
            "post",
            "/api/agents",
            {"json": {"name": "x", "skills": {"a": "high"}}, "headers": ADMIN_HEADERS},
            422,
        ),
        (
            "post",
            "/api/agents",
            {"json": {"name": "", "skills": {}}, "headers": ADMIN_HEADERS},
            422,
        ),
        (
            "post",
            "/api/agents",
            {"json": {"name": "x", "skills": {"y" * 30_000: 3}}, "headers": ADMIN_HEADERS},
            422,
        ),
        (
            "post",
            "/api/agents",
            {"json": {"name": "x", "skills": {"cards\u0000": 3}}, "headers": ADMIN_HEADERS},
            422,
        ),
        (
            "post",
            "/api/kb/articles",
            {"json": {"title": "Lost card", "skill": "cards\tlost"}, "headers": ADMIN_HEADERS},
            422,
        ),
        (
            "post",
            "/api/kb/import",
            {
                "content": '{"id": "a", "title": "A", "skill": "cards\\u0007"}\n',
                "headers": ADMIN_HEADERS,
            },
            422,
        ),
        ("post", "/webhook", {"content": "garbage", "headers": ACTION_HEADERS}, 400),
        (
            "post",
            "/webhook",
            {"json": {"next_action": "action_answer_question"}, "headers": ACTION_HEADERS},
            400,
        ),
        (
            "post",
            "/webhook",
            {"json": {"next_action": "action_nope", "tracker": {}}, "headers": ACTION_HEADERS},
            404,
        ),
        ("post", "/webhook", {"json": {"next_action": "action_nope", "tracker": {}}}, 401),
        ("get", "/api/conversations/" + "x" * 5000, {"headers": ADMIN_HEADERS}, 404),
        # Text that shows as nothing (zero-width spaces, a byte-order mark) is blank.
        (
            "post",
            messages,
            {"json": {"text": "\u200b\u200d\ufeff "}, "headers": customer},
            422,
        ),
        ("post", "/api/conversations", {"json": {"page_url": "javascript:alert(1)"}}, 422),
        ("post", "/api/conversations", {"json": {"page_url": "/relative/page"}}, 422),
        ("post", "/api/conversations", {"json": {"page_url": "http://"}}, 422),  # no site
        # Staff text and names, and a search, of invisible characters alone are blank too.
        (
            "put",
            "/api/canned/zz",
            {"json": {"text": "\u200b \u200b"}, "headers": ADMIN_HEADERS},
            422,
        ),
        (
            "post",
            "/api/agents",
            {"json": {"name": "\u200b", "skills": {}}, "headers": ADMIN_HEADERS},
            422,
        ),
        ("post", "/api/kb/search", {"json": {"query": "\u200b\u200b"}}, 422),
    ]


def test_no_input_makes_a_500(lenient) -> None:
    started = lenient.post("/api/conversations", json={}).json()
    for method, url, kwargs, status in cases(started["id"], started["token"]):
        response = getattr(lenient, method)(url, **kwargs)
        assert response.status_code == status, (url, kwargs, response.text)
        body = response.json()
        assert body.get("detail") or body.get("error"), (url, body)
        if kwargs.get("content") == b"\xff":
            assert "must be a JSON object" in body["detail"][0]["msg"], body
    # Nothing half-written: the conversation still holds only its greeting.
    view = lenient.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
    assert [m["sender"] for m in view["messages"]] == ["bot"]


def test_a_nul_character_is_refused_never_a_500(lenient) -> None:
    """PostgreSQL's text columns cannot hold NUL (\\u0000), so on either database a page
    address holding one is refused with a 422 that says why."""
    # (A customer's name loses its control characters before it is stored: tests/test_names.py.)
    page = "https://shop.example/help\u0000faq"
    started = lenient.post("/api/conversations", json={"page_url": page})
    assert started.status_code == 422
    assert "NUL character" in str(started.json()["detail"])


def test_a_message_holding_a_nul_is_refused_on_either_database(lenient) -> None:
    """Said, not stored on one engine and refused by the other: the chat stays as it was."""
    started = lenient.post("/api/conversations", json={}).json()
    customer = {"Authorization": f"Bearer {started['token']}"}
    sent = lenient.post(
        f"/api/conversations/{started['id']}/messages", json={"text": "a\u0000b"}, headers=customer
    )
    assert sent.status_code == 422 and "must not contain a NUL character" in sent.text
    view = lenient.get(f"/api/conversations/{started['id']}", headers=ADMIN_HEADERS).json()
    assert [m["sender"] for m in view["messages"]] == ["bot"]


NOT_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 30]


def test_numbers_json_cannot_hold_or_no_column_can_are_refused_by_name(lenient) -> None:
    """NaN and Infinity (which Python's JSON parser reads), a float that overflows to infinity
    and an integer past 64 bits: a 422 that names the field, never a 500."""
    started = lenient.post("/api/conversations", json={}).json()
    customer = {"Authorization": f"Bearer {started['token']}", **JSON}
    admin = {**ADMIN_HEADERS, **JSON}
    article = {"id": "odd-numbers", "title": "Odd numbers", "body": "Kept.", "status": "published"}
    assert lenient.post("/api/kb/articles", json=article, headers=ADMIN_HEADERS).status_code == 201
    agent = lenient.post(
        "/api/agents", json={"name": "Ann", "skills": {"cards": 3}}, headers=ADMIN_HEADERS
    ).json()
    endpoints = [
        ("post", f"/api/conversations/{started['id']}/csat", '{{"score": {}}}', customer),
        ("post", "/api/kb/articles/odd-numbers/rollback", '{{"version": {}}}', admin),
        ("post", "/api/kb/gaps/draft", '{{"gap_ids": [{}]}}', admin),
        ("patch", f"/api/agents/{agent['id']}", '{{"max_concurrent": {}}}', admin),
        ("post", "/api/tokens", '{{"role": "ops", "expires_in_days": {}}}', admin),
        ("post", "/api/kb/search", '{{"query": "card", "limit": {}}}', JSON),
    ]
    for method, url, body, headers in endpoints:
        field = body.split('"')[-2]
        for number in NOT_NUMBERS:
            response = lenient.request(method, url, content=body.format(number), headers=headers)
            assert response.status_code == 422, (url, number, response.text)
            assert field in str(response.json()["detail"]), (url, number, response.text)


def test_each_refusal_says_what_was_sent_wrong(lenient) -> None:
    """The words of a 4xx fit what was sent: a missing text is missing, an impossible day is
    no day, a filter value no ticket can have is refused, and no body at all starts a chat."""
    started = lenient.post("/api/conversations")
    assert started.status_code == 201, started.text
    customer = {"Authorization": f"Bearer {started.json()['token']}"}
    empty = lenient.post(
        f"/api/conversations/{started.json()['id']}/messages",
        json={"text": None},
        headers=customer,
    )
    assert empty.status_code == 422
    assert "text is required" in str(empty.json()["detail"])
    day = lenient.get("/api/metrics?since=2026-02-30", headers=ADMIN_HEADERS)
    assert (day.status_code, day.json()["detail"]) == (
        422,
        "since '2026-02-30' is no day of the calendar",
    )
    for query in ("status=zzz", "priority=soon"):
        listed = lenient.get(f"/api/tickets?{query}", headers=ADMIN_HEADERS)
        assert listed.status_code == 422, (query, listed.text)
        assert query.split("=")[0] in str(listed.json()["detail"])
    assert lenient.get("/api/tickets?status=new", headers=ADMIN_HEADERS).json() == []
    missing = lenient.get("/api/kb/articles/nope", headers=ADMIN_HEADERS)  # editors: any status
    assert missing.json()["detail"] == "no article with id 'nope'"
    assert lenient.get("/api/kb/articles/nope").json()["detail"] == (
        "no published article with id 'nope'"
    )
