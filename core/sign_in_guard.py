"""Failed sign-ins limited, and the browsers an account signed in from before.

Failed sign-ins are counted in a moving window (the limits library: in memory, per process and
forgotten on restart; or in the rate limits' Redis, shared by the app's replicas): per email
address from one client address (`per_email`), per email address from all of them together
(`per_email_anywhere`, far higher), and per client address whatever the email. So someone
guessing from their own address cannot lock a colleague out of signing in from theirs. A guess
spread over many addresses would still hold the account up for everyone, its owner too; so a
browser that signed in to the account before is known by it (OWASP's "device cookie"): each
sign-in answers with a `browser` token, the page keeps it and sends it with the next sign-in,
and that browser's failures are counted on their own (at `per_email`), not against the account
or the client address. Nobody else's failures hold it up. The tokens are random, kept only as
hashes (as bearer tokens are), speak for nothing but this, end 90 days after their last
sign-in, and all end with a password reset, a deactivation or the account's removal.

Written here rather than taken from a library: the limits library counts, and no well-kept
library keeps device trust for a password form. Counts out of reach count nothing (logged), as
the rate limits do.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import secrets
import time
from datetime import timedelta
from typing import Any

from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.storage import Storage as LimitsStorage
from limits.strategies import MovingWindowRateLimiter

from core.clock import Clock, iso
from core.db import Storage
from core.settings import Settings

log = logging.getLogger(__name__)

BROWSER_DAYS = 90  # a browser not used to sign in for this long is a stranger again
BROWSERS_PER_ACCOUNT = 20  # the most recently used are kept: a shared machine's cleared browsers


class TooManyAttempts(Exception):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class SignInGuard:
    """The counts of failed sign-ins. `browser` is a known browser's id (KnownBrowsers), whose
    failures count only against itself."""

    def __init__(
        self,
        *,
        per_email: str,
        per_client: str,
        per_email_anywhere: str = "100 per 15 minutes",
        storage: LimitsStorage | None = None,
    ) -> None:
        self.limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self.per_email = parse(per_email)
        self.per_email_anywhere = parse(per_email_anywhere)
        self.per_client = parse(per_client)

    @classmethod
    def from_settings(cls, settings: Settings, storage: LimitsStorage | None) -> SignInGuard:
        return cls(
            per_email=settings.sign_in_limit,
            per_email_anywhere=settings.sign_in_email_limit,
            per_client=settings.sign_in_client_limit,
            storage=storage,
        )

    def _keys(self, email: str, client: str, browser: str | None) -> list[tuple[Any, str]]:
        if browser:
            return [(self.per_email, f"browser:{browser}")]
        return [
            (self.per_email, f"email:{email}|client:{client}"),
            (self.per_email_anywhere, f"email:{email}"),
            (self.per_client, f"client:{client}"),
        ]

    def check(self, email: str, client: str, browser: str | None = None) -> None:
        for item, key in self._keys(email, client, browser):
            try:
                if self.limiter.test(item, "sign-in", key):
                    continue
                reset_at, _ = self.limiter.get_window_stats(item, "sign-in", key)
            except StorageError:
                log.warning("sign-in counts unavailable; not limited", exc_info=True)
                return
            raise TooManyAttempts(max(1, math.ceil(reset_at - time.time())))

    def failed(self, email: str, client: str, browser: str | None = None) -> None:
        with contextlib.suppress(StorageError):
            for item, key in self._keys(email, client, browser):
                self.limiter.hit(item, "sign-in", key)

    def succeeded(self, email: str, client: str, browser: str | None = None) -> None:
        item, key = self._keys(email, client, browser)[0]
        with contextlib.suppress(StorageError):
            self.limiter.clear(item, "sign-in", key)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KnownBrowsers:
    """The browsers each account signed in from (table `known_browsers`, core's migration m004):
    a token's hash, the account and when it last signed in."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock

    def of(self, token: str | None, account_id: str) -> str | None:
        """The browser's id when `token` is one this account signed in with lately; else None
        (no token, a stranger's, another account's, one that ended: all a stranger)."""
        if not token or len(token) > 100:
            return None
        since = iso(self.clock.now() - timedelta(days=BROWSER_DAYS))
        row = self.storage.db.execute(
            "select id from known_browsers where id = ? and account_id = ? and last_used_at > ?",
            [_hash(token), account_id, since],
        ).fetchone()
        return row[0] if row else None

    def signed_in(self, account_id: str, browser: str | None) -> str:
        """A sign-in that succeeded: the token the browser keeps for the next one (a new one
        each time, so a token read from a browser's storage serves only until it signs in)."""
        token = secrets.token_urlsafe(24)
        now = iso(self.clock.now())
        with self.storage.write() as db:
            if browser:
                db.execute("delete from known_browsers where id = ?", [browser])
            db.table("known_browsers").insert(
                {"id": _hash(token), "account_id": account_id, "last_used_at": now}
            )
            db.execute(
                "delete from known_browsers where account_id = ? and id not in (select id from"
                " known_browsers where account_id = ? order by last_used_at desc limit ?)",
                [account_id, account_id, BROWSERS_PER_ACCOUNT],
            )
        return token

    def forget(self, account_id: str) -> None:
        """A reset, a deactivation or a removal: every browser of the account is a stranger."""
        with self.storage.write() as db:
            db.execute("delete from known_browsers where account_id = ?", [account_id])
