"""The tables core owns: bearer tokens, kept only as hashes (`core.auth.TokenStore`), and staff
accounts (`core.accounts`)."""

from __future__ import annotations

from core.db import Database, Migrations

MIGRATIONS = Migrations("core")


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    # "If not exists": a database made by the retired "cascade" set has it in this shape already.
    db.table("tokens").create(
        {"token_hash": str, "role": str, "subject": str, "created_at": str},
        pk="token_hash",
        if_not_exists=True,
    )


@MIGRATIONS()
def m002_staff_accounts(db: Database) -> None:
    # Staff who sign in with email and password (core.accounts); an agent's account names the
    # agent it signs in as. Emails are kept in lower case, so unique regardless of case.
    db.table("staff_accounts").create(
        {
            "id": str,
            "email": str,
            "name": str,
            "role": str,
            "agent_id": str,
            "password_hash": str,  # argon2id, in argon2's own encoded form
            "active": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"email", "name", "role", "password_hash", "active"},
    )
    db.table("staff_accounts").create_index(["email"], unique=True)
    db.table("staff_accounts").create_index(["agent_id"])
    # Tokens gain a life cycle: an expiry (none: never, as every token made before), a
    # revocation, the account they belong to, and their kind ("session" for a sign-in; none
    # for tokens issued to a customer or by the admin).
    tokens = db.table("tokens")
    for column in ("expires_at", "revoked_at", "account_id", "kind"):
        if column not in tokens.columns_dict:
            tokens.add_column(column, str)
    tokens.create_index(["account_id"], if_not_exists=True)
    tokens.create_index(["role", "subject"], if_not_exists=True)


@MIGRATIONS()
def m003_audit_log(db: Database) -> None:
    # Staff actions (`core.audit`): who, what (method and route template), on which ids, with
    # which outcome. Never a request's body.
    db.table("audit_log").create(
        {
            "id": int,
            "at": str,
            "role": str,
            "subject": str,
            "method": str,
            "route": str,
            "targets": str,  # JSON {path parameter: id}
            "status": int,
        },
        pk="id",
        not_null={"at", "role", "subject", "method", "route", "targets", "status"},
    )
    db.table("audit_log").create_index(["at"])
    db.table("audit_log").create_index(["subject", "id"])


@MIGRATIONS()
def m004_known_browsers(db: Database) -> None:
    # The browsers each staff account signed in from (`core.sign_in_guard.KnownBrowsers`): the
    # hash of the token the browser keeps, and its last sign-in. Their failed sign-ins are
    # counted on their own, so nobody else's guesses lock the account's owner out.
    db.table("known_browsers").create(
        {"id": str, "account_id": str, "last_used_at": str},
        pk="id",
        not_null={"account_id", "last_used_at"},
    )
    db.table("known_browsers").create_index(["account_id", "last_used_at"])


@MIGRATIONS()
def m005_staff_names_shown_clean(db: Database) -> None:
    # Staff accounts and tokens named before control and text-direction characters were
    # refused in names (`core.contact.StaffName`) are cleaned as customers' names are: the
    # console, the audit view and the staff list show no name disguised as another. An account
    # named with nothing but such characters is named by its email; a token, "staff".
    from core.contact import customer_name as shown_clean

    for account_id, name, email in db.execute(
        "select id, name, email from staff_accounts"
    ).fetchall():
        if (clean := shown_clean(name) or email) != name:
            db.execute("update staff_accounts set name = ? where id = ?", [clean, account_id])
    for token_hash, subject in db.execute(
        "select token_hash, subject from tokens where subject is not null and role <> 'customer'"
    ).fetchall():  # a customer's token's subject is its conversation's id
        if (clean := shown_clean(subject) or "staff") != subject:
            db.execute("update tokens set subject = ? where token_hash = ?", [clean, token_hash])
