"""Rasa's socketio channel protocol on the wire (rasa/core/channels/socketio.py in Rasa 3.6):
what a widget's `user_uttered` carries, and a stored message as the `bot_uttered` it is sent.
The channel itself is conversations/channels/rasa_socketio.py."""

from __future__ import annotations

import re
from typing import Any

from core.unstorable import blank

MAX_TEXT = 5000  # as POST /api/conversations/{id}/messages
MESSAGE_ID = re.compile(r"^[\x21-\x7e]{1,90}$")


class BadUtterance(ValueError):
    """A `user_uttered` payload Cascade cannot act on; the message says why."""


def bot_uttered(message: dict[str, Any], *, agent_name: str | None = None) -> dict[str, Any]:
    """A stored message in the shape Rasa's socketio output channel emits.

    One message is one event: Rasa's own channel splits text at blank lines, which would tear
    an article apart. rasa-webchat renders `{"text"}` or `{"text", "quick_replies"}` and drops
    `metadata` before rendering, so who wrote it travels there.
    """
    out: dict[str, Any] = {"text": message["text"]}
    if message.get("buttons"):
        out["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]}
            for b in message["buttons"]
        ]
    metadata: dict[str, Any] = {"sender": message["sender"], "message_id": message["id"]}
    if message["sender"] == "agent":
        metadata["agent_name"] = agent_name
    out["metadata"] = metadata
    return out


def parse_utterance(data: Any) -> tuple[str, dict[str, Any]]:
    """The text and the custom data (rasa-webchat's `customData`, Rasa's `metadata`)."""
    if not isinstance(data, dict):
        raise BadUtterance("user_uttered takes an object: {message, session_id}")
    text = data.get("message")
    if not isinstance(text, str) or blank(text):
        raise BadUtterance("message must be non-blank text")
    if "\x00" in text:  # as the REST route: neither database is asked to store one
        raise BadUtterance("message must not contain a NUL character (\\u0000)")
    if len(text) > MAX_TEXT:
        raise BadUtterance(f"message is longer than {MAX_TEXT} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadUtterance("message holds invalid Unicode (a lone surrogate)") from exc
    custom: dict[str, Any] = {}
    for key in ("metadata", "customData"):
        if isinstance(data.get(key), dict):
            custom.update(data[key])
    return text, custom


def client_id_of(data: dict[str, Any], custom: dict[str, Any]) -> str | None:
    """A widget that numbers its messages gets each stored once, however often it resends."""
    for found in (data.get("message_id"), custom.get("message_id")):
        if isinstance(found, str | int) and MESSAGE_ID.match(str(found)):
            return f"rasa:{found}"
    return None
