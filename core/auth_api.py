"""HTTP routes for signing in and out, and for the admin's API tokens (issue with an expiry,
list without their secrets, revoke); and the statuses of core's errors."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from core.accounts import (
    AccountNotFound,
    BadAccount,
    BadCredentials,
    EmailTaken,
    StaffAccounts,
)
from core.auth import Principal, Role, expires_after, roles_of
from core.clock import iso
from core.contact import StaffName
from core.deps import ClockDep, TokensDep, bearer, principal, provided, require
from core.rate_limits import client_of
from core.sign_in_guard import TooManyAttempts
from core.staff import ExpiresInDays, IssuedToken

router = APIRouter(tags=["auth"])

ERRORS: dict[type[Exception], int] = {
    AccountNotFound: 404,
    EmailTaken: 409,
    BadAccount: 422,
    BadCredentials: 401,
}

Accounts = Annotated[StaffAccounts, Depends(provided(StaffAccounts))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class SignIn(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    browser: str | None = Field(
        default=None,
        max_length=100,
        description="The `browser` this browser got with its last sign-in to this account, if it "
        "kept it: its failed attempts are then counted on their own, so others' guesses do not "
        "hold it up. One that is unknown, another account's or ended counts as none.",
    )


class SessionOut(BaseModel):
    token: str = Field(description="The bearer token of this session; only its hash is kept")
    expires_at: str
    roles: list[str]
    subject: str | None = Field(description="As GET /api/me shows it")
    name: str
    email: str
    browser: str = Field(
        description="Keep it in this browser and send it with the next sign-in (it changes each "
        "time): a sign-in from a browser the account used before is not held up by failed "
        "attempts from elsewhere"
    )


class TokenIn(BaseModel):
    role: Literal["editor", "ops", "supervisor", "admin"] = Field(
        description="An agent's tokens come from POST /api/agents/{id}/tokens"
    )
    subject: StaffName = Field(
        min_length=1, max_length=200, pattern=r"\S", description="Whom it speaks for: a name"
    )
    expires_in_days: ExpiresInDays


class TokenOut(BaseModel):
    id: str
    role: str
    subject: str | None
    session: bool = Field(description="Got by signing in (else issued by the admin)")
    account_id: str | None
    created_at: str
    expires_at: str | None


@router.post(
    "/api/auth/sign-in",
    summary="Sign in with email and password: a session token that expires",
    responses={401: {"description": "Wrong email or password"}, 429: {"description": "Wait"}},
)
def sign_in(body: SignIn, request: Request, accounts: Accounts) -> SessionOut:
    """Failed attempts are limited per email address from one client address, per email address
    and per client address (`CASCADE_SIGN_IN_LIMIT`, `CASCADE_SIGN_IN_EMAIL_LIMIT`,
    `CASCADE_SIGN_IN_CLIENT_LIMIT`): then 429 with Retry-After. A browser sending the `browser`
    its last sign-in to the account gave has its failures counted on their own."""
    client = client_of(request)
    try:
        session = accounts.sign_in(body.email, body.password, client=client, browser=body.browser)
    except TooManyAttempts as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from exc
    account = session.account
    roles = sorted(role.value for role in roles_of(account.role.value))
    return SessionOut(
        token=session.token,
        expires_at=session.expires_at,
        roles=roles,
        subject=account.subject,
        name=account.name,
        email=account.email,
        browser=session.browser,
    )


@router.post("/api/auth/sign-out", status_code=204, summary="End the session of this token")
def sign_out(
    tokens: TokensDep,
    _: Annotated[Principal, Depends(principal)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """An API token is not revoked by signing out of a page (the admin revokes it)."""
    assert credentials is not None  # `principal` has refused a request without one
    tokens.sign_out(credentials.credentials)
    return Response(status_code=204)


@router.get("/api/tokens", summary="Staff tokens in force, without their secrets (admin)")
def list_tokens(tokens: TokensDep, _: Admin) -> list[TokenOut]:
    return [TokenOut(**vars(info)) for info in tokens.in_force()]


@router.post(
    "/api/tokens", status_code=201, summary="Issue an API token, with an expiry if given (admin)"
)
def issue_token(body: TokenIn, tokens: TokensDep, clock: ClockDep, _: Admin) -> IssuedToken:
    """For a page or script used by someone without an account; a person with an account gets
    one through POST /api/staff/{id}/tokens, so it ends with their account."""
    now = clock.now()
    expires = expires_after(now, body.expires_in_days)
    subject = body.subject.strip()
    token = tokens.issue(Role(body.role), subject, at=iso(now), expires_at=expires)
    return IssuedToken(
        id=tokens.id_of(token),
        token=token,
        role=body.role,
        subject=None if body.role == "admin" else subject,
        expires_at=iso(expires) if expires else None,
    )


@router.delete("/api/tokens/{token_id}", status_code=204, summary="Revoke a token (admin)")
def revoke_token(token_id: str, tokens: TokensDep, _: Admin) -> Response:
    """It gets 401 from now on, and a socket opened with it is closed."""
    if not tokens.revoke(token_id):
        raise HTTPException(404, f"no token {token_id} in force")
    return Response(status_code=204)
