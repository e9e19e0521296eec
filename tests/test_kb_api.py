"""The knowledge base over HTTP, with the fast hashing embedder (the real model: test_kb_model.py)."""

from __future__ import annotations

import json

import pytest

from tests.factories import article, jsonl


def test_import_publishes_and_search_finds(client, admin) -> None:
    body = jsonl(
        article(),
        article(
            "open-account",
            title="Open an account",
            skill="accounts",
            questions=["how do i open an account", "new account please"],
        ),
    )
    response = client.post("/api/kb/import", content=body, headers=admin)
    assert response.status_code == 200
    assert response.json() == {"imported": 2}
    found = client.post(
        "/api/kb/search", json={"query": "how do i freeze my card", "limit": 2}
    ).json()
    assert found["results"][0]["article_id"] == "freeze-card"
    assert found["results"][0]["skill"] == "cards"
    assert found["decision"] in {"answer", "clarify", "escalate"}
    assert client.get("/api/kb/articles/freeze-card").json()["title"] == "Freeze your card"


def test_reimport_replaces_an_article(client, admin) -> None:
    client.post("/api/kb/import", content=jsonl(article()), headers=admin)
    client.post("/api/kb/import", content=jsonl(article(title="Lock your card")), headers=admin)
    assert client.get("/api/kb/articles/freeze-card").json()["title"] == "Lock your card"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (jsonl(article()) + "{not json\n", "line 2: not valid JSON"),
        (jsonl(article(), article(title="")), "line 2: title"),
        (jsonl(article(), article()), "line 2: id 'freeze-card' already used on line 1"),
        (jsonl(article(id="has space")), "line 1: id"),
        (jsonl(article(questions="one string")), "line 1: questions"),
        (jsonl(article(questions=["ok", " "])), "line 1: questions"),
        ('["a list"]\n', "line 1: expected a JSON object"),
        ("\n\n", "the file holds no articles"),
    ],
)
def test_bad_import_is_rejected_whole(client, admin, content: str, expected: str) -> None:
    response = client.post("/api/kb/import", content=content, headers=admin)
    assert response.status_code == 422
    assert expected in response.json()["detail"]
    assert client.post("/api/kb/search", json={"query": "freeze my card"}).json()["results"] == []


def test_import_needs_the_editor_role(client, admin) -> None:
    assert client.post("/api/kb/import", content=jsonl(article())).status_code == 401
    customer = client.post("/api/conversations", json={}).json()["token"]
    response = client.post(
        "/api/kb/import", content=jsonl(article()), headers={"Authorization": f"Bearer {customer}"}
    )
    assert response.status_code == 403
    assert "editor" in response.json()["detail"]
    wrong = client.post(
        "/api/kb/import", content=jsonl(article()), headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401


def test_import_rejects_binary(client, admin) -> None:
    response = client.post("/api/kb/import", content=b"\xff\xfe\x00bad", headers=admin)
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"query": ""},
        {"query": "   "},
        {"query": "x", "limit": 0},
        {"query": "x", "limit": 500},
        {"query": 5},
        [],
    ],
)
def test_bad_search_is_a_4xx(client, payload) -> None:
    response = client.post("/api/kb/search", json=payload)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_search_with_broken_json_is_a_4xx(client) -> None:
    response = client.post(
        "/api/kb/search", content="{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_unknown_article_is_404(client) -> None:
    response = client.get("/api/kb/articles/nope")
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_index_survives_restart_and_is_rebuilt_when_deleted(settings, bot, clock, admin) -> None:
    from fastapi.testclient import TestClient

    from cascade.app import create_app
    from tests.factories import HashingEmbedder

    def app():
        return TestClient(create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock))

    with app() as first:
        first.post("/api/kb/import", content=jsonl(article()), headers=admin)
    assert settings.index_path.exists()
    stamp = json.loads((settings.index_path.parent / "kb.faiss.json").read_text())["fingerprint"]
    settings.index_path.unlink()
    with app() as second:
        hit = second.post("/api/kb/search", json={"query": "freeze my card"}).json()["results"][0]
        assert hit["article_id"] == "freeze-card"
    assert settings.index_path.exists()
    assert (
        json.loads((settings.index_path.parent / "kb.faiss.json").read_text())["fingerprint"]
        == stamp
    )
