"""An editor reworks a published article in a real browser without customers seeing the work:
saved without publishing, found again later, published when ready, or discarded; and a rollback
neither takes unsaved words away nor changes what customers read without asking."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_editor import open_article, open_editor
from tests.helpers import ADMIN_HEADERS

pytestmark = [pytest.mark.browser, pytest.mark.model]

OLD = "Lost tickets are replaced at the station desk."
NEW = "Lost tickets are replaced in the app, under Tickets."


def live_article(url: str, tag: str) -> str:
    """A published article made over the API; its id."""
    article_id = f"lost-ticket-{tag}"
    created = httpx.post(
        f"{url}/api/kb/articles",
        json={
            "id": article_id,
            "title": f"Lost ticket {tag}",
            "body": OLD,
            "questions": ["i lost my train ticket", "ticket gone"],
        },
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    published = httpx.post(
        f"{url}/api/kb/articles/{article_id}/publish", headers=ADMIN_HEADERS, timeout=60
    )
    assert published.status_code == 200, published.text
    return article_id


def customers_read(url: str, article_id: str) -> str:
    return httpx.get(f"{url}/api/kb/articles/{article_id}", timeout=30).json()["body"]


def test_changes_saved_without_publishing_reach_customers_only_when_published(web_app, page, shoot):
    tag = uuid.uuid4().hex[:8]
    article_id = live_article(web_app, tag)
    title = f"Lost ticket {tag}"
    open_editor(page, web_app)
    open_article(page, title)
    expect(page.locator("#changes-note")).to_be_hidden()

    page.fill("#f-body", NEW)
    page.get_by_role("button", name="Save without publishing").click()
    expect(page.locator("#editor-message")).to_have_text(
        "Saved without publishing. Customers still see version 2: publish the changes when"
        " they are ready."
    )
    expect(page.locator("#changes-text")).to_contain_text("You are editing unpublished changes")
    expect(page.locator("#editor-version")).to_have_text("version 2 · unpublished changes open")
    assert customers_read(web_app, article_id) == OLD
    row = page.locator(".article-item", has_text=title)
    expect(row.locator(".status-changes")).to_have_text("unpublished changes")
    shoot(page, "editor-unpublished-changes")

    # Back later: the published text is shown, and the note leads to the changes.
    page.reload()
    open_article(page, title)
    expect(page.locator("#f-body")).to_have_value(OLD)
    expect(page.locator("#changes-text")).to_contain_text(
        "This article has unpublished changes (saved by admin"
    )
    page.get_by_role("button", name="Open the changes").click()
    expect(page.locator("#f-body")).to_have_value(NEW)
    # Enter in a field saves them apart again, never live.
    page.fill("#f-title", f"Lost or stolen ticket {tag}")
    page.locator("#f-title").press("Enter")
    expect(page.locator("#editor-message")).to_contain_text("Saved without publishing.")
    assert customers_read(web_app, article_id) == OLD
    kept = httpx.get(
        f"{web_app}/api/kb/articles/{article_id}/changes", headers=ADMIN_HEADERS, timeout=30
    ).json()
    assert kept["article"]["title"] == f"Lost or stolen ticket {tag}"

    page.get_by_role("button", name="Publish changes").click()
    expect(page.locator("#editor-message")).to_have_text(
        "Published: version 3 holds the changes, live for customers now."
    )
    expect(page.locator("#changes-note")).to_be_hidden()
    expect(page.locator("#editor-heading")).to_have_text(f"Lost or stolen ticket {tag}")
    assert customers_read(web_app, article_id) == NEW
    expect(page.locator(".article-item", has_text=tag).locator(".status-changes")).to_have_count(0)
    assert page.errors == []


def test_discarded_changes_leave_what_customers_read(web_app, page):
    tag = uuid.uuid4().hex[:8]
    article_id = live_article(web_app, tag)
    open_editor(page, web_app)
    open_article(page, f"Lost ticket {tag}")
    page.fill("#f-body", NEW)
    page.get_by_role("button", name="Save without publishing").click()
    expect(page.locator("#changes-note")).to_be_visible()

    page.get_by_role("button", name="Discard the changes").click()  # asked first: kept
    expect(page.locator("#changes-note")).to_be_visible()
    expect(page.locator("#f-body")).to_have_value(NEW)
    assert page.dialogs == [
        "Discard the unpublished changes to this article? Customers keep seeing the published"
        " version."
    ]
    page.dialog_answers = [True]
    page.get_by_role("button", name="Discard the changes").click()
    expect(page.locator("#editor-message")).to_have_text(
        "The unpublished changes are discarded: the article is as published (version 2)."
    )
    expect(page.locator("#f-body")).to_have_value(OLD)
    expect(page.locator("#changes-note")).to_be_hidden()
    assert customers_read(web_app, article_id) == OLD
    gone = httpx.get(
        f"{web_app}/api/kb/articles/{article_id}/changes", headers=ADMIN_HEADERS, timeout=30
    )
    assert gone.status_code == 404
    assert page.errors == []


def test_a_rollback_asks_before_it_drops_unsaved_words_or_goes_live(web_app, page):
    tag = uuid.uuid4().hex[:8]
    article_id = live_article(web_app, tag)
    saved = httpx.put(
        f"{web_app}/api/kb/articles/{article_id}",
        json={"id": article_id, "title": f"Lost ticket {tag}", "body": NEW},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert saved.json()["version"] == 3
    open_editor(page, web_app)
    open_article(page, f"Lost ticket {tag}")
    page.fill("#f-body", "Half-written answer")
    page.get_by_role("button", name="Roll back to version 2").click()  # dismissed: kept
    expect(page.locator("#dirty")).to_have_text("Unsaved changes")
    expect(page.locator("#f-body")).to_have_value("Half-written answer")
    assert page.dialogs == ["Discard your unsaved changes to this article?"]
    assert customers_read(web_app, article_id) == NEW

    page.fill("#f-body", NEW)  # as saved: nothing to lose, but it is live
    page.get_by_role("button", name="Roll back to version 2").click()  # dismissed
    expect(page.locator("#editor-version")).to_have_text("version 3")
    assert page.dialogs[1:] == [
        "Roll back to version 2? Customers are answered with its text at once."
    ]
    assert customers_read(web_app, article_id) == NEW

    page.dialog_answers = [True]
    page.get_by_role("button", name="Roll back to version 2").click()
    expect(page.locator("#editor-message")).to_contain_text("version 4 holds version 2")
    assert customers_read(web_app, article_id) == OLD
    assert page.errors == []


def test_two_editors_never_overwrite_or_publish_kept_changes_unseen(web_app, new_page):
    tag = uuid.uuid4().hex[:8]
    article_id = live_article(web_app, tag)
    title = f"Lost ticket {tag}"
    noor, ben = new_page(), new_page()
    for page in (noor, ben):
        open_editor(page, web_app)
        open_article(page, title)
    noor.fill("#f-body", "Noor's words.")
    noor.get_by_role("button", name="Save without publishing").click()
    expect(noor.locator("#changes-note")).to_be_visible()

    ben.locator(".article-item", has_text=title).click()  # the note is there once reopened
    ben.get_by_role("button", name="Open the changes").click()
    expect(ben.locator("#f-body")).to_have_value("Noor's words.")
    ben.fill("#f-body", "Ben's words.")
    ben.get_by_role("button", name="Save without publishing").click()
    expect(ben.locator("#editor-message")).to_contain_text("Saved without publishing.")

    # Noor's screen still holds the changes as she saved them: hers do not replace Ben's unasked.
    noor.fill("#f-body", "Noor's words, again.")
    noor.get_by_role("button", name="Save without publishing").click()
    expect(noor.locator("#editor-error")).to_contain_text(
        "has other unpublished changes than those you saw (admin saved them"
    )
    kept = f"{web_app}/api/kb/articles/{article_id}/changes"
    assert httpx.get(kept, headers=ADMIN_HEADERS).json()["article"]["body"] == "Ben's words."
    noor.get_by_role("button", name="Save mine over theirs").click()
    expect(noor.locator("#editor-message")).to_contain_text("Saved without publishing.")
    assert httpx.get(kept, headers=ADMIN_HEADERS).json()["article"]["body"] == (
        "Noor's words, again."
    )

    # Ben publishes what his screen shows, which is no longer what is kept: refused.
    ben.get_by_role("button", name="Publish changes").click()
    expect(ben.locator("#editor-error")).to_contain_text(
        "Could not publish the changes: article 'lost-ticket-"
    )
    assert customers_read(web_app, article_id) == OLD

    # A fix published meanwhile: publishing changes begun before it asks first.
    fixed = httpx.put(
        f"{web_app}/api/kb/articles/{article_id}",
        json={"id": article_id, "title": title, "body": "Replaced at the desk, or in the app."},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert fixed.json()["version"] == 3
    noor.locator(".article-item", has_text=title).click()
    expect(noor.locator("#changes-text")).to_contain_text(
        "The published article has changed since they began (version 2 then)"
    )
    noor.get_by_role("button", name="Open the changes").click()
    noor.get_by_role("button", name="Publish changes").click()  # asked, and dismissed
    expect(noor.locator("#changes-note")).to_be_visible()
    assert noor.dialogs == [
        "These changes began from version 2; customers see version 3 now. Publishing them"
        " replaces version 3's text, undoing its changes unless you carried them over (see the"
        " history). Publish them anyway?"
    ]
    assert customers_read(web_app, article_id) == "Replaced at the desk, or in the app."
    noor.dialog_answers = [True]
    noor.get_by_role("button", name="Publish changes").click()
    expect(noor.locator("#editor-message")).to_have_text(
        "Published: version 4 holds the changes, live for customers now."
    )
    assert customers_read(web_app, article_id) == "Noor's words, again."
    assert noor.errors == [] and ben.errors == []
