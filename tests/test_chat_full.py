"""A chat takes at most MAX_CUSTOMER_MESSAGES of the customer's messages (lowered here, the
same code): the next gets 413 saying to start a new chat, nothing of it is stored, a retry of
one already taken is still answered, and a new chat takes messages again."""

from __future__ import annotations

import pytest

from conversations import customer_turn
from tests.factories import ScriptedBot


@pytest.fixture
def three(monkeypatch) -> int:
    monkeypatch.setattr(customer_turn, "MAX_CUSTOMER_MESSAGES", 3)
    return 3


def test_a_full_chat_refuses_the_next_message_and_a_new_chat_takes_it(
    client, admin, bot: ScriptedBot, three: int
) -> None:
    started = client.post("/api/conversations", json={}).json()
    cid, headers = started["id"], {"Authorization": f"Bearer {started['token']}"}

    def send(text: str, client_id: str):
        return client.post(
            f"/api/conversations/{cid}/messages",
            json={"text": text, "client_id": client_id},
            headers=headers,
        )

    for n in range(three):
        bot.replies.append([{"text": f"reply {n}"}])
        assert send(f"message {n}", f"c{n}").status_code == 200
    refused = send("one more", "c-more")
    assert refused.status_code == 413
    assert "start a new chat" in refused.json()["detail"]
    view = client.get(f"/api/conversations/{cid}", headers=admin).json()
    said = [m["text"] for m in view["messages"] if m["sender"] == "customer"]
    assert said == ["message 0", "message 1", "message 2"]
    # A retry of a message the chat took is answered as before, not refused.
    again = send("message 2", "c2")
    assert again.status_code == 200 and again.json()["messages"][0]["text"] == "message 2"

    fresh = client.post("/api/conversations", json={}).json()
    bot.replies.append([{"text": "hello again"}])
    taken = client.post(
        f"/api/conversations/{fresh['id']}/messages",
        json={"text": "one more"},
        headers={"Authorization": f"Bearer {fresh['token']}"},
    )
    assert taken.status_code == 200
