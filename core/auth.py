"""Bearer tokens and roles.

The admin token (setting `CASCADE_ADMIN_TOKEN`) holds every role. Other tokens are issued by
Cascade and stored only as hashes: one per conversation for its customer, API tokens the admin
issues (to an agent, an editor, ...; with an expiry if the admin gives one), and the sessions
staff get by signing in with email and password (`core.accounts`), which always expire. A token
that expired or was revoked resolves to no one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.clock import Clock, SystemClock, iso
from core.db import Database, Storage


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    AGENT = "agent"
    OPS = "ops"
    SUPERVISOR = "supervisor"  # reads every agent's chats; an agent sees only their own
    CUSTOMER = "customer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.EDITOR, Role.AGENT, Role.OPS, Role.SUPERVISOR})

SESSION = "session"  # the `kind` of a token got by signing in; other tokens have none

# A token's public id: the start of its hash (the hash of 192 random bits gives nothing away),
# so the admin can list and revoke tokens without their secrets being kept anywhere.
ID_LENGTH = 16


@dataclass(frozen=True)
class Principal:
    roles: frozenset[Role]
    subject: str | None = None  # the conversation id (customer) or agent id (agent)
    token_id: str | None = None  # None for the admin token of the settings
    account_id: str | None = None  # the staff account a session or token belongs to
    expires_at: str | None = None  # when the token stops working (None: never)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


@dataclass(frozen=True)
class TokenInfo:
    """A stored token as the admin sees it: never its secret."""

    id: str
    role: str
    subject: str | None
    session: bool
    account_id: str | None
    created_at: str
    expires_at: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def roles_of(role: str) -> frozenset[Role]:
    """A stored token's roles: an admin's hold every staff role, as the admin token does."""
    return STAFF_ROLES if role == Role.ADMIN.value else frozenset({Role(role)})


class TokenStore:
    def __init__(
        self, storage: Storage, *, admin_token: str | None, clock: Clock | None = None
    ) -> None:
        self.storage = storage
        self._admin = admin_token
        self.clock: Clock = clock or SystemClock()
        # Called with the ids of tokens just revoked: how open sockets signed in with them close.
        self.revoke_listeners: list[Callable[[list[str]], None]] = []

    def issue(
        self,
        role: Role,
        subject: str | None,
        *,
        at: str,
        expires_at: datetime | None = None,
        account_id: str | None = None,
        session: bool = False,
    ) -> str:
        """A new token (returned once: only its hash is kept); `expires_at` None: never."""
        token = secrets.token_urlsafe(24)
        with self.storage.write() as db:
            db.table("tokens").insert(
                {
                    "token_hash": _hash(token),
                    "role": role.value,
                    "subject": subject,
                    "created_at": at,
                    "expires_at": iso(expires_at) if expires_at else None,
                    "account_id": account_id,
                    "kind": SESSION if session else None,
                }
            )
        return token

    @staticmethod
    def id_of(token: str) -> str:
        return _hash(token)[:ID_LENGTH]

    def resolve(self, token: str) -> Principal | None:
        if self._admin and hmac.compare_digest(token.encode(), self._admin.encode()):
            return Principal(STAFF_ROLES)
        row = self.storage.db.execute(
            "select role, subject, account_id, expires_at from tokens where token_hash = ?"
            " and revoked_at is null and (expires_at is null or expires_at > ?)",
            [_hash(token), iso(self.clock.now())],
        ).fetchone()
        if row is None:
            return None
        role, subject, account_id, expires_at = row
        roles = roles_of(role)
        return Principal(
            roles,
            None if Role.ADMIN in roles else subject,
            token_id=self.id_of(token),
            account_id=account_id,
            expires_at=expires_at,
        )

    # -- revoking ------------------------------------------------------------------------------

    def _revoke(self, where: str, params: list[Any]) -> list[str]:
        at = iso(self.clock.now())
        with self.storage.write() as db:
            hashes = [
                row[0]
                for row in db.execute(
                    f"select token_hash from tokens where revoked_at is null and ({where})", params
                ).fetchall()
            ]
            db.executemany(
                "update tokens set revoked_at = ? where token_hash = ?", [(at, h) for h in hashes]
            )
        ids = [h[:ID_LENGTH] for h in hashes]
        if ids:
            for listener in self.revoke_listeners:
                listener(ids)
        return ids

    def revoke(self, token_id: str) -> bool:
        """Revoke the staff token with this id; False if there is no such token in force."""
        return bool(
            self._revoke(
                "substr(token_hash, 1, ?) = ? and role != ?",
                [ID_LENGTH, token_id, Role.CUSTOMER.value],
            )
        )

    def sign_out(self, token: str) -> bool:
        """End the session signed in with `token`; an API token is left as it is (it is
        revoked by the admin), so signing out of a page never breaks a shared integration."""
        return bool(self._revoke("token_hash = ? and kind = ?", [_hash(token), SESSION]))

    def revoke_account(self, account_id: str) -> list[str]:
        """Every token of a staff account: its sessions and the API tokens issued to it."""
        return self._revoke("account_id = ?", [account_id])

    def revoke_subject(self, role: Role, subject: str) -> list[str]:
        """Every token of one role and subject, e.g. all of an agent's."""
        return self._revoke("role = ? and subject = ?", [role.value, subject])

    # -- the admin's view ----------------------------------------------------------------------

    def in_force(self) -> list[TokenInfo]:
        """Staff tokens neither revoked nor expired, newest first (customers' are left out)."""
        rows = self.storage.db.execute(
            "select token_hash, role, subject, kind, account_id, created_at, expires_at"
            " from tokens where role != ? and revoked_at is null"
            " and (expires_at is null or expires_at > ?) order by created_at desc",
            [Role.CUSTOMER.value, iso(self.clock.now())],
        ).fetchall()
        return [
            TokenInfo(
                id=token_hash[:ID_LENGTH],
                role=role,
                subject=subject,
                session=kind == SESSION,
                account_id=account_id,
                created_at=created_at,
                expires_at=expires_at,
            )
            for token_hash, role, subject, kind, account_id, created_at, expires_at in rows
        ]


def forget_customers(db: Database, conversation_ids: list[str]) -> int:
    """Delete the customer tokens of these conversations (a purge or an erasure): nobody
    reads them any more. `db` is the caller's write transaction."""
    return int(
        db.execute(
            f"delete from tokens where role = ? and subject in {db.json_values('?')}",
            [Role.CUSTOMER.value, json.dumps(conversation_ids)],
        ).rowcount
    )


def expires_after(now: datetime, days: float | None) -> datetime | None:
    """When a token issued `now` for `days` ends; None (never) when no days are given."""
    return now + timedelta(days=days) if days else None
