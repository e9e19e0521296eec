"""Bearer tokens and roles.

The admin token (setting `CASCADE_ADMIN_TOKEN`) holds every role. Other tokens are issued by
Cascade (one per conversation for its customer, one per agent) and stored only as hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlite_utils import Database

from core.db import Storage


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    AGENT = "agent"
    OPS = "ops"
    SUPERVISOR = "supervisor"  # reads every agent's chats; an agent sees only their own
    CUSTOMER = "customer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.EDITOR, Role.AGENT, Role.OPS, Role.SUPERVISOR})


@dataclass(frozen=True)
class Principal:
    roles: frozenset[Role]
    subject: str | None = None  # the conversation id (customer) or agent id (agent)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, storage: Storage, *, admin_token: str | None) -> None:
        self.storage = storage
        self._admin = admin_token

    def issue(self, role: Role, subject: str, *, at: str) -> str:
        token = secrets.token_urlsafe(24)
        with self.storage.write() as db:
            db.table("tokens").insert(
                {
                    "token_hash": _hash(token),
                    "role": role.value,
                    "subject": subject,
                    "created_at": at,
                }
            )
        return token

    def resolve(self, token: str) -> Principal | None:
        if self._admin and hmac.compare_digest(token.encode(), self._admin.encode()):
            return Principal(STAFF_ROLES)
        row = self.storage.db.execute(
            "select role, subject from tokens where token_hash = ?", [_hash(token)]
        ).fetchone()
        if row is None:
            return None
        return Principal(frozenset({Role(row[0])}), row[1])


def forget_customers(db: Database, conversation_ids: list[str]) -> int:
    """Delete the customer tokens of these conversations (a purge or an erasure): nobody
    reads them any more. `db` is the caller's write transaction."""
    return int(
        db.execute(
            "delete from tokens where role = ? and subject in (select value from json_each(?))",
            [Role.CUSTOMER.value, json.dumps(conversation_ids)],
        ).rowcount
    )
