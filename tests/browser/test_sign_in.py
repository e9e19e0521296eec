"""Staff sign in on the pages with email and password, sign out, and are asked to sign in again
(with the reason) when their sign-in ends under them."""

from __future__ import annotations

import re
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


def end_sessions(url: str, account_id: str) -> None:
    for session in sessions(url, account_id):
        ended = httpx.delete(f"{url}/api/tokens/{session['id']}", headers=ADMIN_HEADERS)
        assert ended.status_code == 204, ended.text


def test_an_editors_unsaved_work_outlives_a_sign_in_that_ended(web_app, page) -> None:
    noor = add_staff(web_app, name="Noor Haddad", role="editor")
    page.goto(web_app + "/editor")
    sign_in(page, noor["email"], noor["password"])
    expect(page.locator("#workspace")).to_be_visible()

    # A new article half-written when the sign-in ends under the page (revoked here; a session
    # that expires is the same): the save is refused, the page asks to sign in again, and
    # does not first ask whether to leave.
    page.locator("#new-article").click()
    page.fill("#f-title", "Travelling abroad with your card")
    page.fill("#f-body", "Tell us **before** you travel.")
    page.fill("#f-question", "I'm going abroad next week")
    page.locator("#f-question").press("Enter")
    page.fill("#f-question", "do I need to tell you")
    end_sessions(web_app, noor["id"])
    page.locator("#save").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Your sign-in has ended (it expired or was revoked). Sign in again."
    )
    assert page.dialogs == []

    sign_in(page, noor["email"], noor["password"])
    expect(page.locator("#editor-message")).to_have_text(
        "Your unsaved changes are back in the form: save them to keep them."
    )
    expect(page.locator("#f-title")).to_have_value("Travelling abroad with your card")
    expect(page.locator("#f-body")).to_have_value("Tell us **before** you travel.")
    expect(page.locator("#question-list")).to_have_text(re.compile("I'm going abroad next week"))
    expect(page.locator("#f-question")).to_have_value("do I need to tell you")
    expect(page.locator("#preview strong")).to_have_text("before")
    page.locator("#save").click()
    expect(page.locator("#editor-message")).to_have_text(
        "Draft created. Customers will not see it until you publish it."
    )
    article_id = page.locator("#f-id").input_value()
    stored = httpx.get(f"{web_app}/api/kb/articles/{article_id}", headers=ADMIN_HEADERS).json()
    assert stored["title"] == "Travelling abroad with your card"
    assert stored["questions"] == ["I'm going abroad next week"]

    # Changes to a saved article, kept the same way, are saved against the version they began
    # from: a colleague's save meanwhile is not overwritten unseen.
    page.fill("#f-body", "Tell us before you travel, in the app.")
    end_sessions(web_app, noor["id"])
    colleague = httpx.put(
        f"{web_app}/api/kb/articles/{article_id}",
        json={**stored, "body": "Tell us before you travel, by phone."},
        headers=ADMIN_HEADERS,
    )
    assert colleague.status_code == 200, colleague.text
    page.fill("#list-q", "travel")  # the next call the page makes is refused
    expect(page.get_by_role("alert")).to_have_text(re.compile("Your sign-in has ended"))
    sign_in(page, noor["email"], noor["password"])
    expect(page.locator("#editor-message")).to_have_text(
        "Your unsaved changes are back in the form: save them to keep them. The article has "
        "changed since you began (it is at version 2 now): saving will say so."
    )
    expect(page.locator("#f-body")).to_have_value("Tell us before you travel, in the app.")
    expect(page.locator("#dirty")).to_have_text("Unsaved changes")
    page.locator("#save").click()
    expect(page.locator("#editor-error")).to_contain_text("it is now at version 2")
    body = httpx.get(f"{web_app}/api/kb/articles/{article_id}", headers=ADMIN_HEADERS).json()
    assert body["body"] == "Tell us before you travel, by phone."

    # Signing out on purpose leaves nothing for whoever signs in next in this tab.
    page.dialog_answers.append(True)  # yes, leave the unsaved changes
    page.locator("#sign-out").click()
    expect(page.locator("#email")).to_be_visible()
    sign_in(page, noor["email"], noor["password"])
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#editor")).to_be_hidden()
    expect(page.locator("#editor-message")).to_have_text("")

    # Nor is work kept for one person given to another who signs in on the tab next.
    page.locator(".article-item", has_text="Travelling abroad").click()
    page.fill("#f-body", "Noor's half-written sentence")
    end_sessions(web_app, noor["id"])
    page.fill("#list-q", "travel")
    expect(page.get_by_role("alert")).to_have_text(re.compile("Your sign-in has ended"))
    ravi = add_staff(web_app, name="Ravi Menon", role="editor")
    sign_in(page, ravi["email"], ravi["password"])
    expect(page.locator("#who")).to_have_text("Signed in as Ravi Menon")
    expect(page.locator("#editor")).to_be_hidden()
    expect(page.locator("#editor-message")).to_have_text("")
    assert page.errors == []


def test_a_browser_that_signed_in_before_is_not_locked_out_by_guesses_from_elsewhere(
    web_app, page, new_page
) -> None:
    noor = add_staff(web_app, name="Noor Haddad", role="editor")
    page.goto(web_app + "/editor")
    sign_in(page, noor["email"], noor["password"])
    expect(page.locator("#workspace")).to_be_visible()
    page.locator("#sign-out").click()
    expect(page.locator("#email")).to_be_visible()

    # Someone guesses her password from a hundred addresses (the app trusts the loopback proxy's
    # X-Forwarded-For, as behind a real one): the account is held up for strangers.
    for n in range(100):
        guess = httpx.post(
            web_app + "/api/auth/sign-in",
            json={"email": noor["email"], "password": "guess guess guess"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        assert guess.status_code == 401, guess.text
    stranger = new_page()
    stranger.goto(web_app + "/editor")
    sign_in(stranger, noor["email"], noor["password"])
    expect(stranger.get_by_role("alert")).to_have_text(
        re.compile(r"^too many failed sign-ins: try again in \d+ s$")
    )

    # Her own browser, which signed in before, is not.
    sign_in(page, noor["email"], noor["password"])
    expect(page.locator("#workspace")).to_be_visible()
    assert page.errors == [] and stranger.errors == []
