"""The stock rasa-webchat widget (npm, unchanged) in headless Chromium, pointed at Cascade: it
chats with the real Rasa bot, asks for a person, and shows the agent's reply."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.rasa]

SKILLS = {"cards": 3, "accounts": 3, "app": 3, "fraud": 3, "loans": 3, "payments": 3}
HOSTILE = "<img src=x onerror=alert(1)>"


def send(page, text: str) -> None:
    box = page.locator(".rw-new-message")
    box.fill(text)
    box.press("Enter")


def test_rasa_webchat_chats_with_the_bot_then_with_an_agent(live, new_page, shoot) -> None:
    page = new_page(width=1280, height=860)
    blocked: list[str] = []
    page.on(
        "console",
        lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    http = live.client()
    agent = http.post(
        "/api/agents",
        json={"name": "Dana Webb", "skills": SKILLS, "max_concurrent": 3},
        headers=live.admin,
    ).json()
    agent_headers = {"Authorization": f"Bearer {agent['token']}"}
    status = http.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent_headers
    )
    assert status.status_code == 200
    try:
        page.goto(live.url + "/demo/rasa-webchat")
        page.locator(".rw-launcher").click()
        send(page, "how can I lock my card for a while")
        answer = page.locator(".rw-response", has_text=re.compile("freeze", re.I)).first
        answer.wait_for(timeout=60_000)
        expect(page.locator(".rw-client", has_text="how can I lock my card")).to_have_count(1)

        send(page, "I want to talk to a person")
        page.locator(".rw-response", has_text="in line").first.wait_for(timeout=60_000)
        offered = wait_until(
            lambda: http.get(f"/api/agents/{agent['id']}/offers", headers=agent_headers).json(),
            what="the hand-over reaching the agent",
        )
        assert len(offered) == 1
        cid = offered[0]["conversation_id"]
        assert offered[0]["handoff"]["page_url"].endswith("/demo/rasa-webchat")
        accepted = http.post(f"/api/conversations/{cid}/accept", headers=agent_headers)
        assert accepted.status_code == 200, accepted.text
        page.locator(".rw-response", has_text="Dana Webb has joined").wait_for()

        reply = f"Hi, Dana here. I can help with the card. {HOSTILE}"
        sent = http.post(
            f"/api/conversations/{cid}/messages", json={"text": reply}, headers=agent_headers
        )
        assert sent.status_code == 200, sent.text
        shown = page.locator(".rw-response", has_text="Hi, Dana here.")
        expect(shown).to_contain_text(HOSTILE)  # as text, not as an element
        expect(shown.locator("img")).to_have_count(0)
        shoot(page, "rasa-webchat")

        transcript = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
        assert transcript["status"] == "assigned"
        assert [m["text"] for m in transcript["messages"] if m["sender"] == "customer"] == [
            "how can I lock my card for a while",
            "I want to talk to a person",
        ]
        assert page.dialogs == []
        assert page.errors == []
        # What the CSP refuses the stock bundle, none of which the chat needs: its stylesheet
        # @imports the Inter font from Google Fonts (no CDN here; the system font is used), and
        # slick-carousel's arrow icon font comes as a data: URL (font-src is 'self'; Cascade
        # sends no carousels). No eval, no inline script.
        for refused in blocked:
            assert refused.startswith(
                (
                    "Loading the stylesheet 'https://fonts.googleapis.com/css?family=Inter",
                    "Loading the font 'data:application/",
                )
            ), refused
    finally:
        http.put(
            f"/api/agents/{agent['id']}/status", json={"status": "offline"}, headers=agent_headers
        )
        http.close()


def test_rasa_webchat_at_phone_width_with_the_keyboard(live, new_page, shoot) -> None:
    page = new_page(width=375, height=740, mobile=True)
    page.goto(live.url + "/demo/rasa-webchat")
    page.locator(".rw-launcher").focus()  # a real button: Tab reaches it, Enter opens the chat
    page.keyboard.press("Enter")
    box = page.locator(".rw-new-message")
    box.wait_for()
    box.focus()
    page.keyboard.type("how do I change my address")
    page.keyboard.press("Enter")
    answer = page.locator(".rw-response", has_text=re.compile("address", re.I)).first
    answer.wait_for(timeout=60_000)
    width = page.evaluate("document.querySelector('.rw-conversation-container').offsetWidth")
    assert 0 < width <= 375  # the open chat fits the phone's screen
    shoot(page, "rasa-webchat-phone")
    assert page.errors == []
    assert page.dialogs == []
