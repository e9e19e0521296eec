"""Talking to the Rasa server over its REST channel.

`RasaClient` and `NoBot` are what `conversations.service.Bot` asks for; the app wires one in.
A circuit breaker (bot/breaker.py) stands in front of Rasa: after repeated failures the client
fails at once, so the chat is handed over without waiting for a timeout, until Rasa answers again.

Several Rasa processes sharing a tracker store and a lock store (docs/production/scaling-rasa.md)
can stand behind one client: each has its own breaker, and turns go to them in turn, passing over
one taken for down, and one that refuses the connection (the message never reached it).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx

from bot.breaker import Breaker, State

# Rasa's root URL answers at once when the server is up: asked by /health and by the probe.
STATUS_TIMEOUT_S = 2.0


class BotUnavailable(ConnectionError):
    """Rasa did not answer (down, timed out, or answered with an error).

    A `ConnectionError`, which is what the conversation service expects of any bot."""


class NotReached(BotUnavailable, ConnectionRefusedError):
    """The message never reached Rasa: the connection was refused, or Rasa is taken for down
    and was not asked. Another Rasa process may take it, and a bot still starting may be asked
    again (a `ConnectionRefusedError`, as `conversations.bot_turn.Bot` expects)."""


def rasa_urls(configured: str) -> list[str]:
    """The Rasa servers in CASCADE_RASA_URL: one URL, or several separated by commas."""
    return [url.strip().rstrip("/") for url in configured.split(",") if url.strip()]


class RasaServer:
    """One Rasa process and its breaker."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        failures_to_open: int,
        probe_interval_s: float,
    ) -> None:
        self.url = url
        self._client = client
        self.breaker = Breaker(
            failures_to_open=failures_to_open,
            probe_interval_s=probe_interval_s,
            probe=self.answers,
            name=f"Rasa at {url}",
        )

    def taken_for_down(self) -> NotReached:
        return NotReached(
            f"Rasa at {self.url} is taken for down (circuit {self.breaker.state.value}) after "
            f"{self.breaker.failures} failures in a row"
        )

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        try:
            response = await self._client.post(
                f"{self.url}/webhooks/rest/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata},
            )
        except httpx.ConnectError as exc:  # refused: nothing was sent
            self.breaker.failed()
            raise NotReached(f"Rasa at {self.url} did not answer: {exc!r}") from exc
        except httpx.TransportError as exc:  # a timeout, a broken answer
            self.breaker.failed()
            raise BotUnavailable(f"Rasa at {self.url} did not answer: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise BotUnavailable(f"Rasa at {self.url} did not answer: {exc!r}") from exc
        if response.is_server_error:
            self.breaker.failed()
        else:
            self.breaker.succeeded()
        try:
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BotUnavailable(f"Rasa at {self.url} did not answer: {exc!r}") from exc
        if not isinstance(replies, list):
            raise BotUnavailable(f"Rasa at {self.url} answered with {type(replies).__name__}")
        return [reply for reply in replies if isinstance(reply, dict)]

    async def is_up(self) -> bool:
        """False while the breaker is open; otherwise whether Rasa answers now."""
        if self.breaker.state is not State.CLOSED:
            return False
        return await self.answers()

    async def answers(self) -> bool:
        try:
            response = await self._client.get(f"{self.url}/", timeout=STATUS_TIMEOUT_S)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


class RasaClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        failures_to_open: int = 3,
        probe_interval_s: float = 5.0,
    ) -> None:
        urls = rasa_urls(base_url)
        if not urls:
            raise ValueError("no Rasa URL given")
        self.base_url = ", ".join(urls)
        self._client = httpx.AsyncClient(timeout=timeout_s)
        self.servers = [
            RasaServer(
                url,
                self._client,
                failures_to_open=failures_to_open,
                probe_interval_s=probe_interval_s,
            )
            for url in urls
        ]
        self._turns = itertools.cycle(range(len(self.servers)))

    @property
    def state(self) -> str:
        """The breaker's state: "closed" (calls go to Rasa), "open" or "half-open" (they fail
        at once while the probe waits or asks). With several Rasa processes, the best of theirs:
        "closed" while any one takes calls."""
        states = {server.breaker.state for server in self.servers}
        for state in (State.CLOSED, State.HALF_OPEN, State.OPEN):
            if state in states:
                return state.value
        raise AssertionError("a breaker in no state")  # pragma: no cover

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        """To the next Rasa process in turn; one taken for down is passed over, and so is one
        that refuses the connection (the next one in turn gets the message)."""
        first = next(self._turns)
        in_turn = self.servers[first:] + self.servers[:first]
        open_ = [server for server in in_turn if server.breaker.allows()]
        if not open_:
            if len(self.servers) == 1:
                raise self.servers[0].taken_for_down()
            raise NotReached(f"every Rasa server ({self.base_url}) is taken for down")
        for server in open_[:-1]:
            try:
                return await server.send(sender_id, text, metadata=metadata)
            except NotReached:
                continue
        return await open_[-1].send(sender_id, text, metadata=metadata)

    async def is_up(self) -> bool:
        """Whether any Rasa process takes calls and answers now."""
        if len(self.servers) == 1:
            return await self.servers[0].is_up()
        return any(await asyncio.gather(*(server.is_up() for server in self.servers)))

    async def aclose(self) -> None:
        for server in self.servers:
            await server.breaker.aclose()
        await self._client.aclose()


class NoBot:
    """Used when no Rasa URL is configured: every chat goes to a person."""

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        raise BotUnavailable("no bot is configured")

    async def is_up(self) -> bool:
        return False

    async def aclose(self) -> None:
        return None
