"""Turning Rasa's REST replies into chat messages and signals.

Cascade's actions send what they show as `custom` payloads (Rasa's REST channel splits plain
text at blank lines, which would tear an article apart), plus signals the app acts on:
`{"handoff": {...}}`, `{"resolve": {...}}`, `{"feedback": {...}}`, `{"contact": {"email"}}` and
`{"ticket": {...}}` (the customer would rather be emailed), `{"courtesy": {"act"}}` (the
reply was to a thanks or a goodbye), `{"paused": {...}}` (a hand-over waits for the
customer's address) and `{"dropped": {}}` (that hand-over is off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SIGNALS = ("contact", "feedback", "resolve", "handoff", "ticket", "courtesy", "paused", "dropped")


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: list[dict[str, str]] | None = None
    article_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BotTurn:
    messages: list[BotMessage]
    signals: list[tuple[str, dict[str, Any]]]


def _buttons(raw: Any) -> list[dict[str, str]] | None:
    if not isinstance(raw, list):
        return None
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in raw
        if isinstance(b, dict) and b.get("payload")
    ]
    return buttons or None


def parse_replies(replies: list[dict[str, Any]]) -> BotTurn:
    messages: list[BotMessage] = []
    signals: list[tuple[str, dict[str, Any]]] = []
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict):
            for name in SIGNALS:
                if isinstance(custom.get(name), dict):
                    signals.append((name, custom[name]))
            if isinstance(custom.get("text"), str) and custom["text"].strip():
                messages.append(
                    BotMessage(
                        text=custom["text"],
                        buttons=_buttons(custom.get("buttons")),
                        article_id=custom.get("article_id"),
                        meta={k: custom[k] for k in ("score", "title", "skill") if k in custom},
                    )
                )
            continue
        text = reply.get("text")
        if isinstance(text, str) and text.strip():
            messages.append(BotMessage(text=text, buttons=_buttons(reply.get("buttons"))))
    return BotTurn(messages, signals)
