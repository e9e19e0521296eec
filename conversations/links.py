"""Links that open a customer's chat again from an email about their ticket.

The chat's own token lives in the customer's browser, and the server keeps only its hash; so an
email's link carries a token of its own for the conversation, as the chat's is: it lets its
holder read and write that one conversation, no more, and ends after `LINK_DAYS` (or with the
conversation, when it is purged or erased). The link opens Cascade's chat page
(`/chat#conversation=…&token=…`: after `#`, so it never reaches a server's log), which keeps
the chat for that browser and goes on with it. With no public address set
(`CASCADE_PUBLIC_URL`) emails carry no link.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode

from core.auth import Role, TokenStore
from core.clock import Clock, iso

LINK_DAYS = 30  # a ticket is usually answered and solved well within this


class ChatLinks(Protocol):
    def to(self, conversation_id: str) -> str | None:
        """A link that opens this conversation's chat, or None when links are not made."""
        ...


class NoLinks:
    def to(self, conversation_id: str) -> str | None:
        return None


class TokenLinks:
    def __init__(self, tokens: TokenStore, clock: Clock, public_url: str) -> None:
        self.tokens = tokens
        self.clock = clock
        self.base = public_url.rstrip("/")

    def to(self, conversation_id: str) -> str:
        now = self.clock.now()
        token = self.tokens.issue(
            Role.CUSTOMER,
            conversation_id,
            at=iso(now),
            expires_at=now + timedelta(days=LINK_DAYS),
        )
        return f"{self.base}/chat#" + urlencode({"conversation": conversation_id, "token": token})


def chat_links(tokens: TokenStore, clock: Clock, public_url: str | None) -> ChatLinks:
    return TokenLinks(tokens, clock, public_url) if public_url else NoLinks()
