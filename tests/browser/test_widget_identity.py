"""The widget tells the server who the customer is: the visitor id it keeps in the browser
(the same for every chat from that browser) and the user id and signature the company's page
puts on the script tag. A page with a forged signature still gets its chat."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from conversations.identity import sign
from tests.browser.conftest import CompanySite
from tests.helpers import app_process

pytestmark = [pytest.mark.browser, pytest.mark.model]

SECRET = "company-identity-secret"


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[str]:
    with app_process(
        tmp_path_factory.mktemp("identity"), env={"CASCADE_IDENTITY_SECRET": SECRET}
    ) as url:
        yield url


def company_page(site: str, app: str, path: str, **attributes: str) -> str:
    """A page of the company's site with the widget's one tag on it; returns its address."""
    extra = " ".join(
        f'data-{name.replace("_", "-")}="{value}"' for name, value in attributes.items()
    )
    CompanySite.pages[path] = (
        "<!doctype html><html><body><h1>Tidewater Bank</h1>"
        f'<script src="{app}/widget.js" async data-company="Tidewater Bank" {extra}></script>'
        "</body></html>"
    )
    return site + path


def open_chat_and_capture_start(page, url: str) -> dict:
    """Opens the chat on the page and returns the body the widget started its chat with."""
    page.goto(url)
    with page.expect_response(
        lambda r: r.url.endswith("/api/conversations") and r.request.method == "POST"
    ) as started:
        page.get_by_role("button", name="Chat with us").click()
    assert started.value.status == 201
    page.frame_locator("#cascade-frame").locator(".msg.bot").first.wait_for()
    return json.loads(started.value.request.post_data or "{}")


def test_the_widget_sends_its_visitor_id_and_the_signed_user(app, site, page) -> None:
    url = company_page(site, app, "/account", user_id="cust-42", user_hash=sign("cust-42", SECRET))
    body = open_chat_and_capture_start(page, url)
    customer = body["customer"]
    assert re.fullmatch(r"[0-9a-f]{32}", customer["visitor_id"])
    assert (customer["user_id"], customer["user_hash"]) == ("cust-42", sign("cust-42", SECRET))
    assert body["page_url"] == url

    # A new chat from the same browser carries the same visitor id.
    chat = page.frame_locator("#cascade-frame")
    chat.locator("#menu-button").click()
    with page.expect_request(
        lambda r: r.url.endswith("/api/conversations") and r.method == "POST"
    ) as again:
        chat.locator("#new-chat").click()
    assert (
        json.loads(again.value.post_data or "{}")["customer"]["visitor_id"]
        == (customer["visitor_id"])
    )
    assert page.errors == []


def test_a_forged_signature_still_gets_a_chat(app, site, page) -> None:
    url = company_page(site, app, "/forged", user_id="cust-42", user_hash="0" * 64)
    body = open_chat_and_capture_start(page, url)
    assert body["customer"]["user_hash"] == "0" * 64  # sent as given: the server judges it
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator(".msg.bot").first).to_contain_text("virtual assistant")
    expect(chat.get_by_label("Your message")).to_be_enabled()


def test_a_plain_page_sends_only_the_visitor_id(app, site, page) -> None:
    url = company_page(site, app, "/")
    customer = open_chat_and_capture_start(page, url)["customer"]
    assert set(customer) == {"visitor_id"}
