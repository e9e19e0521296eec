"""Text a request carries that the database cannot store, answered 422 rather than 500.

JSON may carry lone surrogates (\\ud800), which no text column of either engine can store: the
driver cannot encode them. PostgreSQL's text columns cannot hold NUL (\\u0000) either, which
SQLite's can: psycopg refuses such text before sending it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, StringConstraints

_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def without_nul(text: str) -> str:
    """A field's check: SQLite could store a NUL and PostgreSQL not, so neither is asked to."""
    if "\x00" in text:
        raise ValueError("must not contain a NUL character (\\u0000)")
    return text


def blank(text: str) -> bool:
    """Nothing anyone could read: only spaces, or only characters that show as nothing (zero-width
    spaces and joiners, a byte-order mark, direction marks: Unicode's format characters)."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


def readable(text: str) -> str:
    """A field's check for text someone is to read: not `blank`."""
    if blank(text):
        raise ValueError("must not be blank (spaces or invisible characters alone)")
    return text


def one_line(text: str) -> str:
    """A field's check for a line of text (a title): no control characters, line breaks
    and tabs included, which would show as nothing or break the lists it is shown in."""
    if found := _CONTROLS.search(text):
        raise ValueError(
            f"must be one line without control characters (found U+{ord(found[0]):04X})"
        )
    return text


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


# What staff write for someone to read (a note, a reply, a canned text): something once the
# spaces around it are gone, more than invisible characters, and storable on either database.
Written = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5000),
    AfterValidator(without_nul),
    AfterValidator(readable),
]
# A note that may be left out or blank (a transfer's, an escalation's): storable when given.
Storable = Annotated[str, StringConstraints(max_length=5000), AfterValidator(without_nul)]
