"""Request bodies: refused past their limit before anything parses them, and never echoed back.

`BodyLimit` is a pure ASGI middleware. A Content-Length over the limit is answered 413 at once,
before the route runs or a byte of the body is read; a body without one (chunked) is counted as
it arrives and cut off with 413 the moment it passes the limit, so no route ever holds more than
its limit in memory. Each path may have its own limit (a knowledge import is larger than a chat
message); the longest matching prefix decides.

FastAPI's own `max_body_size` counts the same way, but answers a Content-Length over the limit
only after the route has run (a route that reads no body would act, then answer 413), and takes
its per-route limits when the routes are declared, before the settings are read.

A 422 names what is wrong without sending the input back: FastAPI's validation errors carry
each bad value as `input`, and a 60 KB field echoed is a 60 KB answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's words for any such body
MAX_ECHOED = 200  # characters of a bad value a 422 may show (as JSON)


def too_large(limit: int) -> str:
    return f"the request body is larger than this endpoint's limit of {limit} bytes"


class BodyLimit:
    """`default` bytes for every request body; `larger` maps path prefixes to their own."""

    def __init__(self, app: ASGIApp, *, default: int, larger: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.larger = sorted(larger.items(), key=lambda item: len(item[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        return next(
            (limit for prefix, limit in self.larger if path.startswith(prefix)), self.default
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = content_length(scope)
        if length is not None and length > limit:
            await JSONResponse({"detail": too_large(limit)}, status_code=413)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # An HTTPException: FastAPI passes it on from its body parsing untouched,
                    # and its handler answers {"detail": ...}.
                    raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, counted, send)


def content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# Pydantic's words for a body that is no JSON object (plain text, a list, a number).
NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})


async def validation_failed(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, with each bad value kept only when it is short."""
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = []
    # A body sent as another content type arrives as bytes, which need not be UTF-8 (b"\xff"):
    # never echoed, as jsonable_encoder would fail to decode them.
    raw = [{k: v for k, v in e.items() if not isinstance(v, bytes)} for e in exc.errors()]
    for error in jsonable_encoder(raw):
        if "input" in error and not echoable(error["input"]):
            error = {key: value for key, value in error.items() if key != "input"}
        if "ctx" in error and not echoable(error["ctx"]):
            error = {key: value for key, value in error.items() if key != "ctx"}
        # A dict's key is part of the place (skills.<key>), and a message may quote a value.
        error["loc"] = [shortened(part) for part in error.get("loc", [])]
        error["msg"] = shortened(error.get("msg", ""))
        if error["loc"] == ["body"] and error.get("type") in NOT_AN_OBJECT:
            error["msg"] = "the body must be a JSON object, sent as Content-Type: application/json"
        errors.append(error)
    return JSONResponse({"detail": errors}, status_code=422)


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own answer to an HTTPException, its message cut short: it may quote a path's
    id, which can be as long as the URL."""
    assert isinstance(exc, HTTPException)
    exc.detail = shortened(exc.detail, 300)
    if exc.status_code == 400 and exc.detail == UNREADABLE_BODY:  # not UTF-8, or too deep
        exc.detail = (
            "the body is not readable JSON: it must be UTF-8 text, with no number of thousands"
            " of digits and no nesting thousands deep"
        )
    return await http_exception_handler(request, exc)


def shortened(value: Any, limit: int = MAX_ECHOED) -> Any:
    """Text cut to `limit` characters (with "…"), so no error sends back a long value."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


def echoable(value: Any) -> bool:
    """Whether a bad value may be sent back as it came: short, and JSON (NaN and Infinity,
    which Python's parser reads, are not)."""
    try:
        return len(json.dumps(value, allow_nan=False)) <= MAX_ECHOED
    except ValueError:
        return False
