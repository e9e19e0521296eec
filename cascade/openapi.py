"""The OpenAPI document as the API really answers.

FastAPI declares every 422 as its own validation error, whose `detail` is a list of problems.
Cascade's own rules (a date written wrongly, an id that does not match its path) answer 422
with `detail` as one sentence. The document says both, so a client generated from it, or a
fuzzer checking answers against it, expects what it gets.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def declare_sentence_errors(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            error = document.get("components", {}).get("schemas", {}).get("HTTPValidationError")
            if error is not None:
                error["properties"]["detail"] = {
                    "title": "Detail",
                    "anyOf": [
                        {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/ValidationError"},
                        },
                        {"type": "string", "description": "What is wrong, in one sentence"},
                    ],
                }
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
