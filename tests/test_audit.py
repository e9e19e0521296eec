"""The audit log of staff actions: a row for every change a staff token makes and for every read
of a conversation's history by staff, with who and what, never the body; none for customers;
`GET /api/audit` for the admin only, filtered and paged; old rows pruned."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from cascade.app import create_app
from core.settings import Settings
from tests.factories import HashingEmbedder, make_agent, waiting_chat
from tests.helpers import ADMIN


def entries(client, admin, **filters) -> list[dict]:
    found = client.get("/api/audit", params=filters, headers=admin)
    assert found.status_code == 200, found.text
    return found.json()["entries"]


def what(entry: dict) -> tuple:
    return (entry["role"], entry["subject"], entry["method"], entry["route"], entry["status"])


def test_a_change_and_a_transcript_read_are_recorded_with_who_and_what(
    client, bot, admin, clock
) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 3})
    chat, customer = waiting_chat(client, bot)
    client.post(f"/api/conversations/{chat}/accept", headers=priya["headers"])
    before = {e["id"] for e in entries(client, admin)}

    clock.advance(minutes=1)
    noted = client.post(
        f"/api/conversations/{chat}/notes",
        json={"text": "Customer's card ends 4421"},
        headers=priya["headers"],
    )
    assert noted.status_code == 201
    boss = client.post(
        "/api/tokens", json={"role": "supervisor", "subject": "Sam Okafor"}, headers=admin
    )
    boss_headers = {"Authorization": f"Bearer {boss.json()['token']}"}
    assert client.get(f"/api/conversations/{chat}", headers=boss_headers).status_code == 200

    new = [e for e in entries(client, admin) if e["id"] not in before]
    assert [what(e) for e in new] == [
        ("supervisor", "Sam Okafor", "GET", "/api/conversations/{conversation_id}", 200),
        ("admin", "admin", "POST", "/api/tokens", 201),
        ("agent", priya["id"], "POST", "/api/conversations/{conversation_id}/notes", 201),
    ]
    assert new[2]["targets"] == {"conversation_id": chat}
    assert new[2]["at"] == "2026-01-05T09:01:00.000+00:00"
    # What was written is not in the log: no note text, no token, no name from a body.
    logged = json.dumps(entries(client, admin))
    assert "4421" not in logged
    assert boss.json()["token"] not in logged
    # The earlier accept was recorded too, as the agent's change of that chat.
    assert ("agent", priya["id"], "POST", "/api/conversations/{conversation_id}/accept", 200) in [
        what(e) for e in entries(client, admin, target=chat)
    ]


def test_refused_attempts_are_recorded_and_customers_never(client, bot, admin) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 3})
    chat, customer = waiting_chat(client, bot)  # the customer starts, writes, reads
    client.get(f"/api/conversations/{chat}", headers=customer)
    client.post(f"/api/conversations/{chat}/messages", json={"text": "hello?"}, headers=customer)
    client.post("/api/conversations/x/notes", json={"text": "no token"})  # 401: nobody known
    assert entries(client, admin, target=chat) == []

    tom = make_agent(client, admin, "Tom Whitfield", {"cards": 1})
    assert client.get(f"/api/conversations/{chat}", headers=tom["headers"]).status_code == 403
    refused = entries(client, admin, who=tom["id"], target=chat)
    assert [what(e) for e in refused] == [
        ("agent", tom["id"], "GET", "/api/conversations/{conversation_id}", 403)
    ]
    # The agent's own desk, which the console polls, is their work and not logged.
    client.post(f"/api/conversations/{chat}/accept", headers=priya["headers"])
    for desk in ("chats", "offers"):
        client.get(f"/api/agents/{priya['id']}/{desk}", headers=priya["headers"])
    assert entries(client, admin, method="GET", who=priya["id"]) == []
    for desk in ("chats", "offers"):
        client.get(f"/api/agents/{priya['id']}/{desk}", headers=admin)
    assert [what(e) for e in entries(client, admin, method="GET", target=priya["id"])] == [
        ("admin", "admin", "GET", "/api/agents/{agent_id}/offers", 200),
        ("admin", "admin", "GET", "/api/agents/{agent_id}/chats", 200),
    ]


def test_only_the_admin_reads_the_audit_log(client, admin) -> None:
    agent = make_agent(client, admin, "Priya Raman")
    boss = client.post("/api/tokens", json={"role": "supervisor", "subject": "Sam"}, headers=admin)
    customer = client.post("/api/conversations", json={}).json()
    for headers in (
        agent["headers"],
        {"Authorization": f"Bearer {boss.json()['token']}"},
        {"Authorization": f"Bearer {customer['token']}"},
    ):
        refused = client.get("/api/audit", headers=headers)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "this needs the admin role"
    assert client.get("/api/audit").status_code == 401


def test_filters_and_pages_newest_first(client, admin, clock) -> None:
    for name in ("Ana", "Ben", "Cleo", "Dev", "Eli"):
        clock.advance(hours=1)
        client.post("/api/agents", json={"name": name, "skills": {"cards": 1}}, headers=admin)

    first = client.get("/api/audit", params={"route": "/api/agents", "limit": 2}, headers=admin)
    page = first.json()
    assert [e["at"][11:16] for e in page["entries"]] == ["14:00", "13:00"]
    second = entries(client, admin, route="/api/agents", limit=2, before=page["next_before"])
    assert [e["at"][11:16] for e in second] == ["12:00", "11:00"]
    last = client.get(
        "/api/audit",
        params={"route": "/api/agents", "limit": 2, "before": second[-1]["id"]},
        headers=admin,
    ).json()
    assert [e["at"][11:16] for e in last["entries"]] == ["10:00"]
    assert last["next_before"] is None

    since = entries(client, admin, since="2026-01-05T12:30:00Z")
    assert [e["at"][11:16] for e in since] == ["14:00", "13:00"]
    assert entries(client, admin, since="2026-01-05", until="2026-01-05T10:30") == [
        entries(client, admin)[-1]
    ]
    assert entries(client, admin, who="nobody") == []
    assert client.get("/api/audit", params={"since": "yesterday"}, headers=admin).status_code == 422
    for out_of_range in (
        {"since": "0001-01-01T00:00:00+01:00"},
        {"until": "9999-12-31T23:59:59-01:00"},
        {"before": 2**63},
    ):
        refused = client.get("/api/audit", params=out_of_range, headers=admin)
        assert refused.status_code == 422, (out_of_range, refused.text)


def test_rows_older_than_the_retention_are_pruned(tmp_path, bot, clock) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="", audit_keep_days=30
    )
    admin = {"Authorization": f"Bearer {ADMIN}"}
    app = create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)
    with TestClient(app) as client:
        make_agent(client, admin, "Old Hand", online=False)
        assert len(entries(client, admin)) == 1
        clock.advance(days=31)
        make_agent(client, admin, "New Hand", online=False)
        kept = entries(client, admin)
        assert [e["at"][:10] for e in kept] == ["2026-02-05"]
