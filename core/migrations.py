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
