"""Per-client rate limits, counted by the `limits` library: in this process's memory by default,
or in Redis (`CASCADE_RATE_LIMIT_STORAGE=redis://...`, or CASCADE_REDIS_URL when that is not
set) when several app processes share them; the sign-in limits count there too.

Each limit has a name (start, messages, search, transcripts, sockets) and a rule in limits'
notation ("30/minute;300/hour": every part must hold). The client is the request's address as
the server sees it (an IPv6 address's /64, `client_key`): behind a reverse proxy, uvicorn takes it from X-Forwarded-For only when the
proxy's address is trusted (its FORWARDED_ALLOW_IPS, loopback by default). A limit reached is a
429 with `Retry-After`, the seconds until the oldest counted request leaves the window.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.auth import STAFF_ROLES, Role
from core.deps import PrincipalDep, TokensDep, bearer, provided
from core.settings import Settings

log = logging.getLogger(__name__)

NAMES = ("start", "messages", "search", "transcripts", "sockets")
# Transcript emails to one recipient, from any client: whoever starts chats with a stranger's
# address cannot flood that inbox from many addresses (each client has `transcripts` too).
TRANSCRIPTS_TO_ONE_ADDRESS = "3/hour;10/day"
REDIS_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Refused:
    """A limit reached: which, its rule, and the seconds until a request is counted again."""

    name: str
    rule: str
    retry_after_s: int
    counted: str = "from one address"

    @property
    def detail(self) -> str:
        return (
            f"too many requests ({self.name}: at most {self.rule} {self.counted});"
            f" try again in {self.retry_after_s} s"
        )


class RateLimits:
    """The app's limits by name; a name without a rule is not limited."""

    def __init__(self, rules: Mapping[str, str] | None = None, *, storage: str = "memory://"):
        self.rules: dict[str, list[RateLimitItem]] = {}
        for name, rule in (rules or {}).items():
            try:
                items = parse_many(rule) if rule.strip() else []
            except ValueError as exc:
                raise ValueError(
                    f"rate limit {name!r}: {rule!r} is not in limits' notation"
                ) from exc
            if items:
                self.rules[name] = items
        self.text = {name: rule for name, rule in (rules or {}).items() if name in self.rules}
        self.limiter = MovingWindowRateLimiter(counts_in(storage)) if self.rules else None

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        if not settings.rate_limits:
            return cls()
        rules = {name: getattr(settings, f"rate_limit_{name}") for name in NAMES}
        rules["transcripts_to"] = TRANSCRIPTS_TO_ONE_ADDRESS
        return cls(rules, storage=settings.rate_limit_store)

    def hit(self, name: str, client: str, *, counted: str = "from one address") -> Refused | None:
        """Count one request of `client` against limit `name`; what refused it, if anything
        (`counted`: what one client is, in its words)."""
        items = self.rules.get(name)
        if not items or self.limiter is None:
            return None
        try:
            refused = [item for item in items if not self.limiter.hit(item, name, client)]
            if not refused:
                return None
            resets = [
                self.limiter.get_window_stats(item, name, client).reset_time for item in refused
            ]
        except StorageError:  # the counts are out of reach: serve rather than refuse everyone
            log.warning("rate limit storage unavailable; %s not limited", name, exc_info=True)
            return None
        wait = max(1, math.ceil(max(resets) - time.time()))
        return Refused(name, self.text[name], wait, counted)


def counts_in(uri: str) -> Storage:
    """Where limits count (memory:// or Redis), as the rate limits use it."""
    found = storage_from_string(uri, wrap_exceptions=True, **_timeouts(uri))
    if not isinstance(found, Storage):
        raise ValueError(f"{uri!r} is an asyncio storage; the limits count from threads")
    return found


def client_key(host: str | None) -> str:
    """Who a limit counts: the address, but an IPv6 address's /64 (the block one home or one
    server is given): else each of its 2^64 addresses would get the limits anew."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name (a test client's "testclient"), counted as it is
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_of(request: Request) -> str:
    return client_key(request.client.host if request.client else None)


def client_of_environ(environ: Mapping[str, Any]) -> str:
    """A socket.io connection's address (its ASGI scope's client, as uvicorn set it)."""
    client = (environ.get("asgi.scope") or {}).get("client")
    return client_key(str(client[0]) if client else None)


def too_many(refused: Refused) -> HTTPException:
    return HTTPException(429, refused.detail, headers={"Retry-After": str(refused.retry_after_s)})


Limits = Annotated[RateLimits, Depends(provided(RateLimits))]


def rate_limited(name: str) -> Any:
    """A route dependency: every caller's request counts against limit `name`."""

    def check(request: Request, limits: Limits) -> None:
        refused = limits.hit(name, client_of(request))
        if refused is not None:
            raise too_many(refused)

    check.__name__ = f"rate_limited_{name}"
    return Depends(check)


def public_rate_limited(name: str) -> Any:
    """A route dependency for a route open to everyone: each anonymous caller's request counts
    against limit `name`; staff with a valid token (an editor trying questions in the editor)
    are not limited. A token that is not valid counts as none."""

    def check(
        request: Request,
        limits: Limits,
        tokens: TokensDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        who = tokens.resolve(credentials.credentials) if credentials else None
        if who is not None and any(who.has(role) for role in STAFF_ROLES):
            return
        refused = limits.hit(name, client_of(request))
        if refused is not None:
            raise too_many(refused)

    check.__name__ = f"public_rate_limited_{name}"
    return Depends(check)


def customers_rate_limited(name: str) -> Any:
    """A route dependency: only customers' requests count (staff replying are not limited)."""

    def check(request: Request, limits: Limits, who: PrincipalDep) -> None:
        if not who.has(Role.CUSTOMER):
            return
        refused = limits.hit(name, client_of(request))
        if refused is not None:
            raise too_many(refused)

    check.__name__ = f"customers_rate_limited_{name}"
    return Depends(check)


def _timeouts(storage: str) -> dict[str, float]:
    """A Redis that stops answering without refusing (a dead host, a dropped route) must not hold
    requests: redis-py waits forever by default. One second, unless the URI sets its own."""
    if urlsplit(storage).scheme not in ("redis", "rediss"):
        return {}
    given = parse_qs(urlsplit(storage).query)
    return {
        option: REDIS_TIMEOUT_S
        for option in ("socket_connect_timeout", "socket_timeout")
        if option not in given
    }
