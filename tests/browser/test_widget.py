"""The customer's chat widget in headless Chromium: embedded by one script tag, waiting in line,
an agent's name and replies, the ticket number, a rating with a comment, the transcript by email,
a reload that keeps the chat, phone width and the keyboard."""

from __future__ import annotations

import re
import uuid
from email import message_from_bytes

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import (
    ADMIN_HEADERS,
    Customer,
    app_process,
    conversation_id,
    mail_env,
    open_widget,
    wait_held,
    wait_scrolled_into_view,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.model]

XSS = "<img src=x onerror=alert(1)>"
PUBLIC_URL = "https://support.example.com"  # where emails' links point; the tests open them here


@pytest.fixture(scope="module")
def app(tmp_path_factory, mail_sink):
    """Its own app process, so other pages' agents never take these chats."""
    env = {**mail_env(mail_sink), "CASCADE_PUBLIC_URL": PUBLIC_URL}
    with app_process(tmp_path_factory.mktemp("widget"), env=env) as url:
        yield url


@pytest.fixture
def api(app):
    with httpx.Client(base_url=app, headers=ADMIN_HEADERS, timeout=30) as client:
        yield client


@pytest.fixture
def agent(api):
    created = api.post(
        "/api/agents", json={"name": "Priya Raman", "skills": {"general": 3}, "max_concurrent": 2}
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    agent["headers"] = {"Authorization": f"Bearer {agent['token']}"}
    yield agent
    api.put(
        f"/api/agents/{agent['id']}/status", json={"status": "offline"}, headers=agent["headers"]
    )


def say(chat, text):
    chat.get_by_label("Your message").fill(text)
    chat.get_by_label("Your message").press("Enter")


def test_one_script_tag_embeds_a_chat_that_knows_its_page_and_survives_a_reload(
    app, api, page, shoot
):
    chat = open_widget(page, app)
    expect(chat.locator(".msg.bot").first).to_contain_text("virtual assistant")
    expect(chat.locator("#chat-title")).to_have_text("Tidewater Bank")  # data-company
    cid = conversation_id(page)
    assert api.get(f"/api/conversations/{cid}").json()["page_url"] == app + "/demo/site"

    welcome = chat.locator(".msg.bot").first.element_handle()
    say(chat, XSS)
    expect(chat.locator(".msg.customer").first).to_have_text(XSS)  # as text, never an image
    # No bot here (Rasa is down), so the team is told and nobody is online: a ticket.
    banner = chat.locator("#ticket-banner")
    expect(banner).to_be_visible()
    shoot(page, "widget-ticket")
    # Messages are drawn once and new ones added, so a screen reader hears only what is new.
    assert welcome.evaluate("node => node.isConnected")

    stored = api.get(f"/api/conversations/{cid}").json()
    assert stored["messages"][1]["text"] == XSS  # stored before it was answered
    expect(banner).to_contain_text(stored["ticket_id"])
    expect(banner).to_contain_text("We'll reply here, in this chat.")  # no address to email
    say(chat, "you can reach me at ana@example.com")
    expect(banner).to_contain_text("We'll reply by email and here.")
    solved = api.patch(f"/api/tickets/{stored['ticket_id']}", json={"status": "solved"})
    assert solved.status_code == 200, solved.text
    expect(banner).to_have_text(
        f"Ticket {stored['ticket_id']} is solved. Write here if you still need help."
    )

    page.reload()  # left open, the chat opens again by itself
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator(".msg.customer").first).to_have_text(XSS)
    chat.get_by_role("button", name="Close chat").click()
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.reload()  # closed, it stays closed
    launcher.click()
    expect(chat.locator(".msg.customer").first).to_have_text(XSS)
    assert conversation_id(page) == cid
    assert page.dialogs == [] and page.errors == []


def test_waiting_then_an_agent_by_name_then_a_rating_with_a_comment(app, api, agent, page, shoot):
    api.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent["headers"]
    )
    chat = open_widget(page, app)
    cid = conversation_id(page)
    say(chat, "My card was charged twice")

    expect(chat.locator("#queue-position")).to_have_text("You're number 1 in line")
    wait = api.get(f"/api/conversations/{cid}").json()["queue"]["estimated_wait_s"]
    expected = (
        "someone should be with you in a moment"
        if wait < 60
        else f"estimated wait about {round(wait / 60)} min"
    )
    expect(chat.locator("#queue-wait")).to_have_text(f" · {expected}")
    shoot(page, "widget-queue")

    accepted = httpx.post(
        f"{app}/api/conversations/{cid}/accept", headers=agent["headers"], timeout=30
    )
    assert accepted.status_code == 200, accepted.text
    expect(chat.locator("#agent-banner")).to_contain_text("Priya Raman")

    reply = (
        "Hi, I'm Priya. See **Card payments** in [our guide](https://tidewater.example/cards). "
        f"{XSS} [x](javascript:alert(1)) Forms: https://tidewater.example/forms?id=7."
    )
    httpx.post(
        f"{app}/api/conversations/{cid}/messages",
        json={"text": reply, "client_id": "a1"},
        headers=agent["headers"],
        timeout=30,
    )
    bubble = chat.locator(".msg.agent").last
    expect(bubble.locator(".from")).to_have_text("Priya Raman")
    # Each message shows when it was sent, beside its text rather than in it.
    expect(bubble).to_have_attribute("data-time", re.compile(r"^\d{1,2}:\d{2}( [AP]M)?$"))
    wait_scrolled_into_view(bubble)  # the log follows new replies
    expect(bubble.locator(".text")).to_have_text(
        f"Hi, I'm Priya. See Card payments in our guide. {XSS} [x](javascript:alert(1))"
        " Forms: https://tidewater.example/forms?id=7."
    )
    expect(bubble.locator("strong")).to_have_text("Card payments")
    links = bubble.locator("a")
    expect(links).to_have_count(2)  # only http(s) links become links, bare ones too
    expect(links.first).to_have_attribute("href", "https://tidewater.example/cards")
    # A bare address is a link without the full stop that ends the sentence.
    expect(links.last).to_have_attribute("href", "https://tidewater.example/forms?id=7")
    say(chat, "Thanks!")
    wait_until(
        lambda: any(
            m["text"] == "Thanks!" and m["sender"] == "customer"
            for m in api.get(f"/api/conversations/{cid}").json()["messages"]
        ),
        what="the customer's thanks stored",
    )
    shoot(page, "widget-agent")

    resolved = httpx.post(
        f"{app}/api/conversations/{cid}/resolve", headers=agent["headers"], timeout=30
    )
    assert resolved.status_code == 200, resolved.text
    expect(chat.locator("#rating")).to_be_visible()
    chat.get_by_role("button", name="4 out of 5").click()
    chat.get_by_label("Anything to add? (optional)").fill("Quick and kind")
    shoot(page, "widget-rating")
    chat.get_by_role("button", name="Send rating").click()
    chat.locator("#rated").wait_for()
    assert api.get(f"/api/conversations/{cid}").json()["csat"] == {
        "score": 4,
        "comment": "Quick and kind",
    }
    assert page.dialogs == [] and page.errors == []


def with_the_agent(app, api, agent, page):
    """The widget's customer asks for help, waits, and the agent (set online) takes the chat:
    the chat's frame and the conversation's id."""
    api.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent["headers"]
    )
    chat = open_widget(page, app)
    cid = conversation_id(page)
    say(chat, "My card was charged twice")
    expect(chat.locator("#queue-position")).to_be_visible()
    accepted = httpx.post(
        f"{app}/api/conversations/{cid}/accept", headers=agent["headers"], timeout=30
    )
    assert accepted.status_code == 200, accepted.text
    expect(chat.locator("#agent-banner")).to_contain_text("Priya Raman")
    return chat, cid


def test_replies_are_counted_on_the_site_s_next_pages_too(app, api, agent, page) -> None:
    """A customer who closes the chat and goes on browsing the site still sees the agent's
    replies counted on the launcher of each page they open, until they open the chat."""
    chat, cid = with_the_agent(app, api, agent, page)
    chat.get_by_role("button", name="Close chat").click()
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")  # closed, then the next page
    page.reload()  # the site's next page
    expect(page.get_by_role("button", name="Chat with us")).to_be_visible()
    for n, text in enumerate(["Found both charges.", "One is refunded; see it in 3 days."]):
        sent = httpx.post(
            f"{app}/api/conversations/{cid}/messages",
            json={"text": text, "client_id": f"away-{n}"},
            headers=agent["headers"],
            timeout=30,
        )
        assert sent.status_code == 200, sent.text
    expect(page.locator("#cascade-unread")).to_have_text("2")
    page.reload()  # and another: the replies since the customer last looked, still 2
    expect(page.locator("#cascade-unread")).to_have_text("2")
    page.locator("#cascade-launcher").click()
    expect(page.locator("#cascade-unread")).to_be_hidden()
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator(".msg.agent").last).to_contain_text("One is refunded")
    assert conversation_id(page) == cid
    chat.get_by_role("button", name="Close chat").click()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.reload()  # seen now: nothing to count until the agent writes again
    hidden = page.frame_locator("#cascade-frame")  # loaded closed, to count what comes
    expect(hidden.locator(".msg.agent").last).to_contain_text("One is refunded")
    expect(page.locator("#cascade-unread")).to_be_hidden()
    sent = httpx.post(
        f"{app}/api/conversations/{cid}/messages",
        json={"text": "Anything else?", "client_id": "away-2"},
        headers=agent["headers"],
        timeout=30,
    )
    assert sent.status_code == 200, sent.text
    expect(page.locator("#cascade-unread")).to_have_text("1")
    assert page.errors == []


def test_replies_to_a_closed_chat_are_counted_and_the_rating_can_wait(app, api, agent, page):
    chat, cid = with_the_agent(app, api, agent, page)

    # Leaving a chat still going on for a new one asks first; "Cancel" keeps it.
    chat.locator("#menu-button").click()
    chat.get_by_role("menuitem", name="Start a new chat").click()
    assert page.dialogs == [
        "Start a new chat? This chat with our team ends, and they'll be told you left."
    ]
    assert conversation_id(page) == cid

    # Closed, the chat counts the agent's replies on its launcher; opened, it shows the newest.
    chat.get_by_role("button", name="Close chat").click()
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")  # closed before they come
    for n, text in enumerate(["Found both charges.", "One is refunded; see it in 3 days."]):
        httpx.post(
            f"{app}/api/conversations/{cid}/messages",
            json={"text": text, "client_id": f"closed-{n}"},
            headers=agent["headers"],
            timeout=30,
        )
    expect(page.locator("#cascade-unread")).to_have_text("2")
    expect(page.get_by_role("button", name="Chat with us (2)")).to_be_visible()
    page.locator("#cascade-launcher").click()
    expect(page.locator("#cascade-unread")).to_be_hidden()
    wait_scrolled_into_view(chat.locator(".msg.agent").last)
    expect(chat.locator(".msg.agent").last).to_contain_text("One is refunded")
    expect(launcher).to_have_count(1)

    # The rating can wait: "Not now" puts it away, and it stays away after a reload.
    resolved = httpx.post(
        f"{app}/api/conversations/{cid}/resolve", headers=agent["headers"], timeout=30
    )
    assert resolved.status_code == 200, resolved.text
    expect(chat.locator("#rating")).to_be_visible()
    # The chat's message asks the question; the form under it does not ask it again.
    expect(chat.locator("#rating legend")).to_have_text("Your rating, 1 to 5 stars")
    chat.get_by_role("button", name="Not now").click()
    expect(chat.locator("#rating")).to_be_hidden()
    expect(chat.get_by_label("Your message")).to_be_focused()
    page.reload()  # left open, the chat opens again by itself
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator(".msg.agent").last).to_contain_text("One is refunded")
    expect(chat.locator(".msg.system").last).to_contain_text("How would you rate")
    expect(chat.locator("#rating")).to_be_hidden()
    assert api.get(f"/api/conversations/{cid}").json().get("csat") is None

    # A rating typed instead ("5") is thanked once, by the chat's own message.
    say(chat, "5")
    thanks = "Thank you for your feedback!"
    expect(chat.locator(".msg.system").last).to_have_text(thanks)
    assert api.get(f"/api/conversations/{cid}").json()["csat"]["score"] == 5
    page.reload()
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator(".msg.system").last).to_have_text(thanks)
    expect(chat.locator("#rated")).to_have_count(0)
    assert page.errors == []


def test_a_customer_who_starts_a_new_chat_leaves_and_the_agent_is_told(
    app, api, agent, page, new_page
):
    console = new_page()
    console.goto(f"{app}/console#token={agent['token']}")
    chat, cid = with_the_agent(app, api, agent, page)
    pane = console.locator(f'.chat-pane[data-conversation="{cid}"]')
    expect(pane).to_be_visible()

    page.dialog_answers = [True]
    chat.locator("#menu-button").click()
    chat.get_by_role("menuitem", name="Start a new chat").click()
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator(".msg.customer")).to_have_count(0)  # a new chat, reloaded
    assert conversation_id(page) != cid
    assert page.dialogs == [
        "Start a new chat? This chat with our team ends, and they'll be told you left."
    ]
    # The agent sees it at once, and has the slot back; the transcript says so too.
    expect(pane.locator(".banner")).to_contain_text("The customer left: this chat is closed.")
    expect(pane.locator(".chat-status")).to_have_text("abandoned")
    left = api.get(f"/api/conversations/{cid}").json()
    assert left["status"] == "abandoned"
    assert left["messages"][-1]["text"] == "The customer left the chat."
    roster = {a["id"]: a for a in api.get("/api/agents/roster").json()}
    assert roster[agent["id"]]["load"] == 0
    assert page.errors == [] and console.errors == []


def test_the_customer_and_the_agent_see_each_other_typing(app, api, agent, page, new_page):
    console = new_page()
    console.goto(f"{app}/console#token={agent['token']}")
    expect(console.locator(".connection")).to_have_text("● Live")
    chat, cid = with_the_agent(app, api, agent, page)
    expect(chat.locator("html")).to_have_attribute("data-live", "true")
    pane = console.locator(f'.chat-pane[data-conversation="{cid}"]')
    expect(pane).to_be_visible()
    expect(pane.locator(".typing")).to_be_hidden()

    # The customer types: the agent sees it, and it goes once their message comes.
    chat.get_by_label("Your message").fill("It was on the 3rd")
    expect(pane.locator(".typing")).to_have_text("Customer is typing…")
    chat.get_by_label("Your message").press("Enter")
    expect(pane.locator(".msg-customer").last).to_contain_text("It was on the 3rd")
    # Hidden with the message, not by its own 6 s running out.
    expect(pane.locator(".typing")).to_be_hidden(timeout=1000)

    # The agent types: the customer sees who, and it goes once the reply comes.
    reply = pane.get_by_role("textbox", name="Reply to Customer")
    reply.fill("Thanks, one moment")
    expect(chat.locator("#typing")).to_be_visible()
    expect(chat.locator("#typing-text")).to_have_text("Priya Raman is typing…")
    reply.press("Enter")
    expect(chat.locator(".msg.agent").last).to_contain_text("Thanks, one moment")
    expect(chat.locator("#typing")).to_be_hidden(timeout=1000)
    assert page.errors == [] and console.errors == []


def test_a_new_chat_starts_even_when_leaving_the_old_one_gets_no_answer(app, api, agent, page):
    """The server never answers "the customer left": the new chat starts all the same."""
    chat, cid = with_the_agent(app, api, agent, page)
    held = []
    page.route("**/leave", lambda route: held.append(route))  # neither answered nor failed
    page.dialog_answers = [True]
    chat.locator("#menu-button").click()
    chat.get_by_role("menuitem", name="Start a new chat").click()
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator(".msg.customer")).to_have_count(0)  # a new chat, reloaded
    assert len(held) == 1 and conversation_id(page) != cid
    assert page.errors == []


def test_the_menu_offers_a_person_while_the_bot_has_the_chat(app, api, page):
    chat = open_widget(page, app)
    cid = conversation_id(page)
    chat.get_by_role("button", name="More").click()
    chat.get_by_role("menuitem", name="Talk to a person").click()
    expect(chat.get_by_label("Your message")).to_be_focused()  # not lost with the menu
    # The request reaches the app as the bot's own button would send it (no bot here: a ticket).
    expect(chat.locator("#ticket-banner")).to_be_visible()
    assert api.get(f"/api/conversations/{cid}").json()["status"] == "ticketed"
    chat.get_by_role("button", name="More").click()
    expect(chat.get_by_role("menuitem", name="Talk to a person")).to_be_hidden()
    expect(chat.get_by_role("menuitem", name="Start a new chat")).to_be_visible()
    assert page.dialogs == [] and page.errors == []


def test_a_message_sent_while_the_chat_starts_goes_out_once_it_has(app, api, page):
    """A customer quicker than the server: the chat's start is held back while they type and
    press Enter. Their message shows at once and is sent as soon as the chat has started."""
    held = []

    def hold_the_start(route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/conversations", hold_the_start)
    page.goto(app + "/demo/site")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/conversations")):
        page.get_by_role("button", name="Chat with us").click()
    chat = page.frame_locator("#cascade-frame")
    say(chat, "is anyone there? my transfer is missing")
    expect(chat.locator(".msg.customer")).to_have_text("is anyone there? my transfer is missing")
    expect(chat.get_by_label("Your message")).to_have_value("")
    wait_held(page, held)
    held[0].continue_()
    # No bot here: once sent, the message goes to people and the customer is told so.
    expect(chat.locator(".msg.system").first).to_contain_text("passed your message to our team")
    cid = conversation_id(page)
    sent = [m["text"] for m in api.get(f"/api/conversations/{cid}").json()["messages"]]
    assert sent.count("is anyone there? my transfer is missing") == 1
    assert page.dialogs == [] and page.errors == []


def test_a_browser_that_refuses_storage_still_chats(app, api, page):
    """Visitors who block third-party storage: the widget keeps the chat in the page's memory."""
    page.add_init_script(
        """Object.defineProperty(window, 'localStorage', {get() {
             throw new DOMException('storage is blocked', 'SecurityError'); }});"""
    )
    chat = open_widget(page, app)
    say(chat, "hello, is anyone there?")
    expect(chat.locator(".msg.customer").last).to_have_text("hello, is anyone there?")
    assert page.dialogs == [] and page.errors == []


def test_the_transcript_is_emailed(app, page, mail_sink):
    inbox, _ = mail_sink
    chat = open_widget(page, app)
    say(chat, "Where is my new card?")
    chat.locator(".msg.customer").first.wait_for()
    chat.get_by_role("button", name="More").click()
    chat.get_by_role("menuitem", name="Email me the transcript").click()
    chat.get_by_label("Send the transcript to").fill("dana@example.com")
    chat.get_by_label("Send the transcript to").press("Enter")
    chat.get_by_text("On its way to dana@example.com.").wait_for()
    # Sent: the form says so and is put away with one press, the keyboard back in the chat.
    expect(chat.get_by_label("Send the transcript to")).to_be_hidden()
    chat.get_by_role("button", name="OK").click()
    expect(chat.locator("#email-form")).to_be_hidden()
    expect(chat.locator("#input")).to_be_focused()
    # Asked again, it knows the address the chat now has.
    chat.get_by_role("button", name="More").click()
    chat.get_by_role("menuitem", name="Email me the transcript").click()
    expect(chat.get_by_label("Send the transcript to")).to_have_value("dana@example.com")
    chat.get_by_role("button", name="Cancel").click()

    mail = wait_until(
        lambda: next((e for e in inbox.envelopes if e.rcpt_tos == ["dana@example.com"]), None),
        timeout_s=60,
        what="the transcript email",
    )
    body = message_from_bytes(mail.content).get_payload(decode=True).decode()
    assert "You: Where is my new card?" in body


def test_an_address_typed_with_a_japanese_keyboard_is_taken_and_a_bad_one_is_explained(
    app, page, mail_sink
):
    """A Japanese IME types the at-sign full-width (＠): the browser's own check would refuse it
    in its own words; the widget sends it, and a bad address gets the widget's message."""
    inbox, _ = mail_sink
    chat = open_widget(page, app)
    say(chat, "Where is my parcel?")
    chat.locator(".msg.customer").first.wait_for()
    chat.get_by_role("button", name="More").click()
    chat.get_by_role("menuitem", name="Email me the transcript").click()
    chat.get_by_label("Send the transcript to").fill("kenji＠")
    chat.get_by_label("Send the transcript to").press("Enter")
    expect(chat.locator("#email-result")).to_have_text("Please check the email address.")
    chat.get_by_label("Send the transcript to").fill("ｋｅｎｊｉ＠example.com")
    chat.get_by_label("Send the transcript to").press("Enter")
    expect(chat.locator("#email-result")).to_have_text("On its way to kenji@example.com.")
    wait_until(
        lambda: any(e.rcpt_tos == ["kenji@example.com"] for e in inbox.envelopes),
        timeout_s=60,
        what="the transcript email",
    )
    assert page.dialogs == [] and page.errors == []


def test_at_phone_width_the_chat_fills_the_screen_and_works_by_keyboard(app, new_page, shoot):
    page = new_page(width=375, height=740, mobile=True)
    page.goto(app + "/demo/site")
    page.keyboard.press("Tab")
    for _ in range(10):  # the site's links come first; the launcher is last
        if page.evaluate("document.activeElement.id") == "cascade-launcher":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "cascade-launcher"
    page.keyboard.press("Enter")
    chat = page.frame_locator("#cascade-frame")
    chat.locator(".msg.bot").first.wait_for()
    box = page.locator("#cascade-frame").bounding_box()
    assert (box["width"], box["height"]) == (375, 740)
    expect(chat.get_by_label("Your message")).to_be_focused()  # the keyboard is in the box
    page.keyboard.type("Can I use my card abroad?")
    page.keyboard.press("Enter")
    expect(chat.locator(".msg.customer").first).to_have_text("Can I use my card abroad?")
    composer = chat.locator("#composer").bounding_box()
    assert composer["y"] + composer["height"] <= 740
    shoot(page, "widget-phone")
    page.keyboard.press("Escape")
    expect(page.locator("#cascade-launcher")).to_be_visible()
    expect(page.locator("#cascade-launcher")).to_be_focused()


def test_a_message_refused_for_coming_too_fast_says_how_long_to_wait(app, page):
    """The server's rate limit answers 429 with Retry-After: the customer reads the wait, and
    the message stays, marked unsent, to send again."""
    chat = open_widget(page, app)

    def too_fast(route) -> None:
        route.fulfill(
            status=429,
            headers={"Retry-After": "11", "Content-Type": "application/json"},
            body='{"detail": "too many messages: try again in 11 s"}',
        )

    page.route("**/api/conversations/*/messages", too_fast)
    say(chat, "is anyone there?")
    expect(chat.locator("#error")).to_have_text(
        "You're sending messages faster than we can take them. Wait 11 s, then send it again."
    )
    expect(chat.locator(".msg.customer")).to_contain_text("is anyone there?")
    assert page.errors == []


def test_a_full_chat_says_to_start_a_new_one(app, page):
    """A chat that holds as many of the customer's messages as one takes answers 413
    (tests/test_chat_full.py): the customer reads what to do, not "something went wrong"."""
    chat = open_widget(page, app)

    def full(route) -> None:
        route.fulfill(
            status=413,
            headers={"Content-Type": "application/json"},
            body='{"detail": "this chat holds the most messages from the customer one chat takes"}',
        )

    page.route("**/api/conversations/*/messages", full)
    say(chat, "and another thing")
    expect(chat.locator("#error")).to_have_text(
        "This chat can't take more messages. Start a new chat from the menu (⋯) to go on."
    )
    assert page.errors == []


def test_the_link_in_a_ticket_email_opens_that_chat(app, api, page, new_page, mail_sink):
    inbox, _ = mail_sink
    address = f"ana-{uuid.uuid4().hex[:8]}@example.com"
    ana = Customer(api, name="Ana Ruiz", email=address, page_url="https://shop.example/")
    ana.say("My refund never came")
    ticket_id = ana.view()["ticket_id"]
    assert ticket_id  # nobody online (and no bot here): filed at once
    mail = wait_until(
        lambda: next((e for e in inbox.envelopes if e.rcpt_tos == [address]), None),
        timeout_s=60,
        what="the ticket email",
    )
    body = message_from_bytes(mail.content).get_payload(decode=True).decode()
    link = re.search(re.escape(PUBLIC_URL) + r"/chat#\S+", body)[0]

    # Opened (on this machine's address rather than the public one), it is Ana's chat: what she
    # wrote, the ticket, and her next words reach the ticket.
    page.goto(link.replace(PUBLIC_URL, app))
    expect(page.locator(".msg.customer").first).to_have_text(re.compile("My refund never came"))
    expect(page.locator("#chat")).to_contain_text(ticket_id)
    assert "token" not in page.url  # not left in the address, to be bookmarked or shared
    say(page, "It was 40 euros")
    expect(page.locator(".msg.customer").last).to_have_text(re.compile("It was 40 euros"))
    wait_until(
        lambda: (
            api.get(f"/api/tickets/{ticket_id}").json()["transcript"][-2]["text"]
            == "It was 40 euros"
        ),
        what="the message on the ticket",
    )
    page.reload()  # the chat is this browser's now
    expect(page.locator(".msg.customer").last).to_have_text(re.compile("It was 40 euros"))

    # A link that cannot open its chat (ended, or made up) takes nothing from her: the chat
    # this browser has stays, saying the link has ended.
    page.goto(f"{app}/chat?from=mail#conversation={uuid.uuid4().hex}&token=ended")
    expect(page.locator("#error")).to_have_text(
        "The link to your earlier chat has ended. If it's about a ticket, tell us its number here."
    )
    expect(page.locator(".msg.customer").last).to_have_text(re.compile("It was 40 euros"))

    # A link whose chat cannot be opened (ended, or mistyped) starts a new chat, saying why.
    other = new_page()
    other.goto(f"{app}/chat#conversation={ana.id}&token=ended")
    expect(other.locator("#error")).to_have_text(
        "The link to your earlier chat has ended. If it's about a ticket, tell us its number here."
    )
    expect(other.locator(".msg.bot").first).to_be_visible()
    expect(other.locator(".msg.customer")).to_have_count(0)
    assert page.errors == [] and other.errors == []
