"""The widget with a bot that answers and resolves: the scripted stand-in for Rasa's REST
channel the dashboard's tests use (`web_app` runs without a bot). The rating after the bot's
own resolution, which asks with no rating buttons (the widget's form asks)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from core.words import say as words
from tests.browser.test_dashboard import StandInRasa, replies_to, stand_in_rasa
from tests.helpers import ADMIN_HEADERS, app_process, conversation_id

pytestmark = [pytest.mark.browser, pytest.mark.model]


class AskingRasa(StandInRasa):
    """The stand-in bot, asking after each answer whether it helped, with Yes and No buttons
    (as the real bot's action does)."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        replies = replies_to(body["message"])
        if any("article_id" in r.get("custom", {}) for r in replies):
            buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
            replies.append({"text": "Did that answer your question?", "buttons": buttons})
        sent = [{"recipient_id": body["sender"], **r} for r in replies]
        self._send(200, json.dumps(sent).encode(), "application/json")


@pytest.fixture(scope="module")
def bot_app(tmp_path_factory) -> Iterator[str]:
    with (
        stand_in_rasa(AskingRasa) as rasa_url,
        app_process(tmp_path_factory.mktemp("widget-bot"), rasa_url=rasa_url) as url,
    ):
        yield url


def say(chat, text: str) -> None:
    chat.get_by_label("Your message").fill(text)
    chat.get_by_label("Your message").press("Enter")


def test_a_score_typed_after_the_bot_resolves_the_chat_is_thanked_once(bot_app, page) -> None:
    page.goto(bot_app + "/demo/site")
    page.get_by_role("button", name="Chat with us").click()
    chat = page.frame_locator("#cascade-frame")
    say(chat, "how do I freeze my card")
    chat.get_by_role("button", name="Yes").click()
    expect(chat.locator("#rating")).to_be_visible()  # the bot's resolution: the form asks
    say(chat, "5")
    thanks = words("en", "chat.csat_thanks")
    expect(chat.locator(".msg.system").last).to_have_text(thanks)
    cid = conversation_id(page)
    view = httpx.get(f"{bot_app}/api/conversations/{cid}", headers=ADMIN_HEADERS, timeout=30)
    assert view.json()["csat"]["score"] == 5
    page.reload()  # drawn from the chat as the server has it, rating included
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator(".msg.system").last).to_have_text(thanks)
    expect(chat.locator("#rating")).to_be_hidden()
    expect(chat.locator("#rated")).to_have_count(0)  # not thanked a second time by the widget
    # Nor once the customer writes on (which opens the chat again): a reply comes, no thanks.
    say(chat, "thanks!")
    expect(chat.locator(".msg.customer").last).to_have_text("thanks!")
    after = chat.locator(".msg:not(#rated)").last  # a reply after it, then
    expect(after).not_to_have_class(re.compile(r"\bcustomer\b"))
    expect(chat.locator("#rated")).to_have_count(0)
    assert page.errors == []
