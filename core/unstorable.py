"""Text a request carries that the database cannot store, answered 422 rather than 500.

JSON may carry lone surrogates (\\ud800), which no text column of either engine can store: the
driver cannot encode them. PostgreSQL's text columns cannot hold NUL (\\u0000) either, which
SQLite's can: psycopg refuses such text before sending it.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse


async def bad_unicode(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "the request holds invalid Unicode (a lone surrogate such as \\ud800)"},
        status_code=422,
    )


async def nul_character(request: Request, exc: Exception) -> JSONResponse:
    """For SQLAlchemy's DataError: any other data error is a fault, answered 500."""
    if "NUL (0x00)" not in str(getattr(exc, "orig", "")):
        raise exc
    return JSONResponse(
        {"detail": "the request holds a NUL character (\\u0000), which the database cannot store"},
        status_code=422,
    )
