"""Talking to the Rasa server over its REST channel.

`RasaClient` and `NoBot` are what `conversations.service.Bot` asks for; the app wires one in.
A circuit breaker (bot/breaker.py) stands in front of Rasa: after repeated failures the client
fails at once, so the chat is handed over without waiting for a timeout, until Rasa answers again.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.breaker import Breaker, State

# Rasa's root URL answers at once when the server is up: asked by /health and by the probe.
STATUS_TIMEOUT_S = 2.0


class BotUnavailable(ConnectionError):
    """Rasa did not answer (down, timed out, or answered with an error).

    A `ConnectionError`, which is what the conversation service expects of any bot."""


class RasaClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        failures_to_open: int = 3,
        probe_interval_s: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s)
        self.breaker = Breaker(
            failures_to_open=failures_to_open,
            probe_interval_s=probe_interval_s,
            probe=self._answers,
            name=f"Rasa at {self.base_url}",
        )

    @property
    def state(self) -> str:
        """The breaker's state: "closed" (calls go to Rasa), "open" or "half-open" (they fail
        at once while the probe waits or asks)."""
        return self.breaker.state.value

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        if not self.breaker.allows():
            raise BotUnavailable(
                f"Rasa at {self.base_url} is taken for down (circuit {self.state}) after "
                f"{self.breaker.failures} failures in a row"
            )
        try:
            response = await self._client.post(
                "/webhooks/rest/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata},
            )
        except httpx.TransportError as exc:  # no connection, a timeout, a broken answer
            self.breaker.failed()
            raise BotUnavailable(f"Rasa at {self.base_url} did not answer: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise BotUnavailable(f"Rasa at {self.base_url} did not answer: {exc!r}") from exc
        if response.is_server_error:
            self.breaker.failed()
        else:
            self.breaker.succeeded()
        try:
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BotUnavailable(f"Rasa at {self.base_url} did not answer: {exc!r}") from exc
        if not isinstance(replies, list):
            raise BotUnavailable(f"Rasa at {self.base_url} answered with {type(replies).__name__}")
        return [reply for reply in replies if isinstance(reply, dict)]

    async def is_up(self) -> bool:
        """False while the breaker is open; otherwise whether Rasa answers now."""
        if self.breaker.state is not State.CLOSED:
            return False
        return await self._answers()

    async def _answers(self) -> bool:
        try:
            response = await self._client.get("/", timeout=STATUS_TIMEOUT_S)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self.breaker.aclose()
        await self._client.aclose()


class NoBot:
    """Used when no Rasa URL is configured: every chat goes to a person."""

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        raise BotUnavailable("no bot is configured")

    async def is_up(self) -> bool:
        return False

    async def aclose(self) -> None:
        return None
