"""Staff accounts: an email address and a password (argon2id), a name, a role and a life cycle.

Signing in gives a session token that expires (`core.auth.TokenStore`); deactivating an account,
resetting its password or removing it revokes its tokens at once. An agent's account names the
agent it signs in as: the agent (skills, status, chats) stays handoff's, so the account is only
how that person proves who they are, and its session holds what the agent's own token holds.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from core.auth import Role, TokenStore
from core.clock import Clock, iso
from core.contact import name_problem
from core.db import Storage
from core.sign_in_guard import KnownBrowsers, SignInGuard

log = logging.getLogger(__name__)

ACCOUNT_ROLES = (Role.ADMIN, Role.EDITOR, Role.OPS, Role.SUPERVISOR, Role.AGENT)
MIN_PASSWORD = 10
WRONG = "wrong email or password"  # the same words whichever was wrong: no one learns who exists


class AccountError(Exception):
    """Root of the errors about staff accounts."""


class AccountNotFound(AccountError):
    def __init__(self, account: str) -> None:
        super().__init__(f"no staff account {account}")


class EmailTaken(AccountError):
    def __init__(self, email: str) -> None:
        super().__init__(f"{email} already has an account")


class BadAccount(AccountError):
    """An account that cannot be made as asked (a short password, an agent with no agent)."""


class BadCredentials(AccountError):
    def __init__(self) -> None:
        super().__init__(WRONG)


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    name: str
    role: Role
    agent_id: str | None  # the agent an agent's account signs in as
    active: bool
    created_at: str
    updated_at: str

    @property
    def subject(self) -> str | None:
        """Who its tokens speak for: the agent's id, nobody for an admin (as the admin token),
        else the name (shown as the author of an editor's changes)."""
        if self.role is Role.AGENT:
            return self.agent_id
        return None if self.role is Role.ADMIN else self.name


@dataclass(frozen=True)
class Session:
    token: str
    expires_at: str
    account: Account
    browser: str  # for the browser to send with its next sign-in (core.sign_in_guard)


def new_password() -> str:
    """A password for someone to change or keep: 16 characters, 96 random bits."""
    return secrets.token_urlsafe(12)


def normal_email(email: str) -> str:
    """The address as stored and looked up: checked, and in lower case."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise BadAccount(str(exc)) from exc


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadAccount(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def _account(row: dict[str, Any]) -> Account:
    return Account(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=Role(row["role"]),
        agent_id=row["agent_id"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class StaffAccounts:
    def __init__(
        self,
        *,
        storage: Storage,
        tokens: TokenStore,
        clock: Clock,
        session_hours: float = 12.0,
        guard: SignInGuard | None = None,
    ) -> None:
        self.storage = storage
        self.tokens = tokens
        self.clock = clock
        self.session = timedelta(hours=session_hours)
        self.guard = guard or SignInGuard(
            per_email="10 per 15 minutes", per_client="50 per 15 minutes"
        )
        self.browsers = KnownBrowsers(storage, clock)
        self.hasher = PasswordHasher()
        self._decoy: str | None = None
        # Called with an account just deactivated or removed: how an agent's leaving takes them
        # offline and gives their chats back to the queue, which core knows nothing of.
        self.leaving_listeners: list[Callable[[Account], None]] = []

    # -- reading -------------------------------------------------------------------------------

    def _row(self, where: str, value: str) -> dict[str, Any] | None:
        rows = list(
            self.storage.db.query(f"select * from staff_accounts where {where} = ?", [value])
        )
        return rows[0] if rows else None

    def get(self, account_id: str) -> Account:
        row = self._row("id", account_id)
        if row is None:
            raise AccountNotFound(account_id)
        return _account(row)

    def find(self, email: str) -> Account:
        row = self._row("email", email.strip().lower())
        if row is None:
            raise AccountNotFound(email)
        return _account(row)

    def all(self) -> list[Account]:
        rows = self.storage.db.query("select * from staff_accounts order by email")
        return [_account(row) for row in rows]

    def for_agent(self, agent_id: str) -> list[Account]:
        rows = self.storage.db.query("select * from staff_accounts where agent_id = ?", [agent_id])
        return [_account(row) for row in rows]

    # -- the life cycle ------------------------------------------------------------------------

    def check_free(self, email: str) -> str:
        """The address as it would be stored, if no account has it yet."""
        address = normal_email(email)
        if self._row("email", address) is not None:
            raise EmailTaken(address)
        return address

    def create(
        self, *, email: str, name: str, role: Role, password: str, agent_id: str | None = None
    ) -> Account:
        """A new, active account. An agent's must name its agent (the caller checks it exists);
        no other role's may."""
        if role not in ACCOUNT_ROLES:
            raise BadAccount(f"an account's role is one of {', '.join(ACCOUNT_ROLES)}")
        if (role is Role.AGENT) != (agent_id is not None):
            raise BadAccount("an agent's account, and only an agent's, names its agent")
        if not name.strip():
            raise BadAccount("an account needs a name")
        if problem := name_problem(name):
            raise BadAccount(problem)
        address = normal_email(email)
        at = iso(self.clock.now())
        account_id = uuid.uuid4().hex[:12]
        password_hash = self.hasher.hash(_checked_password(password))
        with self.storage.write() as db:
            if self._row("email", address) is not None:
                raise EmailTaken(address)
            db.table("staff_accounts").insert(
                {
                    "id": account_id,
                    "email": address,
                    "name": name.strip(),
                    "role": role.value,
                    "agent_id": agent_id,
                    "password_hash": password_hash,
                    "active": 1,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        return self.get(account_id)

    def _update(self, account_id: str, changes: dict[str, Any]) -> Account:
        self.get(account_id)
        with self.storage.write() as db:
            db.table("staff_accounts").update(
                account_id, {**changes, "updated_at": iso(self.clock.now())}
            )
        return self.get(account_id)

    def rename(self, account_id: str, name: str) -> Account:
        """A new name; tokens in force keep speaking for the old one until they end."""
        if not name.strip():
            raise BadAccount("an account needs a name")
        if problem := name_problem(name):
            raise BadAccount(problem)
        return self._update(account_id, {"name": name.strip()})

    def set_active(self, account_id: str, active: bool) -> Account:
        """Deactivating revokes every token of the account at once (and an agent's own API
        tokens too); reactivating lets them sign in again, with no token revived."""
        account = self._update(account_id, {"active": int(active)})
        if not active:
            self._revoke(account)
            for listener in self.leaving_listeners:
                listener(account)
        return account

    def reset_password(self, account_id: str, password: str) -> Account:
        """A new password; every session and token of the account ends."""
        account = self._update(
            account_id, {"password_hash": self.hasher.hash(_checked_password(password))}
        )
        self._revoke(account)
        return account

    def remove(self, account_id: str) -> None:
        """The account goes, and its tokens end; what its owner wrote keeps their name."""
        account = self.get(account_id)
        with self.storage.write() as db:
            db.table("staff_accounts").delete(account_id)
        self._revoke(account)
        for listener in self.leaving_listeners:
            listener(account)

    def remove_for_agent(self, agent_id: str) -> None:
        """An agent removed: their accounts go with them."""
        with self.storage.write() as db:
            db.execute(
                "delete from known_browsers where account_id in"
                " (select id from staff_accounts where agent_id = ?)",
                [agent_id],
            )
            db.execute("delete from staff_accounts where agent_id = ?", [agent_id])
        # The agent's tokens are revoked by whoever removes the agent.

    def _revoke(self, account: Account) -> None:
        self.tokens.revoke_account(account.id)
        self.browsers.forget(account.id)
        if account.role is Role.AGENT and account.agent_id:
            self.tokens.revoke_subject(Role.AGENT, account.agent_id)

    # -- signing in ----------------------------------------------------------------------------

    def _verify(self, stored: str | None, password: str) -> bool:
        """argon2 verification; an unknown address is checked against a decoy hash, so it
        takes as long as a wrong password does."""
        if stored is None:
            self._decoy = self._decoy or self.hasher.hash(new_password())
            stored = self._decoy
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def sign_in(
        self, email: str, password: str, *, client: str, browser: str | None = None
    ) -> Session:
        """A session for an active account whose password matches; else `BadCredentials`,
        the same for an unknown address, a wrong password and a deactivated account.
        `browser`: the token this browser got with its last sign-in, if it kept one."""
        address = email.strip().lower()
        row = self._row("email", address)
        # Asked whether or not the address has an account: the answer takes as long either way.
        known = self.browsers.of(browser, row["id"] if row else "")
        self.guard.check(address, client, known)
        ok = self._verify(row["password_hash"] if row else None, password)
        if row is None or not ok or not row["active"]:
            self.guard.failed(address, client, known)
            raise BadCredentials()
        self.guard.succeeded(address, client, known)
        if self.hasher.check_needs_rehash(row["password_hash"]):
            with self.storage.write() as db:
                db.table("staff_accounts").update(
                    row["id"], {"password_hash": self.hasher.hash(password)}
                )
        account = _account(row)
        now = self.clock.now()
        expires = now + self.session
        token = self.tokens.issue(
            account.role,
            account.subject,
            at=iso(now),
            expires_at=expires,
            account_id=account.id,
            session=True,
        )
        return Session(
            token=token,
            expires_at=iso(expires),
            account=account,
            browser=self.browsers.signed_in(account.id, known),
        )

    def issue_token(self, account_id: str, *, expires_at: datetime | None) -> str:
        """An API token speaking for the account (for a script or a bookmarked page): it ends
        when the account is deactivated, reset or removed, or at `expires_at`."""
        account = self.get(account_id)
        if not account.active:
            raise BadAccount(f"{account.email} is deactivated")
        return self.tokens.issue(
            account.role,
            account.subject,
            at=iso(self.clock.now()),
            expires_at=expires_at,
            account_id=account.id,
        )
