"""The tables core owns: bearer tokens, kept only as hashes (`core.auth.TokenStore`)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

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
def m002_audit_log(db: Database) -> None:
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
