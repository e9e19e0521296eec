"""The action endpoint Rasa calls (`POST /webhook`) answers only calls carrying the action
secret, and its actions show only published articles, whatever the tracker names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from core.settings import Settings
from core.words import say
from tests.factories import HashingEmbedder, article, jsonl
from tests.helpers import ACTION_HEADERS, ACTION_SECRET, ADMIN

DRAFT_BODY = "Internal: fee waivers up to 50 EUR without approval."
ARCHIVED_BODY = "Old: call the branch to freeze your card."


def action_call(
    action: str,
    *,
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A call as Rasa makes it to the action endpoint."""
    return {
        "next_action": action,
        "sender_id": "c1",
        "tracker": {
            "sender_id": "c1",
            "slots": slots or {},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 1.0},
                "entities": entities or [],
                "metadata": {"language": "en", "agents_available": True},
            },
            "events": [],
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.21",
    }


def said(result: dict[str, Any]) -> list[dict[str, Any]]:
    """What the bot's turn says and signals (every action speaks in custom payloads)."""
    return [r["custom"] for r in result["responses"]]


GREET = action_call("action_greet", text="hello", intent="greet")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-the-secret"},
        {"Authorization": f"Bearer {ACTION_SECRET[:-1]}"},
        {"Authorization": ACTION_SECRET},
        {"Authorization": f"Basic {ACTION_SECRET}"},
        {"X-Cascade-Action-Secret": ACTION_SECRET},
    ],
    ids=["none", "wrong", "prefix", "no-scheme", "basic", "other-header"],
)
def test_an_action_call_without_the_secret_gets_401(client, headers) -> None:
    refused = client.post("/webhook", json=GREET, headers=headers)
    assert refused.status_code == 401
    assert "CASCADE_ACTION_SECRET" in refused.json()["detail"]
    assert "responses" not in refused.json()
    assert client.get("/actions", headers=headers).status_code == 401


def test_an_action_call_with_the_secret_runs_the_action(client) -> None:
    answered = client.post("/webhook", json=GREET, headers=ACTION_HEADERS)
    assert answered.status_code == 200
    assert said(answered.json()) == [{"text": say("en", "bot.greet")}]
    listed = client.get("/actions", headers=ACTION_HEADERS).json()
    assert {"name": "action_greet"} in listed


def test_with_no_secret_configured_every_action_call_is_refused(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="")
    with TestClient(create_app(settings, embedder=HashingEmbedder())) as app:
        for headers in ({}, ACTION_HEADERS, {"Authorization": "Bearer "}):
            assert app.post("/webhook", json=GREET, headers=headers).status_code == 401


@pytest.fixture
def kb(client, admin):
    """A published article, a draft and an archived one."""
    imported = client.post(
        "/api/kb/import",
        content=jsonl(
            article("freeze-card"),
            article("old-freeze", title="Freezing by phone", body=ARCHIVED_BODY),
        ),
        headers=admin,
    )
    assert imported.status_code == 200, imported.text
    assert client.post("/api/kb/articles/old-freeze/archive", headers=admin).status_code == 200
    draft = article("fee-waivers", title="Waiving fees", body=DRAFT_BODY, skill="billing")
    created = client.post("/api/kb/articles", json=draft, headers=admin)
    assert created.status_code == 201 and created.json()["status"] == "draft", created.text
    return client


def run(client, call: dict[str, Any]) -> list[dict[str, Any]]:
    result = client.post("/webhook", json=call, headers=ACTION_HEADERS)
    assert result.status_code == 200, result.text
    return said(result.json())


def choose(article_id: str, *, candidates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return action_call(
        "action_choose_article",
        text="/choose_article" + json.dumps({"article_id": article_id}),
        intent="choose_article",
        entities=[{"entity": "article_id", "value": article_id}],
        slots={"pending": "clarify", "candidates": candidates or [], "question": "fees?"},
    )


def shown(turn: list[dict[str, Any]]) -> list[str]:
    return [m["article_id"] for m in turn if m.get("article_id")]


def test_a_published_article_chosen_is_shown(kb) -> None:
    turn = run(kb, choose("freeze-card"))
    assert shown(turn) == ["freeze-card"]
    assert "Unfreeze it the same way." in turn[0]["text"]


@pytest.mark.parametrize("article_id", ["fee-waivers", "old-freeze"], ids=["draft", "archived"])
def test_a_forged_choice_of_an_unpublished_article_shows_nothing_of_it(kb, article_id) -> None:
    turn = run(kb, choose(article_id))
    text = json.dumps(turn)
    assert DRAFT_BODY not in text and ARCHIVED_BODY not in text
    assert shown(turn) == []
    assert [m["text"] for m in turn] == [say("en", "bot.article_missing")]
    assert turn[0]["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]


def test_an_unpublished_article_among_the_offered_choices_shows_nothing_of_it(kb) -> None:
    """A stale tracker: the choices were offered before the article went back to draft."""
    offered = [{"article_id": "fee-waivers", "title": "Waiving fees", "score": 0.7}]
    turn = run(kb, choose("fee-waivers", candidates=offered))
    assert DRAFT_BODY not in json.dumps(turn)
    assert [m["text"] for m in turn] == [say("en", "bot.article_missing")]


def test_an_unpublished_next_best_article_hands_over_instead(kb) -> None:
    """After a No, the next-best article the tracker holds is a draft: a person takes over."""
    call = action_call(
        "action_feedback",
        text="/deny",
        intent="deny",
        slots={
            "pending": "feedback",
            "shown": "freeze-card",
            "question": "can you waive my fee",
            "candidates": [{"article_id": "fee-waivers", "title": "Waiving fees", "score": 0.7}],
        },
    )
    turn = run(kb, call)
    assert DRAFT_BODY not in json.dumps(turn)
    assert shown(turn) == []
    handoff = next(m["handoff"] for m in turn if "handoff" in m)
    assert handoff["reason"] == "no_answer"
