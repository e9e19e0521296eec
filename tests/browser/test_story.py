"""The whole story in a real browser, with the real Rasa server and the real embedding model:
a customer asks in the widget, the bot answers, the customer says it did not help, the handoff
reaches the agent console, the agent accepts, sees the context and replies, the customer sees it,
the agent resolves and the customer rates. Then an editor publishes an article and the next
customer's question is answered with it."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import conversation_id, open_widget, wait_scrolled_into_view

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.rasa]


def say(chat, text: str) -> None:
    box = chat.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def test_from_the_bot_to_an_agent_and_back_to_a_happy_customer(live, new_page, shoot) -> None:
    http = live.client()
    created = http.post(
        "/api/agents",
        json={"name": "Lena Park", "skills": {"cards": 5}, "max_concurrent": 2},
        headers=live.admin,
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    agent_headers = {"Authorization": f"Bearer {agent['token']}"}
    console = new_page()
    customer = new_page(width=1100, height=800)
    try:
        console.goto(f"{live.url}/console#token={agent['token']}")
        expect(console.locator("#who")).to_have_text("Lena Park")
        console.locator("#agent-status").select_option("online")
        expect(console.locator("#agent-status")).to_have_value("online")

        # The customer asks; the bot answers from the knowledge base and asks if it helped.
        chat = open_widget(customer, live.url)
        say(chat, "how can I lock my card for a while")
        expect(chat.locator(".msg.bot", has_text="Did that answer your question?")).to_be_visible(
            timeout=60_000
        )
        cid = conversation_id(customer)
        answer = http.get(f"/api/conversations/{cid}", headers=live.admin).json()["messages"]
        assert any(m.get("article_id") == "freeze-unfreeze-card" for m in answer)

        # It did not help: "No" until the bot hands over (it may try the next best first).
        asked = chat.locator(".msg.bot", has_text="Did that answer your question?")
        in_line = chat.locator("#queue-position")
        for tries in range(1, 4):
            chat.locator(".msg.bot .buttons button", has_text="No").last.click()
            # Either the customer is in line, or the bot asks again about another answer.
            expect(in_line.or_(asked.nth(tries)).first).to_be_visible(timeout=60_000)
            if in_line.is_visible():
                break
            view = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
            assert view["status"] == "bot"
        expect(in_line).to_have_text(re.compile(r"number \d+ in line"))
        shoot(customer, "story-customer-waiting")

        # The offer reaches the console with its context.
        offer = console.locator(f'.offer[data-conversation="{cid}"]')
        expect(offer).to_be_visible(timeout=30_000)
        offer.get_by_role("button", name="Accept").click()
        pane = console.locator(f'.chat-pane[data-conversation="{cid}"]')
        handoff = pane.locator(".handoff")
        expect(handoff.locator(".attempt").first).to_contain_text("freeze-unfreeze-card")
        expect(handoff).to_contain_text(f"{live.url}/demo/site")
        expect(
            pane.locator(".transcript .msg-customer", has_text="how can I lock my card")
        ).to_be_visible()
        shoot(console, "story-console")

        # The agent replies; the customer sees it, under the agent's name.
        reply = pane.locator("textarea[id^=reply-]")
        reply.fill("Hi, Lena here. You can freeze the card in the app under Card settings.")
        reply.press("Enter")
        agent_bubble = chat.locator(".msg.agent", has_text="Lena here")
        expect(agent_bubble).to_be_visible(timeout=15_000)
        expect(agent_bubble.locator(".from")).to_have_text("Lena Park")
        wait_scrolled_into_view(agent_bubble)  # the log follows new replies
        expect(chat.locator("#agent-banner")).to_contain_text("Lena Park")
        shoot(customer, "story-customer-agent")
        say(chat, "Found it, thank you!")
        expect(pane.locator(".transcript .msg-customer", has_text="Found it")).to_be_visible(
            timeout=15_000
        )

        # The agent resolves; the customer rates the help.
        pane.get_by_role("button", name="Resolve").click()
        expect(chat.locator("#rating")).to_be_visible(timeout=15_000)
        chat.get_by_role("button", name="5 out of 5").click()
        chat.get_by_label("Anything to add? (optional)").fill("Lena was great")
        chat.get_by_role("button", name="Send rating").click()
        expect(chat.locator("#rated")).to_be_visible()
        shoot(customer, "story-customer-rated")
        view = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
        assert view["status"] == "resolved"
        assert view["csat"] == {"score": 5, "comment": "Lena was great"}
        for page in (console, customer):
            assert page.dialogs == [] and page.errors == []
    finally:
        http.put(
            f"/api/agents/{agent['id']}/status", json={"status": "offline"}, headers=agent_headers
        )


def test_an_article_an_editor_publishes_answers_the_next_customer(live, new_page, shoot) -> None:
    http = live.client()
    editor = http.post(
        "/api/tokens", json={"subject": "Noor Haddad", "role": "editor"}, headers=live.admin
    ).json()
    tag = uuid.uuid4().hex[:6]
    title = f"Safe deposit boxes {tag}"
    question = "can I rent a safe deposit box at a branch"

    page = new_page()
    page.goto(f"{live.url}/editor#token={editor['token']}")
    expect(page.locator("#workspace")).to_be_visible()
    page.get_by_role("button", name="New article").click()
    page.keyboard.type(title)
    page.fill("#f-skill", "accounts")
    page.fill(
        "#f-body",
        "Safe deposit boxes can be rented at our city branches from £60 a year. "
        "Book an appointment in the app under Branches.",
    )
    for q in (question, "how much is a safe deposit box", "do you offer safety deposit boxes"):
        page.fill("#f-question", q)
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("#editor-message")).to_contain_text("Draft created")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#editor-status")).to_have_text("published")

    customer = new_page()
    chat = open_widget(customer, live.url)
    say(chat, "do you have safe deposit boxes I can rent")
    expect(chat.locator(".msg.bot", has_text="Safe deposit boxes can be rented")).to_be_visible(
        timeout=60_000
    )
    cid = conversation_id(customer)
    messages = http.get(f"/api/conversations/{cid}", headers=live.admin).json()["messages"]
    article_id = page.locator("#f-id").input_value()
    assert any(m.get("article_id") == article_id for m in messages)
    shoot(customer, "story-new-article-answer")
    # The article's figures count the time it was shown.
    feedback = httpx.get(
        f"{live.url}/api/kb/articles/{article_id}/feedback",
        headers={"Authorization": f"Bearer {editor['token']}"},
        timeout=30,
    ).json()
    assert feedback["shown"] >= 1
