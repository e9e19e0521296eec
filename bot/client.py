"""Talking to the Rasa server over its REST channel.

`RasaClient` and `NoBot` are what `conversations.service.Bot` asks for; the app wires one in.
"""

from __future__ import annotations

from typing import Any

import httpx


class BotUnavailable(ConnectionError):
    """Rasa did not answer (down, timed out, or answered with an error).

    A `ConnectionError`, which is what the conversation service expects of any bot."""


class RasaClient:
    def __init__(self, base_url: str, *, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s)

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        try:
            response = await self._client.post(
                "/webhooks/rest/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata},
            )
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BotUnavailable(f"Rasa at {self.base_url} did not answer: {exc!r}") from exc
        if not isinstance(replies, list):
            raise BotUnavailable(f"Rasa at {self.base_url} answered with {type(replies).__name__}")
        return [reply for reply in replies if isinstance(reply, dict)]

    async def is_up(self) -> bool:
        try:
            response = await self._client.get("/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._client.aclose()


class NoBot:
    """Used when no Rasa URL is configured: every chat goes to a person."""

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        raise BotUnavailable("no bot is configured")

    async def is_up(self) -> bool:
        return False

    async def aclose(self) -> None:
        return None
