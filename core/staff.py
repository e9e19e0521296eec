"""HTTP routes for staff accounts (admin): list, create, rename, deactivate, reset, remove, and
API tokens speaking for an account.

An account is an email address and a password; its role says which pages it opens. An agent's
account is made with the agent (`POST /api/agents` with an email, or
`POST /api/agents/{id}/account`), since the agent must exist first.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, EmailStr, Field

from core.accounts import MIN_PASSWORD, Account, StaffAccounts, new_password
from core.auth import Principal, Role, expires_after
from core.clock import iso
from core.contact import StaffName
from core.deps import ClockDep, provided, require

router = APIRouter(prefix="/api/staff", tags=["auth"])

Accounts = Annotated[StaffAccounts, Depends(provided(StaffAccounts))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

Password = Annotated[
    str | None,
    Field(
        default=None,
        min_length=MIN_PASSWORD,
        max_length=1024,
        description="Empty: one is made up and shown once in the response.",
    ),
]
ExpiresInDays = Annotated[
    float | None,
    Field(default=None, gt=0, le=3650, description="Empty: the token never expires."),
]


class StaffIn(BaseModel):
    email: EmailStr = Field(description="Unique, whatever its case; the sign-in name")
    name: StaffName = Field(min_length=1, max_length=200, pattern=r"\S")
    role: Literal["editor", "ops", "supervisor", "admin"]
    password: Password


class StaffUpdate(BaseModel):
    """Fields left out stay as they are."""

    name: StaffName | None = Field(default=None, min_length=1, max_length=200, pattern=r"\S")
    active: bool | None = Field(
        default=None, description="false: the person's sessions and tokens end at once"
    )


class PasswordIn(BaseModel):
    password: Password


class StaffOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    agent_id: str | None = Field(description="The agent an agent's account signs in as")
    active: bool
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, account: Account) -> StaffOut:
        return cls(
            id=account.id,
            email=account.email,
            name=account.name,
            role=account.role.value,
            agent_id=account.agent_id,
            active=account.active,
            created_at=account.created_at,
            updated_at=account.updated_at,
        )


class StaffWithPassword(StaffOut):
    password: str | None = Field(
        description="The password made up for this account, shown once (null when one was given)"
    )


class TokenIn(BaseModel):
    expires_in_days: ExpiresInDays


class IssuedToken(BaseModel):
    id: str = Field(description="How the token is listed and revoked (GET, DELETE /api/tokens)")
    token: str = Field(description="Shown once: only its hash is kept")
    role: str
    subject: str | None
    expires_at: str | None


def with_password(account: Account, made_up: str | None) -> StaffWithPassword:
    return StaffWithPassword(**StaffOut.of(account).model_dump(), password=made_up)


@router.get("", summary="Every staff account (admin)")
def list_staff(accounts: Accounts, _: Admin) -> list[StaffOut]:
    return [StaffOut.of(account) for account in accounts.all()]


@router.post("", status_code=201, summary="Create a staff account (admin)")
def add_staff(body: StaffIn, accounts: Accounts, _: Admin) -> StaffWithPassword:
    password = body.password or new_password()
    account = accounts.create(
        email=body.email, name=body.name, role=Role(body.role), password=password
    )
    return with_password(account, None if body.password else password)


@router.patch("/{account_id}", summary="Rename, deactivate or reactivate an account (admin)")
def update_staff(account_id: str, body: StaffUpdate, accounts: Accounts, _: Admin) -> StaffOut:
    """Deactivating ends the person's sessions and tokens at once (an agent is also taken
    offline, their chats back in the queue); reactivating lets them sign in again."""
    account = accounts.get(account_id)
    if body.name is not None:
        account = accounts.rename(account_id, body.name)
    if body.active is not None and body.active != account.active:
        account = accounts.set_active(account_id, body.active)
    return StaffOut.of(account)


@router.post("/{account_id}/password", summary="Set a new password; every session ends (admin)")
def reset_password(
    account_id: str, body: PasswordIn, accounts: Accounts, _: Admin
) -> StaffWithPassword:
    password = body.password or new_password()
    account = accounts.reset_password(account_id, password)
    return with_password(account, None if body.password else password)


@router.delete("/{account_id}", status_code=204, summary="Remove an account (admin)")
def remove_staff(account_id: str, accounts: Accounts, _: Admin) -> Response:
    """Its sessions and tokens end at once; what the person wrote keeps their name."""
    accounts.remove(account_id)
    return Response(status_code=204)


@router.post(
    "/{account_id}/tokens",
    status_code=201,
    summary="Issue an API token speaking for this account, with an expiry if given (admin)",
)
def issue_token(
    account_id: str, body: TokenIn, accounts: Accounts, clock: ClockDep, _: Admin
) -> IssuedToken:
    """It ends when the account is deactivated, reset or removed, or when it expires."""
    expires = expires_after(clock.now(), body.expires_in_days)
    token = accounts.issue_token(account_id, expires_at=expires)
    account = accounts.get(account_id)
    return IssuedToken(
        id=accounts.tokens.id_of(token),
        token=token,
        role=account.role.value,
        subject=account.subject,
        expires_at=iso(expires) if expires else None,
    )
