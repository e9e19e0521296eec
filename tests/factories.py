"""Factories and fakes: the agents, articles and conversations tests start from, and fakes for
fast tests. Fakes stand in only for speed; every behaviour they stand in for is also tested with
the real thing (tests marked `model` or `rasa`)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import numpy as np

from bot.client import BotUnavailable


class HashingEmbedder:
    """Bag of words hashed into a vector: texts sharing words come out similar. Fast, and
    deterministic, so unit tests need no model."""

    name = "hashing-test"
    dim = 384

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


def article(article_id: str = "freeze-card", **overrides: Any) -> dict[str, Any]:
    base = {
        "id": article_id,
        "title": "Freeze your card",
        "body": "Open **Cards → Freeze card**.\n\nUnfreeze it the same way.",
        "questions": ["how do i freeze my card", "lock my card", "pause my debit card"],
        "skill": "cards",
        "tags": ["card"],
    }
    return {**base, **overrides}


def jsonl(*articles: dict[str, Any]) -> str:
    return "\n".join(json.dumps(a) for a in articles) + "\n"


class ScriptedBot:
    """Answers with canned Rasa REST replies, and records what it was sent."""

    def __init__(self, *replies: list[dict[str, Any]]) -> None:
        self.replies = list(replies)
        self.sent: list[tuple[str, str]] = []
        self.told: list[dict[str, Any]] = []  # the metadata sent with each message
        self.up = True

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        self.sent.append((sender_id, text))
        self.told.append(metadata)
        if not self.up:
            raise BotUnavailable("scripted outage")
        return self.replies.pop(0) if self.replies else []

    async def is_up(self) -> bool:
        return self.up


HANDOFF = [
    {"custom": {"text": "Connecting you."}},
    {"custom": {"handoff": {"reason": "customer_request", "skill": "cards"}}},
]


def make_agent(
    client, admin, name="Priya Raman", skills=None, *, online=True, max_concurrent=3, languages=None
):
    """An agent made through the API (online unless told), with its token's headers; it speaks
    English unless given `languages`."""
    body = {"name": name, "skills": skills or {"cards": 3}, "max_concurrent": max_concurrent}
    if languages is not None:
        body["languages"] = languages
    created = client.post("/api/agents", json=body, headers=admin)
    assert created.status_code == 201, created.text
    agent = created.json()
    agent["headers"] = {"Authorization": f"Bearer {agent['token']}"}
    if online:
        status = client.put(
            f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent["headers"]
        )
        assert status.status_code == 200
    return agent


def waiting_chat(client, bot: ScriptedBot, *, name="Ana", priority_text="I want a person"):
    """A conversation the scripted bot hands over to the cards queue; its id and headers."""
    bot.replies.append(list(HANDOFF))
    started = client.post(
        "/api/conversations", json={"customer": {"name": name, "email": "ana@example.com"}}
    ).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    turn = client.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": priority_text},
        headers=headers,
    )
    assert turn.status_code == 200
    return started["id"], headers
