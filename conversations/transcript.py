"""A conversation as plain text, for the customer's "email me the transcript"."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from conversations.attempts import CHOOSE_ARTICLE
from core.words import say

# Who said each message, as the transcript's reader sees it (keys of email.po).
SENDERS = {
    "customer": "email.transcript_you",
    "bot": "email.transcript_bot",
    "system": "email.transcript_system",
}


class TranscriptError(Exception):
    """Root of the reasons a transcript cannot be sent."""


class NoEmailAddress(TranscriptError):
    """Neither the request nor the conversation gives an address to send to."""


class EmailOff(TranscriptError):
    """This server has no SMTP server configured, so it sends no email."""


class OtherAddress(TranscriptError):
    """The transcript goes only to the conversation's own address: another one was given, or
    someone other than the customer tried to give it its first."""


class TranscriptsUsedUp(TranscriptError):
    """The conversation's transcript was emailed as many times as one may be."""


class Mailer(Protocol):
    """The outbox, seen from here; None back means this server sends no email."""

    def enqueue_email(self, *, to: str, subject: str, body: str, topic: str) -> int | None: ...


def first_customer_question(messages: list[dict[str, Any]]) -> str | None:
    """The question the customer came with: what they typed that the bot first answered with an
    article or a list of articles (a "hi" or a "hello?" before it is no question), else what
    they first typed. A button's payload is not typed text; a pick from a list keeps the
    question it was a pick for."""
    typed = first = None
    for m in messages:
        if m["sender"] == "customer":
            if not m["text"].startswith("/"):
                typed = m["text"]
                first = first or typed
        elif typed and (
            m.get("article_id") or any(_offers_article(b) for b in m.get("buttons") or [])
        ):
            return typed
    return first


def _offers_article(button: dict[str, Any]) -> bool:
    return str(button.get("payload", "")).startswith(CHOOSE_ARTICLE)


# The Markdown the chat shows (web/static/js/shared/markdown.js: **bold**, [links](https://…)
# and lists, nothing else), written as a plain-text email reads it: bold without its stars, a
# link as its words and its address; lists are readable as typed. By hand, as a Markdown
# library would read more than the chat does (a customer's "*" or "_" is no emphasis there).
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def as_plain(text: str) -> str:
    """`text` (Markdown as the chat shows it) as plain text."""
    return _LINK.sub(r"\1 (\2)", _BOLD.sub(r"\1", text))


def as_text(
    messages: list[dict[str, Any]],
    *,
    agent_name: str | None,
    language: str | None = None,
    zone: str = "UTC",
) -> str:
    """One line per message, oldest first, each with its time in the time zone `zone` (named:
    "2026-12-02 12:29 JST") and who said it, in the conversation's `language` (the messages
    themselves as they were written; the bot's and the team's Markdown as plain text)."""
    where = ZoneInfo(zone)
    lines = [say(language, "email.transcript_intro"), ""]
    for message in messages:
        key = SENDERS.get(message["sender"])
        who = (
            say(language, key)
            if key
            else message.get("author") or agent_name or say(language, "email.transcript_agent")
        )
        at = datetime.fromisoformat(message["created_at"]).astimezone(where)
        stamp = at.strftime("%Y-%m-%d %H:%M %Z")
        text = message["text"] if message["sender"] == "customer" else as_plain(message["text"])
        lines.append(f"[{stamp}] {who}: {text}")
        if buttons := message.get("buttons"):  # what could be pressed, on one line
            lines.append("    " + "  ".join(f"( {button['title']} )" for button in buttons))
    lines.append("")
    return "\n".join(lines)
