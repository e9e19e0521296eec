"""One Markdown rendering: the knowledge editor previews an article exactly as the chat widget
shows it to a customer the bot answers with it (real Rasa, real search, real browser)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.helpers import ADMIN, open_widget

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.rasa]

XSS = "<img src=x onerror=alert(1)>"


def test_the_editor_previews_an_article_as_the_customer_is_shown_it(live, new_page, shoot):
    tag = uuid.uuid4().hex[:6]
    article_id = f"counting-coins-{tag}"
    title = f"Counting coins {tag}"
    question = "can I pay in a jar of coins at a branch"
    body = (
        "We count coins for free at **every branch**: book a slot "
        "[online](https://tidewater.example/coins).\n\n"
        "How it works:\n"
        "1. Bring your coins in a **bag**\n"
        "2. We count them while you wait\n\n"
        "- Up to 5 kg a visit\n"
        "* Notes too\n\n"
        "**Tip:** sort them first.\n"
        "* * *\n"
        f"Never run: {XSS} and [a script](javascript:alert(1))."
    )
    http = live.client()
    created = http.post(
        "/api/kb/articles",
        json={
            "id": article_id,
            "title": title,
            "body": body,
            "questions": [question, "do you have a coin counting machine"],
        },
        headers=live.admin,
    )
    assert created.status_code == 201, created.text
    published = http.post(f"/api/kb/articles/{article_id}/publish", headers=live.admin)
    assert published.status_code == 200, published.text

    editor = new_page()
    editor.goto(f"{live.url}/editor#token={ADMIN}")
    editor.fill("#list-q", title)
    editor.locator(".article-item", has_text=title).click()
    expect(editor.locator("#editor-heading")).to_have_text(title)
    preview = editor.locator("#preview")
    expect(preview.locator("strong").first).to_have_text("every branch")
    expect(preview.locator("ol > li")).to_have_text(
        ["Bring your coins in a bag", "We count them while you wait"]
    )

    customer = new_page()
    chat = open_widget(customer, live.url)
    chat.get_by_label("Your message").fill(question)
    chat.get_by_label("Your message").press("Enter")
    answer = chat.locator(".msg.bot", has_text="We count coins").locator(".text")
    expect(answer).to_be_visible(timeout=60_000)
    shoot(customer, "markdown-widget")
    shoot(editor, "markdown-editor")

    previewed = preview.inner_html()
    assert previewed == (
        "We count coins for free at <strong>every branch</strong>: book a slot "
        '<a href="https://tidewater.example/coins" target="_blank" rel="noopener noreferrer">'
        "online</a>.\n\nHow it works:"
        "<ol><li>Bring your coins in a <strong>bag</strong></li>"
        "<li>We count them while you wait</li></ol>"
        "<ul><li>Up to 5 kg a visit</li><li>Notes too</li></ul>"
        "<strong>Tip:</strong> sort them first.\n"
        "* * *\n"  # a line across, not a list of one
        "Never run: &lt;img src=x onerror=alert(1)&gt; and [a script](javascript:alert(1))."
    )
    # The bot answers with the article's title in bold, then the body drawn the same way.
    assert answer.inner_html() == f"<strong>{title}</strong>\n\n{previewed}"
    for page in (editor, customer):
        assert page.dialogs == [] and page.errors == []
