"""Who the customer is across conversations: a visitor id the widget keeps in the browser, and
a user id the company's own site vouches for.

The site signs the id as the big helpdesks have it done: `user_hash` is the hex HMAC-SHA256 of
`user_id` keyed with a secret only the company and Cascade hold, so a visitor cannot claim to be
someone else by editing the page. An id without a good signature is dropped, never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

log = logging.getLogger(__name__)


def sign(user_id: str, secret: str) -> str:
    """What the company's site puts in `data-user-hash` (the same on their server)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verified_user_id(user_id: str | None, user_hash: str | None, secret: str | None) -> str | None:
    """`user_id` when `user_hash` signs it with `secret`; otherwise None (and a log line)."""
    if user_id is None:
        return None
    if secret is None:
        log.warning("ignoring a user id: no identity secret is set (CASCADE_IDENTITY_SECRET)")
        return None
    if not user_hash:
        log.warning("ignoring a user id sent without its signature (user_hash)")
        return None
    if not hmac.compare_digest(sign(user_id, secret).encode(), user_hash.lower().encode()):
        log.warning("ignoring a user id whose signature does not match")
        return None
    return user_id
