"""Links that open a customer's chat again from an email about their ticket.

The chat's own token lives in the customer's browser, and the server keeps only its hash; so an
email's link carries a token of its own for the conversation, as the chat's is: it lets its
holder read and write that one conversation, no more, and ends after `LINK_DAYS` (or with the
conversation, when it is purged or erased). The email waits in the outbox with a mark where the
link goes (`to`), and the link is made as the email is sent (`filled`): no usable token sits in
the outbox table or its backups. The link opens Cascade's chat page (`/chat#conversation=…&token=…`:
after `#`, so it never reaches a server's log), which keeps the chat for that browser and goes
on with it. With no public address set (`CASCADE_PUBLIC_URL`) emails carry no link.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode

from core.auth import Role, TokenStore
from core.clock import Clock, iso

LINK_DAYS = 30  # a ticket is usually answered and solved well within this
MARK = re.compile(r"\[\[chat-link:([A-Za-z0-9_-]{1,64})\]\]")


class ChatLinks(Protocol):
    def to(self, conversation_id: str) -> str | None:
        """Where the link to this conversation's chat goes in an email being queued (a mark
        that `filled` turns into the link), or None when links are not made."""
        ...

    def filled(self, body: str) -> str:
        """The email's text as it is sent: each mark a link with a new token."""
        ...


class NoLinks:
    def to(self, conversation_id: str) -> str | None:
        return None

    def filled(self, body: str) -> str:
        return MARK.sub("", body)  # queued while an address was set: no link to give now


class TokenLinks:
    def __init__(self, tokens: TokenStore, clock: Clock, public_url: str) -> None:
        self.tokens = tokens
        self.clock = clock
        self.base = public_url.rstrip("/")

    def to(self, conversation_id: str) -> str:
        return f"[[chat-link:{conversation_id}]]"

    def filled(self, body: str) -> str:
        return MARK.sub(lambda found: self._link(found[1]), body)

    def _link(self, conversation_id: str) -> str:
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
