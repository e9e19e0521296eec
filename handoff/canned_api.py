"""HTTP routes for canned responses ({customer_name} is filled in when one is used)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core.language import DEFAULT, LANGUAGES
from core.unstorable import Written
from handoff.api_common import Admin, Agent, DeskDep

router = APIRouter(prefix="/api/canned", tags=["canned responses"])


def _language(code: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(
            f"unknown language {code!r}: Cascade speaks {', '.join(sorted(LANGUAGES))}"
        )
    return code


class CannedIn(BaseModel):
    text: Written
    language: Annotated[str, AfterValidator(_language)] = Field(
        DEFAULT,
        description=f"The language of `text`: {DEFAULT}'s serves every language without its own",
    )


class CannedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    shortcut: str
    text: str
    texts: dict[str, str] = Field(description="Its text in other languages, by language code")


@router.get("", summary="Canned responses ({customer_name} is filled in)")
def list_canned(desk: DeskDep, _: Agent) -> list[CannedOut]:
    return [CannedOut.model_validate(canned) for canned in desk.canned()]


@router.put("/{shortcut}", summary="Create or change a canned response")
def put_canned(shortcut: str, body: CannedIn, desk: DeskDep, _: Admin) -> CannedOut:
    if not shortcut.replace("-", "").replace("_", "").isalnum() or len(shortcut) > 64:
        raise HTTPException(422, "shortcuts are letters, digits, - and _ (at most 64)")
    return CannedOut.model_validate(desk.save_canned(shortcut, body.text, body.language))


@router.delete("/{shortcut}", status_code=204, summary="Remove a canned response")
def delete_canned(shortcut: str, desk: DeskDep, _: Admin) -> Response:
    desk.delete_canned(shortcut)
    return Response(status_code=204)
