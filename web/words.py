"""The chat widget's own words (its buttons, headings, status lines and forms), in a language
the widget asks for: the widget holds no sentence of its own, and shows the conversation's
language once the conversation has one (locale/<language>/LC_MESSAGES/widget.po)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from core.deps import SettingsDep
from core.language import DEFAULT, LANGUAGES, supported
from core.words import texts

router = APIRouter(prefix="/api/widget", tags=["widget"])

# Nothing here is a package's error: an unknown locale is answered in the default language.
ERRORS: dict[type[Exception], int] = {}


class WidgetWords(BaseModel):
    language: str = Field(description="The language of `words`")
    matched: bool = Field(
        description="One of the locales asked for is a language Cascade speaks (false: the words "
        "are in the default language)"
    )
    languages: list[str] = Field(description="Every language Cascade speaks")
    words: dict[str, str] = Field(
        description="Key (`widget.<name>`) to text; placeholders are `{name}` fields"
    )
    sends_email: bool = Field(
        description="This server sends email (CASCADE_SMTP_HOST is set): the widget offers the "
        "transcript by email only then"
    )


@router.get("/words", response_model=WidgetWords, summary="The chat widget's interface texts")
def widget_words(
    response: Response,
    settings: SettingsDep,
    locale: Annotated[
        list[str] | None,
        Query(
            max_length=10,
            description="Locales in order of preference (a widget's data-lang, or the browser's "
            "languages); the first Cascade speaks is used",
        ),
    ] = None,
) -> WidgetWords:
    found = next((supported(code) for code in locale or [] if supported(code)), None)
    language = found or DEFAULT
    # The widget's script reads these from the company's own site: public, and the same for all.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return WidgetWords(
        language=language,
        matched=found is not None,
        languages=list(LANGUAGES),
        words=texts(language, "widget"),
        sends_email=bool(settings.smtp_host),
    )
