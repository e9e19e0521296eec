"""Agents leaving: removed (DELETE /api/agents/{id}) or their account deactivated, their tokens
end at once, their offers and chats go back to the queue, and their past work keeps their name.
Agents' accounts (email and password) and tokens with an expiry."""

from __future__ import annotations

import threading

import httpx
import pytest
import socketio
import uvicorn

from cascade.app import create_app, with_realtime
from core.settings import Settings
from tests.factories import HashingEmbedder, ScriptedBot, make_agent, waiting_chat
from tests.helpers import ADMIN, ADMIN_HEADERS, free_port, wait_until

TRANSFERRED = "You're being transferred to a colleague who can help with this."


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def offers(client, agent) -> set[str]:
    response = client.get(f"/api/agents/{agent['id']}/offers", headers=agent["headers"])
    assert response.status_code == 200
    return {o["conversation_id"] for o in response.json()}


def go_online(client, agent) -> None:
    online = client.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent["headers"]
    )
    assert online.status_code == 200


def test_a_removed_agent_is_locked_out_at_once_and_their_chats_go_to_a_colleague(
    client, bot, admin
) -> None:
    priya = make_agent(client, admin, "Priya Raman", {"cards": 5})
    marcus = make_agent(client, admin, "Marcus Okafor", {"cards": 2}, online=False)
    done, _ = waiting_chat(client, bot, name="Ana")
    client.post(f"/api/conversations/{done}/accept", headers=priya["headers"]).raise_for_status()
    client.post(f"/api/conversations/{done}/resolve", headers=priya["headers"]).raise_for_status()
    held, held_headers = waiting_chat(client, bot, name="Ben")
    client.post(f"/api/conversations/{held}/accept", headers=priya["headers"]).raise_for_status()
    offered, _ = waiting_chat(client, bot, name="Cy")
    assert offers(client, priya) == {offered}
    go_online(client, marcus)
    assert offers(client, marcus) == set()  # Cy's chat is Priya's to answer

    assert client.delete(f"/api/agents/{priya['id']}", headers=marcus["headers"]).status_code == 403
    removed = client.delete(f"/api/agents/{priya['id']}", headers=admin)
    assert removed.status_code == 204

    assert client.get("/api/me", headers=priya["headers"]).status_code == 401
    assert (
        client.post(
            f"/api/conversations/{held}/messages",
            json={"text": "still here?"},
            headers=priya["headers"],
        ).status_code
        == 401
    )
    # What waited on Priya goes to Marcus: the offer, and the chat she had (Ben is told).
    assert offers(client, marcus) == {held, offered}
    ben = client.get(f"/api/conversations/{held}", headers=held_headers).json()
    assert ben["status"] == "queued"
    assert ben["messages"][-1]["text"].startswith(TRANSFERRED)
    # Her past work still names her.
    assert client.get(f"/api/conversations/{done}", headers=admin).json()["assigned_agent"] == {
        "id": priya["id"],
        "name": "Priya Raman",
    }
    # She is gone from the lists and cannot be brought online or removed again.
    assert [a["name"] for a in client.get("/api/agents", headers=admin).json()] == ["Marcus Okafor"]
    roster = client.get("/api/agents/roster", headers=marcus["headers"]).json()
    assert [a["name"] for a in roster] == ["Marcus Okafor"]
    assert client.get(f"/api/agents/{priya['id']}", headers=admin).status_code == 404
    assert (
        client.put(
            f"/api/agents/{priya['id']}/status", json={"status": "online"}, headers=admin
        ).status_code
        == 404
    )
    assert client.delete(f"/api/agents/{priya['id']}", headers=admin).status_code == 404


def test_an_agent_signs_in_with_a_password_and_leaves_when_their_account_is_deactivated(
    client, bot, admin
) -> None:
    made = client.post(
        "/api/agents",
        json={"name": "Priya Raman", "skills": {"cards": 5}, "email": "priya@example.com"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    priya = made.json()
    account = priya["account"]
    assert account["email"] == "priya@example.com" and account["agent_id"] == priya["id"]
    colleague = make_agent(client, admin, "Marcus Okafor", {"cards": 2})

    signed_in = client.post(
        "/api/auth/sign-in", json={"email": "priya@example.com", "password": account["password"]}
    )
    assert signed_in.status_code == 200, signed_in.text
    session = bearer(signed_in.json()["token"])
    me = client.get("/api/me", headers=session).json()
    assert me["roles"] == ["agent"] and me["agent"]["name"] == "Priya Raman"
    client.put(
        f"/api/agents/{priya['id']}/status", json={"status": "online"}, headers=session
    ).raise_for_status()
    chat, _ = waiting_chat(client, bot)
    client.post(f"/api/conversations/{chat}/accept", headers=session).raise_for_status()

    off = client.patch(f"/api/staff/{account['id']}", json={"active": False}, headers=admin)
    assert off.status_code == 200, off.text

    assert client.get("/api/me", headers=session).status_code == 401
    assert client.get("/api/me", headers=bearer(priya["token"])).status_code == 401
    assert client.get(f"/api/agents/{priya['id']}", headers=admin).json()["status"] == "offline"
    assert offers(client, colleague) == {chat}
    # An email already taken makes neither an agent nor an account.
    again = client.post(
        "/api/agents",
        json={"name": "Priya Two", "email": "PRIYA@example.com"},
        headers=admin,
    )
    assert again.status_code == 409
    assert "Priya Two" not in {a["name"] for a in client.get("/api/agents", headers=admin).json()}


def test_an_existing_agent_gets_an_account_and_tokens_that_expire(client, admin, clock) -> None:
    made = client.post(
        "/api/agents", json={"name": "Tom", "token_expires_in_days": 1}, headers=admin
    ).json()
    assert made["token_expires_at"] == "2026-01-06T09:00:00.000+00:00"
    assert made["account"] is None
    account = client.post(
        f"/api/agents/{made['id']}/account",
        json={"email": "tom@example.com", "password": "a long enough password"},
        headers=admin,
    )
    assert account.status_code == 201, account.text
    assert account.json()["password"] is None and account.json()["role"] == "agent"

    clock.advance(days=1)
    assert client.get("/api/me", headers=bearer(made["token"])).status_code == 401
    fresh = client.post(f"/api/agents/{made['id']}/tokens", json={}, headers=admin)
    assert fresh.status_code == 201 and fresh.json()["expires_at"] is None
    assert (
        client.get("/api/me", headers=bearer(fresh.json()["token"])).json()["agent"]["name"]
        == "Tom"
    )
    signed_in = client.post(
        "/api/auth/sign-in",
        json={"email": "tom@example.com", "password": "a long enough password"},
    )
    assert signed_in.json()["subject"] == made["id"]


def test_a_socket_opened_with_a_token_closes_when_the_agent_is_removed(tmp_path) -> None:
    """Over HTTP, as served: the token gets 401 and the socket the console opened with it is
    closed, so pushes stop at once too."""
    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="")
    app = create_app(settings, embedder=HashingEmbedder(), bot=ScriptedBot())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(with_realtime(app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: server.started, what="uvicorn serving")
        with httpx.Client(base_url=url, timeout=30) as http:
            agent = make_agent(http, ADMIN_HEADERS, "Priya Raman", online=False)
            console = socketio.Client(reconnection=False)
            console.connect(url, auth={"token": agent["token"]}, transports=["websocket"])
            wait_until(lambda: console.connected, what="the console's socket connected")

            assert (
                http.delete(f"/api/agents/{agent['id']}", headers=ADMIN_HEADERS).status_code == 204
            )
            wait_until(lambda: not console.connected, what="the socket closed by the server")
            assert http.get("/api/me", headers=agent["headers"]).status_code == 401
            refused = socketio.Client(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                refused.connect(url, auth={"token": agent["token"]}, transports=["websocket"])
    finally:
        server.should_exit = True
        thread.join(timeout=15)
