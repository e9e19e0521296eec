"""Staff sign in on the pages with email and password, sign out, and are asked to sign in again
(with the reason) when their sign-in ends under them."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import ADMIN_HEADERS

pytestmark = [pytest.mark.browser, pytest.mark.model]


def add_staff(url: str, *, name: str, role: str) -> dict:
    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}@example.com"
    made = httpx.post(
        url + "/api/staff", json={"email": email, "name": name, "role": role}, headers=ADMIN_HEADERS
    )
    assert made.status_code == 201, made.text
    return made.json()


def sign_in(page, email: str, password: str) -> None:
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()


def sessions(url: str, account_id: str) -> list[dict]:
    tokens = httpx.get(url + "/api/tokens", headers=ADMIN_HEADERS).json()
    return [t for t in tokens if t["account_id"] == account_id and t["session"]]


def test_an_editor_signs_in_with_email_and_password_and_signs_out(web_app, page, shoot) -> None:
    noor = add_staff(web_app, name="Noor Haddad", role="editor")
    page.goto(web_app + "/editor")
    expect(page.locator("#email")).to_be_focused()

    sign_in(page, noor["email"], "not the password")
    expect(page.get_by_role("alert")).to_have_text("wrong email or password")
    expect(page.locator("#workspace")).to_be_hidden()
    expect(page.locator("#email")).to_have_value(noor["email"])  # kept, to try again

    page.fill("#password", noor["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#who")).to_have_text("Signed in as Noor Haddad")
    assert len(sessions(web_app, noor["id"])) == 1
    shoot(page, "editor-signed-in-with-password")

    page.locator("#sign-out").click()
    expect(page.locator("#email")).to_be_visible()
    expect(page.locator("#workspace")).to_be_hidden()
    assert sessions(web_app, noor["id"]) == []  # ended on the server, not only in the tab
    assert page.errors == []


def test_a_page_whose_sign_in_ends_asks_to_sign_in_again(web_app, page) -> None:
    noor = add_staff(web_app, name="Noor Haddad", role="editor")
    page.goto(web_app + "/editor")
    sign_in(page, noor["email"], noor["password"])
    expect(page.locator("#workspace")).to_be_visible()

    off = httpx.patch(
        f"{web_app}/api/staff/{noor['id']}", json={"active": False}, headers=ADMIN_HEADERS
    )
    assert off.status_code == 200
    page.fill("#list-q", "cards")  # the next call the page makes is refused

    expect(page.get_by_role("alert")).to_have_text(
        "Your sign-in has ended (it expired or was revoked). Sign in again."
    )
    expect(page.locator("#email")).to_be_visible()
    expect(page.locator("#workspace")).to_be_hidden()
    assert page.errors == []


def test_an_account_without_the_role_is_turned_away(web_app, page) -> None:
    sam = add_staff(web_app, name="Sam Ortiz", role="ops")
    page.goto(web_app + "/editor")
    sign_in(page, sam["email"], sam["password"])
    expect(page.get_by_role("alert")).to_have_text("this account does not hold the editor role")
    expect(page.locator("#workspace")).to_be_hidden()
    assert sessions(web_app, sam["id"]) == []  # the session it got is ended, not left behind
    assert page.errors == []
