"""Rasa's endpoints when the app shares PostgreSQL and Redis with other replicas: the tracker store
in the app's PostgreSQL database (schema `rasa`) and the lock store in its Redis, as Rasa documents
for running more than one Rasa process (docs/production/scaling-rasa.md).

Without CASCADE_DATABASE_URL and CASCADE_REDIS_URL Rasa reads the repository's endpoints.yml, as
always: an SQLite tracker store in the data directory and the in-memory lock store. With either,
`bot.runtime.start_rasa` writes the file made here into the data directory and starts Rasa with it.
No secret is written to it: Rasa's PostgreSQL driver (libpq) reads the password from PGPASSWORD,
and the lock store's password is `${CASCADE_REDIS_PASSWORD}`, which Rasa fills in from its
environment (both set by `start_rasa`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

# Rasa's tables live in their own schema: its `events` table and the app's would clash in one.
RASA_SCHEMA = "rasa"
# Rasa's lock keys in the app's Redis database: "rasa:lock:<conversation id>".
LOCK_KEY_PREFIX = "rasa"

# What the repository's endpoints.yml says of the action server, the same here.
ACTION_ENDPOINT = {
    "url": "${CASCADE_ACTION_URL}",
    "headers": {"Authorization": "Bearer ${CASCADE_ACTION_SECRET}"},
}
SQLITE_TRACKER_STORE = {"type": "SQL", "dialect": "sqlite", "db": "${CASCADE_TRACKER_DB}"}


class StoreUrlRejected(ValueError):
    """CASCADE_DATABASE_URL or CASCADE_REDIS_URL is not something Rasa's stores can use."""


@dataclass(frozen=True)
class RasaEndpoints:
    """endpoints.yml's text and what Rasa's environment must hold for it."""

    text: str
    env: dict[str, str] = field(default_factory=dict)


def tracker_store(database_url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Rasa's SQLTrackerStore on the app's PostgreSQL database, in the schema `rasa`
    (POSTGRESQL_SCHEMA, Rasa's own setting), with Rasa's driver (psycopg2)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise StoreUrlRejected(f"CASCADE_DATABASE_URL is not a database URL: {exc}") from exc
    if url.get_backend_name() != "postgresql":
        raise StoreUrlRejected(
            f"CASCADE_DATABASE_URL must be a PostgreSQL URL, not {url.get_backend_name()}"
        )
    if not url.database:
        raise StoreUrlRejected("CASCADE_DATABASE_URL names no database")
    config: dict[str, Any] = {"type": "SQL", "dialect": "postgresql", "db": url.database}
    if url.host:
        config["url"] = url.host
    if url.port:
        config["port"] = url.port
    if url.username:
        config["username"] = url.username
    if url.query:  # libpq's own options (sslmode, host=/a/socket/dir, ...) pass through
        config["query"] = {
            key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()
        }
    env = {"POSTGRESQL_SCHEMA": RASA_SCHEMA}
    if url.password:
        env["PGPASSWORD"] = url.password
    return config, env


def lock_store(redis_url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Rasa's RedisLockStore on the app's Redis database, its keys under "rasa:"."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise StoreUrlRejected(
            "CASCADE_REDIS_URL must be redis://host:port/db or rediss://... for Rasa's lock "
            f"store, not {parts.scheme}://"
        )
    try:
        db = int(parts.path.strip("/") or 0)
        port = parts.port or 6379
    except ValueError as exc:
        raise StoreUrlRejected(f"CASCADE_REDIS_URL: {exc}") from exc
    config: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname or "localhost",
        "port": port,
        "db": db,
        "key_prefix": LOCK_KEY_PREFIX,
    }
    env = {}
    if parts.username:
        config["username"] = unquote(parts.username)
    if parts.password:
        config["password"] = "${CASCADE_REDIS_PASSWORD}"
        env["CASCADE_REDIS_PASSWORD"] = unquote(parts.password)
    if parts.scheme == "rediss":
        config["use_ssl"] = True
    return config, env


def rasa_endpoints(*, database_url: str | None, redis_url: str | None) -> RasaEndpoints | None:
    """endpoints.yml for Rasa on these stores; None when neither is set (the repository's
    endpoints.yml holds then)."""
    if not database_url and not redis_url:
        return None
    endpoints: dict[str, Any] = {"action_endpoint": ACTION_ENDPOINT}
    env: dict[str, str] = {}
    if database_url:
        endpoints["tracker_store"], tracker_env = tracker_store(database_url)
        env.update(tracker_env)
    else:
        endpoints["tracker_store"] = SQLITE_TRACKER_STORE
    if redis_url:
        endpoints["lock_store"], lock_env = lock_store(redis_url)
        env.update(lock_env)
    text = (
        "# Written by Cascade from CASCADE_DATABASE_URL and CASCADE_REDIS_URL (bot/endpoints.py)\n"
        "# each time it starts Rasa: edits here are lost.\n"
        + yaml.safe_dump(endpoints, sort_keys=False, allow_unicode=True)
    )
    return RasaEndpoints(text, env)
