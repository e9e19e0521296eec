"""The agent console in Chromium against real app processes: an offer with its countdown, a warm
chat with its handoff, replies with canned responses, notes, resolve; an escalation that shows
in the ticket inbox with SLA clocks changing colour; markup shown as text; tokens that are not
an agent's or a supervisor's refused; a phone-width screen worked with the keyboard; an agent's
inbox holding only their tickets and the unassigned ones; a supervisor reading the team's chats.

The chat with knowledge attempts needs the bot, so it runs against `live` (real Rasa). The rest
run against an app of their own with no Rasa (every customer message hands over as
"bot unreachable") and SLA targets of one minute in round-the-clock business hours, so the
clocks pass their warning (75 %) and due instants while the test watches.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.factories import make_agent as make_any_agent
from tests.helpers import ADMIN, ADMIN_HEADERS, Customer, app_process, mail_env, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.model]

BAD = "<img src=x onerror=alert(1)>"
# Colours from console.css: the text colour of a warning and of a breached clock.
WARNING_COLOUR = "rgb(138, 82, 0)"
BREACH_COLOUR = "rgb(179, 38, 30)"
OK_COLOUR = "rgb(28, 124, 60)"
# A push reaches an open page within this, well inside the console's 20-second poll.
PUSHED_WITHIN_MS = 10_000


@dataclass
class App:
    url: str
    data_dir: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)


@pytest.fixture(scope="module")
def console_app(tmp_path_factory, mail_sink) -> Iterator[App]:
    """`cascade serve` with no Rasa, one-minute SLA targets at any hour, offers that wait five
    minutes (a test is never raced by an offer timing out), and email to `mail_sink` (customers
    may ask to be emailed instead of waiting)."""
    data_dir = tmp_path_factory.mktemp("console")
    minutes = json.dumps({"urgent": 1, "high": 1, "normal": 1, "low": 1})
    env = {
        "CASCADE_BUSINESS_HOURS": "always",
        "CASCADE_SLA_FIRST_RESPONSE_MIN": minutes,
        "CASCADE_SLA_RESOLUTION_MIN": json.dumps({"urgent": 5, "high": 5, "normal": 5, "low": 5}),
        "CASCADE_OFFER_TIMEOUT_S": "300",
        **mail_env(mail_sink),
    }
    with app_process(data_dir, env=env) as url:
        yield App(url, data_dir)


def make_agent(http: httpx.Client, name: str, skills: dict[str, int]) -> dict:
    return make_any_agent(http, ADMIN_HEADERS, name, skills)


@pytest.fixture
def on_duty(console_app) -> Iterator[dict]:
    """One online agent for the test, offline again afterwards so later tests route cleanly."""
    with console_app.client() as http:
        agent = make_agent(http, f"Priya {uuid.uuid4().hex[:4]}", {"general": 3})
        yield agent
        http.put(
            f"/api/agents/{agent['id']}/status",
            json={"status": "offline"},
            headers=agent["headers"],
        )


def open_console(page, url: str, token: str):
    page.goto(f"{url}/console#token={token}")
    expect(page.locator("#who")).to_be_visible()
    expect(page.locator(".connection")).to_have_text("● Live")
    return page


def offer_card(page, conversation_id: str):
    return page.locator(f'.offer[data-conversation="{conversation_id}"]')


def add_note(http: httpx.Client, ticket_id: str, text: str, headers: dict) -> None:
    """An internal note on the ticket, written by whoever `headers` sign in."""
    noted = http.post(f"/api/tickets/{ticket_id}/notes", json={"text": text}, headers=headers)
    assert noted.status_code == 201, noted.text


def offered_to(http: httpx.Client, agent: dict) -> list[str]:
    """The chats on offer to `agent` now, by the API."""
    offers = http.get(f"/api/agents/{agent['id']}/offers", headers=agent["headers"])
    return [offer["conversation_id"] for offer in offers.json()]


def chat_pane(page, conversation_id: str):
    return page.locator(f'.chat-pane[data-conversation="{conversation_id}"]')


@pytest.mark.rasa
def test_an_agent_takes_a_warm_chat_from_offer_to_resolve(live, page, shoot) -> None:
    http = live.client()
    agent = make_agent(http, "Priya Raman", {"cards": 5})
    canned = http.put(
        "/api/canned/lookingnow",
        json={"text": "Hi {customer_name}, I'm looking at this now."},
        headers=live.admin,
    )
    assert canned.status_code == 200
    try:
        open_console(page, live.url, agent["token"])
        expect(page.locator("#who")).to_have_text("Priya Raman")
        expect(page.locator("#agent-status")).to_have_value("online")

        sam = Customer(
            http,
            name="Sam Lee",
            email="sam@example.com",
            page_url="https://tidewater.example/cards",
        )
        assert sam.say("how can I lock my card for a while")["status"] == "bot"
        assert sam.say("can I speak to a real person please")["status"] == "queued"

        offer = offer_card(page, sam.id)
        expect(offer).to_be_visible()  # pushed over socket.io, no reload
        expect(offer.locator("h3")).to_have_text("Sam Lee")
        expect(offer).to_contain_text("The customer asked for a person")
        countdown = offer.locator(".countdown")
        expect(countdown).to_have_text(re.compile(r"^Offer ends in \d+ s$"))
        first = int(re.findall(r"\d+", countdown.inner_text())[0])
        assert 0 < first <= 30  # the app's offer timeout
        shoot(page, "console-offer")
        # It counts down without a reload: a smaller number shows.
        fewer = "|".join(str(n) for n in range(1, first))
        expect(countdown).to_have_text(re.compile(rf"^Offer ends in ({fewer}) s$"))

        offer.get_by_role("button", name="Accept").click()
        pane = chat_pane(page, sam.id)
        expect(pane).to_be_visible()
        expect(offer).to_have_count(0)
        handoff = pane.locator(".handoff")
        expect(handoff).to_contain_text("The customer asked for a person")
        expect(handoff).to_contain_text('Sam Lee asked: "how can I lock my card for a while"')
        expect(handoff.locator(".attempt").first).to_contain_text("freeze-unfreeze-card")
        expect(handoff.locator(".attempt").first).to_contain_text(re.compile(r"score 0\.\d\d"))
        expect(handoff.locator("a[href='https://tidewater.example/cards']")).to_be_visible()
        expect(handoff).to_contain_text("sam@example.com")

        transcript = pane.locator(".transcript")
        asked = transcript.locator(".msg-customer", has_text="how can I lock my card for a while")
        expect(asked.locator(".who")).to_have_text("Customer")
        expect(transcript.locator(".msg-bot").first.locator(".who")).to_have_text("Bot")
        expect(transcript.locator(".msg-system").last).to_have_text(
            re.compile("Priya Raman has joined the chat")
        )

        # A new customer message arrives live.
        sam.say("it's probably at home somewhere")
        expect(
            transcript.locator(".msg-customer", has_text="it's probably at home somewhere")
        ).to_be_visible()

        # "/shortcut" then Tab inserts the canned response, with the customer's first name.
        reply = pane.locator("textarea[id^=reply-]")
        expect(reply).to_be_focused()
        reply.type("/lookingnow")
        expect(pane.locator(".hint")).to_have_text("Tab or Enter inserts /lookingnow")
        reply.press("Tab")
        expect(reply).to_have_value("Hi Sam, I'm looking at this now.")
        reply.press("Enter")
        sent = transcript.locator(".msg-agent", has_text="Hi Sam, I'm looking at this now.")
        expect(sent.locator(".who")).to_have_text("Agent · Priya Raman")
        expect(reply).to_have_value("")

        # Shift+Enter is a new line; Enter sends both lines as one message.
        reply.type("Is the card lost")
        reply.press("Shift+Enter")
        reply.type("or just misplaced?")
        reply.press("Enter")
        expect(transcript.locator(".msg-agent")).to_have_count(2)
        agent_texts = [m["text"] for m in sam.view()["messages"] if m["sender"] == "agent"]
        assert agent_texts == [
            "Hi Sam, I'm looking at this now.",
            "Is the card lost\nor just misplaced?",
        ]

        # A reply the server never got says so in words, and stays in the box to send again.
        page.route("**/api/conversations/*/messages", lambda route: route.abort())
        reply.fill("Are you still there?")
        reply.press("Enter")
        expect(pane.get_by_role("alert")).to_have_text(
            "Not sent: the server could not be reached; check the connection and try again"
        )
        expect(reply).to_have_value("Are you still there?")
        page.unroute("**/api/conversations/*/messages")
        reply.fill("")

        # Picking a canned response from the list inserts it too.
        pane.locator(".canned-picker").select_option("lookingnow")
        expect(reply).to_have_value("Hi Sam, I'm looking at this now.")
        reply.fill("")

        note = pane.locator("textarea[id^=note-]")
        note.fill("Card likely at home; offered a temporary lock.")
        pane.get_by_role("button", name="Add note").click()
        expect(pane.locator(".notes .note")).to_contain_text(
            "Card likely at home; offered a temporary lock."
        )
        stored = http.get(f"/api/conversations/{sam.id}/notes", headers=agent["headers"]).json()
        assert [n["text"] for n in stored] == ["Card likely at home; offered a temporary lock."]
        assert "Card likely at home" not in json.dumps(sam.view())  # private
        shoot(page, "console-chat")

        pane.get_by_role("button", name="Resolve").click()
        expect(pane.locator(".banner")).to_contain_text("Resolved")
        expect(reply).to_be_disabled()
        assert sam.view()["status"] == "resolved"
        assert page.errors == []
    finally:
        http.put(
            f"/api/agents/{agent['id']}/status",
            json={"status": "offline"},
            headers=agent["headers"],
        )


def test_an_escalation_lands_in_the_inbox_with_sla_clocks_that_change_colour(
    console_app, on_duty, page, shoot
) -> None:
    http = console_app.client()
    open_console(page, console_app.url, on_duty["token"])
    ana = Customer(http, name="Ana Ruiz", email="ana@example.com", page_url="https://shop.example/")
    assert ana.say("I want to talk to a person about my refund")["status"] == "queued"
    offer_card(page, ana.id).get_by_role("button", name="Accept").click()
    pane = chat_pane(page, ana.id)
    expect(pane.locator(".handoff")).to_contain_text("The bot was unreachable")
    expect(pane.locator(".handoff")).to_contain_text("https://shop.example/")

    pane.get_by_role("button", name="Escalate to ticket").click()
    pane.locator("textarea[id^=escalate-note-]").fill("Refund needs the payments team.")
    pane.get_by_label("Follow it up myself").check()
    pane.get_by_role("button", name="File ticket").click()
    banner = pane.locator(".banner")
    expect(banner).to_contain_text(re.compile(r"Filed as ticket T-\d+"))
    ticket_id = re.search(r"T-\d+", banner.inner_text()).group(0)
    assert ana.view()["status"] == "ticketed"
    clocks = http.get(f"/api/tickets/{ticket_id}/sla", headers=ADMIN_HEADERS).json()
    warning_at = datetime.fromisoformat(clocks["first_response"]["warning_at"])
    due = datetime.fromisoformat(clocks["first_response"]["due"])
    assert (due - warning_at).total_seconds() == pytest.approx(15, abs=1)  # 75 % of a minute

    banner.get_by_role("button", name=f"Open ticket {ticket_id}").click()
    expect(page.locator("#tickets-view")).to_be_visible()
    row = page.locator(f'.ticket-item[data-ticket="{ticket_id}"]')
    expect(row.locator(".lang-badge")).to_have_attribute("data-language", "en")
    first = row.locator('.sla[data-metric="first_response"]')
    resolution = row.locator('.sla[data-metric="resolution"]')
    expect(first).to_have_attribute("data-state", "ok")
    expect(first).to_have_text(re.compile(r"^First response: due in \d+ s$"))
    expect(first).to_have_css("color", OK_COLOUR)
    ticket = page.locator("#ticket-pane")
    expect(ticket.locator("h2")).to_have_text(f"Ticket {ticket_id}")
    expect(ticket.locator(".transcript .msg-customer").first).to_have_text(
        re.compile("I want to talk to a person about my refund")
    )
    expect(ticket.locator(".notes")).to_contain_text("Refund needs the payments team.")
    expect(ticket.locator("p.muted", has_text=" · filed ")).to_contain_text(
        f"assigned to {on_duty['name']}"
    )
    expect(ticket.locator('label[for="ticket-reply"]')).to_have_text(
        "Reply to the customer (in the chat and by email to ana@example.com)"
    )

    # The clock passes its warning instant: the badge turns amber without a reload, and the
    # app's own view of the ticket says "warning" too.
    wait_s = (warning_at - datetime.now(UTC)).total_seconds()
    expect(first).to_have_attribute("data-state", "warning", timeout=(max(wait_s, 0) + 20) * 1000)
    expect(first).to_have_css("color", WARNING_COLOUR)
    expect(first).to_have_text(re.compile(r"^⚠ First response: due in \d+ s$"))
    assert http.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()["sla"][
        "first_response"
    ]["state"] in ("warning", "breached")
    expect(resolution).to_have_attribute("data-state", "ok")

    wait_s = (due - datetime.now(UTC)).total_seconds()
    expect(first).to_have_attribute("data-state", "breached", timeout=(max(wait_s, 0) + 20) * 1000)
    expect(first).to_have_css("color", BREACH_COLOUR)
    expect(first).to_have_text(re.compile(r"^⚠ First response: overdue by \d+ s$"))
    server = http.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()
    assert server["sla"]["first_response"]["state"] == "breached"
    shoot(page, "console-tickets")

    # A reply from the ticket view reaches the customer and stops the first-response clock.
    ticket.locator("#ticket-reply").fill("We've asked payments; you'll hear back today.")
    ticket.get_by_role("button", name="Send reply").click()
    expect(ticket.locator(".tag.status-pending")).to_be_visible()
    expect(ticket.locator('.sla[data-metric="first_response"]')).to_have_attribute(
        "data-state", "missed"
    )
    assert ana.view()["messages"][-1]["text"] == "We've asked payments; you'll hear back today."
    ticket.get_by_role("button", name="Change status").click()  # no new status picked yet
    expect(ticket.get_by_role("alert")).to_have_text("Pick the new status first.")
    # The pane drawn again meanwhile (a colleague adds a note) still says what is missing, and
    # not as a new alert, which a screen reader would read out again with every such change.
    add_note(http, ticket_id, "Payments say Monday.", ADMIN_HEADERS)
    expect(ticket.locator(".notes")).to_contain_text("Payments say Monday.")
    expect(ticket.locator("#ticket-error")).to_have_text("Pick the new status first.")
    expect(ticket.get_by_role("alert")).to_have_count(0)
    expect(ticket.locator("#ticket-status")).to_be_focused()
    # Pressed again, it is said again.
    ticket.get_by_role("button", name="Change status").click()
    expect(ticket.get_by_role("alert")).to_have_text("Pick the new status first.")
    ticket.locator("#ticket-status").select_option("solved")
    ticket.get_by_role("button", name="Change status").click()
    expect(ticket.locator(".ticket-head .tag.status-solved")).to_be_visible()
    assert http.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()["status"] == "solved"

    # The customer disagrees while the agent is writing a note: the open ticket shows it at
    # once (reopened, with the message), and the note being written is still there.
    ticket.locator("#ticket-note").fill("Checked with payments at 10:00")
    ana.say("Wait, the money still hasn't come back.")
    expect(ticket.locator(".ticket-head .tag.status-open")).to_be_visible()
    expect(ticket.locator(".transcript .msg-customer").last).to_contain_text(
        "the money still hasn't come back"
    )
    expect(ticket.locator("#ticket-note")).to_have_value("Checked with payments at 10:00")
    expect(ticket.locator("#ticket-reply")).to_have_value("")  # the reply sent is not back
    # Nor does a reload lose it (nor a sign-in that ended, which reloads the page): the ticket
    # opened again has the note being written, and the status picked, where they were.
    ticket.locator("#ticket-status").select_option("pending")
    page.reload()
    expect(page.locator(".connection")).to_have_text("● Live")  # the console has loaded
    page.locator("#view-tickets").click()
    expect(row.locator(".clocks")).to_contain_text("Resolution")  # the inbox is drawn
    # The inbox is drawn again as the ticket's SLA events come in, and a click that lands on a
    # row as it is replaced opens nothing: clicked until the ticket is open.
    wait_until(
        lambda: row.locator(".ticket-row").click() or ticket.locator("h2").count() == 1,
        what="the ticket open again",
    )
    expect(ticket.locator("h2")).to_have_text(f"Ticket {ticket_id}")
    expect(ticket.locator("#ticket-note")).to_have_value("Checked with payments at 10:00")
    expect(ticket.locator("#ticket-status")).to_have_value("pending")
    expect(ticket.locator("#ticket-reply")).to_have_value("")
    ticket.locator("#ticket-status").select_option("")
    ana.say("It was 40 euros.")  # the ticket stays open: the message alone is heard of
    expect(ticket.locator(".transcript .msg-customer").last).to_contain_text("It was 40 euros.")
    # A new address given on the ticket shows in its handoff panel, not the one handed over.
    ana.say("Please write to ana.ruiz@example.org instead")
    expect(ticket.locator(".handoff")).to_contain_text("ana.ruiz@example.org")
    # Closed, it takes no more replies: the box gives way to saying so.
    ticket.locator("#ticket-status").select_option("closed")
    ticket.get_by_role("button", name="Change status").click()
    expect(ticket.locator(".ticket-head .tag.status-closed")).to_be_visible()
    expect(ticket.locator("#ticket-reply")).to_have_count(0)
    expect(ticket.locator("#ticket-closed")).to_have_text(
        "This ticket is closed: no more replies can be sent on it."
    )
    assert page.errors == []


def test_markup_a_customer_writes_shows_as_text(console_app, on_duty, page) -> None:
    http = console_app.client()
    open_console(page, console_app.url, on_duty["token"])
    page_url = "https://shop.example/help?q=<img src=x onerror=alert(1)>"  # only http(s) taken
    customer = Customer(http, name=BAD, email="x@example.com", page_url=page_url)
    assert customer.say(BAD)["status"] == "queued"
    offer = offer_card(page, customer.id)
    expect(offer.locator("h3")).to_have_text(BAD)
    offer.get_by_role("button", name="Accept").click()
    pane = chat_pane(page, customer.id)
    expect(pane.locator(".transcript .msg-customer .text")).to_have_text(BAD)
    summary = pane.locator(".handoff dd").nth(1)
    expect(summary).to_contain_text(f'asked: "{BAD}"')
    expect(pane.locator(".handoff")).to_contain_text(page_url)  # as text, not markup
    expect(pane.locator(".handoff a")).to_have_attribute("href", re.compile(r"^https://"))
    customer.say(f"still there? {BAD}")
    expect(pane.locator(".transcript .msg-customer .text").last).to_have_text(f"still there? {BAD}")
    # Markdown a customer types stays as typed; an agent's (or the bot's) shows as they saw it.
    customer.say("**not bold**")
    expect(pane.locator(".transcript .msg-customer .text").last).to_have_text("**not bold**")
    sent = http.post(
        f"/api/conversations/{customer.id}/messages",
        json={"text": "See **Card payments**", "client_id": "md-1"},
        headers=on_duty["headers"],
    )
    assert sent.status_code == 200, sent.text
    expect(pane.locator(".transcript .msg-agent .text strong").last).to_have_text("Card payments")
    # Shown as text: no element was made of it, so no handler of it can run.
    expect(page.locator("img")).to_have_count(0)
    assert page.dialogs == []
    assert page.errors == []


def test_only_an_agents_or_a_supervisors_token_opens_the_console(console_app, page) -> None:
    http = console_app.client()
    customer = http.post("/api/conversations", json={}).json()
    page.goto(f"{console_app.url}/console#token={customer['token']}")
    expect(page.get_by_role("alert")).to_have_text(
        "this token does not hold the agent or supervisor role"
    )
    expect(page.locator("#who")).to_have_count(0)

    editor = http.post(
        "/api/tokens",
        json={"subject": "Noor Haddad", "role": "editor"},
        headers=ADMIN_HEADERS,
    ).json()["token"]
    # A page of its own: on the same page, only the address's #token part would change, and the
    # customer token's note still showing would pass for the editor token's.
    page.goto("about:blank")
    page.goto(f"{console_app.url}/console#token={editor}")
    expect(page.locator("#token")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "this token does not hold the agent or supervisor role"
    )
    page.fill("#token", "not-a-token")
    page.press("#token", "Enter")
    # That sign-in's answer first: typed over while it is on its way, the next one races it.
    expect(page.get_by_role("alert")).to_have_text("unknown or revoked token")
    expect(page.locator("#who")).to_have_count(0)

    # The admin token holds the agent role but is nobody's: it gets the inbox and a clear note.
    page.fill("#token", ADMIN)
    page.press("#token", "Enter")
    expect(page.locator("#who")).to_have_text("Admin")
    expect(page.locator("#view-tickets")).to_have_attribute("aria-current", "page")
    page.locator("#view-chats").click()
    expect(page.get_by_role("note")).to_contain_text("Chats need an agent's own token")
    expect(page.locator("#agent-status")).to_have_count(0)
    assert page.errors == []


def test_a_link_with_another_token_opened_in_the_same_tab_signs_in_with_it(
    console_app, page
) -> None:
    """Only the address's #token= part changes, so the browser does not load the page again by
    itself; the console does, and the link's token wins over the one the tab kept."""
    with console_app.client() as http:
        ana, ben = (
            make_any_agent(http, ADMIN_HEADERS, f"{name} {uuid.uuid4().hex[:4]}", online=False)
            for name in ("Ana", "Ben")
        )
    page.goto(f"{console_app.url}/console#token={ana['token']}")
    expect(page.locator("#who")).to_have_text(ana["name"])
    page.goto(f"{console_app.url}/console#token={ben['token']}")
    expect(page.locator("#who")).to_have_text(ben["name"])
    page.reload()  # the tab keeps the token it signed in with last
    expect(page.locator("#who")).to_have_text(ben["name"])
    assert page.errors == []


def test_two_chats_at_phone_width_with_the_keyboard_only(
    console_app, on_duty, new_page, shoot
) -> None:
    page = new_page(width=375, height=740, mobile=True)
    http = console_app.client()
    open_console(page, console_app.url, on_duty["token"])
    first = Customer(http, name="Lee Chan", email="lee@example.com", page_url="https://a.example/")
    second = Customer(http, name="Mo Diaz", email="mo@example.com", page_url="https://b.example/")
    first.say("I need a human please")
    second.say("a person please")
    expect(page.locator(".offer")).to_have_count(2)
    expect(page.locator("#view-chats .offer-count")).to_have_text("2 offered")
    expect(page).to_have_title("(2) Cascade: agent console")  # seen from another browser tab

    # Reach the first offer's Accept button with Tab alone, and press Enter. What has focus is
    # read in one step: the offers may be redrawn (a push) between two reads.
    on_accept = f"""() => {{
        const e = document.activeElement;
        return e.textContent === "Accept" && !!e.closest('.offer[data-conversation="{first.id}"]');
    }}"""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(on_accept):
            break
    else:
        pytest.fail("Tab never reached the Accept button")
    # A third chat offered now draws the offers again: the focus stays on the same button, and
    # the card is the one it was (a mouse press begun on it before the redraw still lands).
    card = offer_card(page, first.id).element_handle()
    third = Customer(http, name="Ana Ruiz", email="ana@example.com", page_url="https://c.example/")
    third.say("can I talk to someone")
    expect(page.locator(".offer")).to_have_count(3)
    assert page.evaluate(on_accept), "a redraw of the offers moved the keyboard's focus"
    assert card.evaluate("node => node.isConnected"), "a redraw replaced an unchanged offer"
    page.keyboard.press("Enter")
    first_reply = chat_pane(page, first.id).locator("textarea[id^=reply-]")
    expect(first_reply).to_be_focused()
    page.keyboard.type("Hello Lee, how can I help?")
    page.keyboard.press("Enter")
    expect(chat_pane(page, first.id).locator(".msg-agent")).to_have_text(
        re.compile("Hello Lee, how can I help?")
    )
    expect(first_reply).to_have_value("")  # sent: the box is empty again (the push may come first)

    offer_card(page, second.id).get_by_role("button", name="Accept").focus()
    page.keyboard.press("Enter")
    expect(chat_pane(page, second.id)).to_be_visible()
    expect(chat_pane(page, first.id)).to_be_hidden()
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(2)
    # Each tab says what its customer asked, under the name.
    expect(page.locator(".chat-tab .tab-subject")).to_have_text(
        ["I need a human please", "a person please"]
    )

    # A customer message in the chat not on screen shows as unread on its tab.
    first.say("my parcel never arrived")
    expect(page.locator(f'.chat-tab[data-conversation="{first.id}"] .unread')).to_have_text("1 new")
    expect(page).to_have_title("(2) Cascade: agent console")  # the third chat's offer, and this
    page.locator(f'.chat-tab[data-conversation="{second.id}"]').focus()
    page.keyboard.press("ArrowLeft")
    expect(chat_pane(page, first.id)).to_be_visible()
    expect(chat_pane(page, first.id).locator(".msg-customer").last).to_have_text(
        re.compile("my parcel never arrived")
    )
    expect(page.locator(f'.chat-tab[data-conversation="{first.id}"] .unread')).to_be_hidden()
    expect(page).to_have_title("(1) Cascade: agent console")

    expect(page.locator("#view-chats")).to_have_text(re.compile(r"^Chats\s*2\s*1 offered$"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide at a 375 px screen"
    assert [m["sender"] for m in first.view()["messages"]][-2:] == ["agent", "customer"]
    shoot(page, "console-phone")
    assert page.errors == []
    for step in ("accept", "resolve"):  # the third chat leaves the queue for the later tests
        done = http.post(
            f"/api/conversations/{third.id}/{step}", json={}, headers=on_duty["headers"]
        )
        assert done.status_code == 200, done.text


def test_status_switch_and_transfer_to_a_colleague(console_app, on_duty, page) -> None:
    http = console_app.client()
    colleague = make_agent(http, "Tom Whitfield", {"billing": 4})
    shop = make_agent(http, f"佐藤 {uuid.uuid4().hex[:4]}", {"returns": 3})
    speaks = http.patch(
        f"/api/agents/{shop['id']}", json={"languages": ["ja"]}, headers=ADMIN_HEADERS
    )
    assert speaks.status_code == 200
    try:
        open_console(page, console_app.url, on_duty["token"])
        status = page.locator("#agent-status")
        status.select_option("away")
        expect(page.locator("#offers")).to_contain_text("You are away: go online to get offers.")
        me = http.get(f"/api/agents/{on_duty['id']}", headers=on_duty["headers"]).json()
        assert me["status"] == "away"
        status.select_option("online")
        expect(page.locator("#offers")).to_contain_text("No offers right now.")

        # Tom is online too: take the chat before routing can offer it to him.
        http.put(
            f"/api/agents/{colleague['id']}/status",
            json={"status": "away"},
            headers=colleague["headers"],
        )
        kim = Customer(
            http, name="Kim Park", email="kim@example.com", page_url="https://c.example/"
        )
        kim.say("a person please, it's about my invoice")
        offer_card(page, kim.id).get_by_role("button", name="Accept").click()
        http.put(
            f"/api/agents/{colleague['id']}/status",
            json={"status": "online"},
            headers=colleague["headers"],
        )
        pane = chat_pane(page, kim.id)
        expect(pane).to_be_visible()  # the chat is the agent's: it is open in the console
        # Going offline with Kim's chat open asks first; "Cancel" keeps the agent online.
        status.select_option("offline")
        expect(status).to_have_value("online")
        assert page.dialogs == [
            "You have 1 open chat. Going offline passes it on: it goes back in the queue for a"
            " colleague, and the customer is told. To keep it while you step away, choose"
            " Away. Go offline anyway?"
        ]
        me = http.get(f"/api/agents/{on_duty['id']}", headers=on_duty["headers"]).json()
        assert me["status"] == "online"
        pane.get_by_role("button", name="Transfer").click()
        pane.locator("select[id^=transfer-skill-]").select_option("billing")
        to_agent = pane.locator("select[id^=transfer-agent-]")
        expect(to_agent.locator(f'option[value="{colleague["id"]}"]')).to_have_text(
            "Tom Whitfield (billing; English; 0/3)"
        )
        # A colleague who chats only in Japanese may be named, and the console says so.
        expect(to_agent.locator(f'option[value="{shop["id"]}"]')).to_have_text(
            f"{shop['name']} (returns; Japanese · 日本語, not the customer's language; 0/3)"
        )
        to_agent.select_option(colleague["id"])
        pane.locator("textarea[id^=transfer-note-]").fill("Invoice question: billing knows best.")
        pane.get_by_role("button", name="Transfer", exact=True).last.click()
        expect(pane.locator(".banner")).to_contain_text("Transferred to Tom Whitfield")
        expect(pane.locator(".chat-status")).to_have_text("transferred")  # not "assigned"
        offered = http.get(
            f"/api/agents/{colleague['id']}/offers", headers=colleague["headers"]
        ).json()
        assert [(o["conversation_id"], o["skill"]) for o in offered] == [(kim.id, "billing")]
        notes = http.get(f"/api/conversations/{kim.id}/notes", headers=colleague["headers"]).json()
        assert notes[-1]["text"] == "Transfer note: Invoice question: billing knows best."
        pane.get_by_role("button", name="Close this chat").click()
        expect(pane).to_have_count(0)
        assert page.errors == []
    finally:
        for agent in (colleague, shop):
            http.put(
                f"/api/agents/{agent['id']}/status",
                json={"status": "offline"},
                headers=agent["headers"],
            )


def take_and_resolve(page, http: httpx.Client, on_duty: dict, card, conversation_id: str) -> None:
    """Accept the offer `card` in the console, see the chat open as the agent's, resolve it."""
    card.get_by_role("button", name="Accept").click()
    expect(chat_pane(page, conversation_id).locator(".chat-status")).to_have_text("assigned")
    done = http.post(
        f"/api/conversations/{conversation_id}/resolve", json={}, headers=on_duty["headers"]
    )
    assert done.status_code == 200, done.text


def test_an_offer_a_colleague_transferred_says_who_and_why(console_app, on_duty, page) -> None:
    http = console_app.client()
    tom = make_agent(http, "Tom Whitfield", {"general": 5})  # the best level: offered first
    try:
        ola = Customer(
            http, name="Ola Berg", email="ola@example.com", page_url="https://f.example/"
        )
        ola.say("can I talk to someone please")
        wait_until(lambda: offered_to(http, tom) == [ola.id], what="the offer to Tom")
        for step, body in (
            ("accept", {}),
            (
                "transfer",
                {"agent_id": on_duty["id"], "note": "Wants a card replacement sent abroad."},
            ),
        ):
            done = http.post(
                f"/api/conversations/{ola.id}/{step}", json=body, headers=tom["headers"]
            )
            assert done.status_code == 200, done.text
        open_console(page, console_app.url, on_duty["token"])
        offer = offer_card(page, ola.id)
        expect(offer.locator(".transfer")).to_have_text(
            "Transferred by Tom Whitfield: Wants a card replacement sent abroad."
        )
        take_and_resolve(page, http, on_duty, offer, ola.id)
        assert page.errors == []
    finally:
        http.put(
            f"/api/agents/{tom['id']}/status", json={"status": "offline"}, headers=tom["headers"]
        )


def test_a_chat_sent_to_a_colleague_who_declines_comes_back(console_app, on_duty, page) -> None:
    """Nobody else online to take it: the agent who transferred it hears the colleague said no,
    and is offered the chat again, saying why, instead of the customer getting a ticket."""
    http = console_app.client()
    tom = make_agent(http, "Tom Whitfield", {"billing": 3})
    try:
        http.put(f"/api/agents/{tom['id']}/status", json={"status": "away"}, headers=tom["headers"])
        open_console(page, console_app.url, on_duty["token"])
        lee = Customer(
            http, name="Lee Chan", email="lee@example.com", page_url="https://h.example/"
        )
        lee.say("a person please, my statement looks wrong")
        offer_card(page, lee.id).get_by_role("button", name="Accept").click()
        http.put(
            f"/api/agents/{tom['id']}/status", json={"status": "online"}, headers=tom["headers"]
        )
        pane = chat_pane(page, lee.id)
        pane.get_by_role("button", name="Transfer").click()
        pane.locator("select[id^=transfer-agent-]").select_option(tom["id"])
        pane.get_by_role("button", name="Transfer", exact=True).last.click()
        expect(pane.locator(".banner")).to_contain_text("Transferred to Tom Whitfield")
        # No longer hers: a note written there now could not be kept, so it cannot be written.
        expect(pane.get_by_label("Add a private note")).to_be_disabled()
        expect(pane.get_by_role("button", name="Add note")).to_be_disabled()
        pane.get_by_role("button", name="Close this chat").click()
        wait_until(lambda: offered_to(http, tom) == [lee.id], what="the offer to Tom")
        said_no = http.post(f"/api/conversations/{lee.id}/decline", json={}, headers=tom["headers"])
        assert said_no.json() == {"status": "queued"}
        expect(page.locator(".toast", has_text="declined")).to_have_text(
            "Tom Whitfield declined the chat you transferred: it goes to the next free"
            " colleague, or back to you if there is none."
        )
        back = offer_card(page, lee.id)
        expect(back.locator(".transfer")).to_have_text(
            "Tom Whitfield declined the chat you transferred: it is back with you."
        )
        take_and_resolve(page, http, on_duty, back, lee.id)
        assert page.errors == []
    finally:
        http.put(
            f"/api/agents/{tom['id']}/status", json={"status": "offline"}, headers=tom["headers"]
        )


def test_a_canned_response_goes_in_in_the_customers_language(console_app, on_duty, page) -> None:
    http = console_app.client()
    speaks = http.patch(
        f"/api/agents/{on_duty['id']}", json={"languages": ["en", "ja"]}, headers=ADMIN_HEADERS
    )
    assert speaks.status_code == 200, speaks.text
    for body in (
        {"text": "Hi {customer_name}, thanks for waiting."},
        {"text": "{customer_name}様、お待たせいたしました。", "language": "ja"},
    ):
        saved = http.put("/api/canned/waited", json=body, headers=ADMIN_HEADERS)
        assert saved.status_code == 200, saved.text
    open_console(page, console_app.url, on_duty["token"])
    hana = Customer(http, name=None, email="hana@example.jp", page_url="https://g.example/")
    hana.say("担当者と話したいです")
    offer_card(page, hana.id).get_by_role("button", name="Accept").click()
    reply = chat_pane(page, hana.id).locator("textarea[id^=reply-]")
    reply.fill("/waited")
    reply.press("Tab")
    expect(reply).to_have_value("お客様、お待たせいたしました。")  # no name: not お客様様
    reply.fill("/wai")  # the only shortcut it begins: Tab completes it
    reply.press("Tab")
    expect(reply).to_have_value("お客様、お待たせいたしました。")
    # A shortcut mistyped is said so and stays in the box: never sent to the customer.
    reply.fill("/nope")
    reply.press("Enter")
    expect(chat_pane(page, hana.id).locator(".hint")).to_have_text("No canned response /nope")
    expect(reply).to_have_value("/nope")
    assert "/nope" not in [m["text"] for m in hana.view()["messages"]]
    # She carries on in English: the chat follows, and so do the canned texts on offer.
    hana.say("Sorry, could we carry on in English please? My parcel never arrived.")
    pane = chat_pane(page, hana.id)
    expect(pane.locator(".lang-badge").first).to_have_attribute("data-language", "en")
    expect(pane.locator("select.canned-picker option[value=waited]")).to_contain_text(
        "Hi {customer_name}, thanks for waiting."
    )
    done = http.post(f"/api/conversations/{hana.id}/resolve", json={}, headers=on_duty["headers"])
    assert done.status_code == 200, done.text
    assert page.errors == []


def test_declining_an_offer_passes_it_on(console_app, on_duty, page) -> None:
    http = console_app.client()
    open_console(page, console_app.url, on_duty["token"])
    jo = Customer(http, name="Jo Bell", email="jo@example.com", page_url="https://d.example/")
    jo.say("someone from the team please")
    offer = offer_card(page, jo.id)
    colleague = make_agent(http, "Ravi Menon", {"billing": 2})  # online too
    try:
        offer.get_by_role("button", name="Decline").click()
        expect(offer).to_have_count(0)
        expect(page.locator(".toast", has_text="Declined")).to_have_text(
            "Declined: it goes to someone else."
        )
        expect(page.locator("#offers")).to_contain_text("No offers right now.")
        mine = http.get(f"/api/agents/{on_duty['id']}/offers", headers=on_duty["headers"])
        assert mine.json() == []
        wait_until(lambda: offered_to(http, colleague) == [jo.id], what="the offer to Ravi")
        assert jo.view()["status"] == "queued"
        page.reload()
        expect(page.locator(".connection")).to_have_text("● Live")
        expect(offer).to_have_count(0)  # not offered to the same agent again
    finally:
        http.put(
            f"/api/agents/{colleague['id']}/status",
            json={"status": "offline"},
            headers=colleague["headers"],
        )
    # Nobody online is left to offer it to: Jo gets a ticket, not a wait for nobody.
    wait_until(lambda: jo.view()["status"] == "ticketed", what="Jo's ticket")
    assert jo.view()["messages"][-1]["text"].startswith(
        "No one on our team can take your chat just now, so we've filed ticket"
    )
    # Declining the last chance: the agent is told it became a ticket, not that it goes on.
    kim = Customer(http, name="Kim Oh", email="kim@example.com", page_url="https://d.example/")
    kim.say("a person please")
    offer_card(page, kim.id).get_by_role("button", name="Decline").press("Enter")
    expect(
        page.locator(".toast", has_text="Declined: nobody else online could take it")
    ).to_have_text("Declined: nobody else online could take it, so it was filed as a ticket.")
    expect(page.locator("#offers")).to_be_focused()  # not lost with the card
    assert kim.view()["status"] == "ticketed"
    assert page.errors == []


def test_a_resolved_chat_whose_customer_comes_back_opens_live_again(
    console_app, on_duty, page
) -> None:
    http = console_app.client()
    open_console(page, console_app.url, on_duty["token"])
    lee = Customer(http, name="Lee Park", email="lee@example.com", page_url="https://d.example/")
    lee.say("a person, please")
    offer_card(page, lee.id).get_by_role("button", name="Accept").click()
    pane = chat_pane(page, lee.id)
    reply = pane.locator("textarea[id^=reply-]")
    reply.fill("Let me check your")
    page.reload()
    expect(reply).to_have_value("Let me check your")  # a half-written reply outlives a reload
    reply.fill("A new PIN is on its way.")
    reply.press("Enter")
    expect(pane.locator(".msg-agent")).to_have_count(1)
    pane.get_by_role("button", name="Resolve").click()
    expect(pane.locator(".banner")).to_contain_text("Resolved")
    expect(reply).to_be_disabled()

    # A supervisor notes something meanwhile; the customer writes again; nobody else is
    # online, so the offer comes back to this agent, and the chat with the note written since.
    noted = http.post(
        f"/api/conversations/{lee.id}/notes",
        json={"text": "Lee's card was reissued on Monday."},
        headers=ADMIN_HEADERS,
    )
    assert noted.status_code == 201, noted.text
    lee.say("the new PIN still doesn't work, can I talk to someone again?")
    offer_card(page, lee.id).get_by_role("button", name="Accept").click()
    expect(pane.locator(".banner")).to_be_hidden()
    expect(pane.locator(".notes")).to_contain_text("Lee's card was reissued on Monday.")
    expect(reply).to_be_enabled()
    expect(pane.get_by_role("button", name="Resolve")).to_be_enabled()
    reply.fill("Let me look at that PIN again.")
    reply.press("Enter")
    expect(pane.locator(".msg-agent")).to_have_count(2)
    assert lee.view()["messages"][-1]["text"] == "Let me look at that PIN again."
    # The transcript reads in the order things were said: the customer's return before the
    # agent joining again.
    order = pane.locator(".msg").evaluate_all("items => items.map(li => Number(li.dataset.id))")
    assert order == sorted(order)
    pane.get_by_role("button", name="Resolve").click()
    expect(pane.locator(".banner")).to_contain_text("Resolved")
    assert page.errors == []


def test_the_ticket_inbox_follows_ticket_changes_without_a_reload(
    console_app, on_duty, page
) -> None:
    """Tickets filed and changed elsewhere reach an open inbox over socket.io, well before its
    20-second poll would."""
    http = console_app.client()
    open_console(page, console_app.url, on_duty["token"])
    page.locator("#view-tickets").click()
    expect(page.locator("#tickets-view")).to_be_visible()
    http.put(
        f"/api/agents/{on_duty['id']}/status",
        json={"status": "offline"},
        headers=on_duty["headers"],
    )
    # Nobody online now: the chat becomes a ticket at once.
    lee = Customer(http, name="Lee Park", email="lee@example.com", page_url="https://shop.example/")
    lee.say("my transfer never arrived")
    ticket_id = lee.view()["ticket_id"]
    row = page.locator(f'.ticket-item[data-ticket="{ticket_id}"]')
    expect(row).to_be_visible(timeout=PUSHED_WITHIN_MS)
    expect(row.locator(".tag.priority-normal")).to_be_visible()

    changed = http.patch(
        f"/api/tickets/{ticket_id}", json={"priority": "urgent"}, headers=ADMIN_HEADERS
    )
    assert changed.status_code == 200, changed.text
    expect(row.locator(".tag.priority-urgent")).to_be_visible(timeout=PUSHED_WITHIN_MS)

    # With the chats showing, the Tickets tab's count still follows a ticket filed elsewhere.
    page.locator("#view-chats").click()
    expect(page.locator("#tickets-view")).to_be_hidden()
    count = page.locator("#view-tickets .count")
    before = int(count.inner_text())
    Customer(http, name="Ade Cole", email="ade@example.com", page_url="https://shop.example/").say(
        "my card was declined"
    )
    expect(count).to_have_text(str(before + 1), timeout=PUSHED_WITHIN_MS)

    # The inbox sorts: newest first, by priority, or by the soonest SLA deadline.
    page.locator("#view-tickets").click()
    rows = page.locator(".ticket-item")
    listed = http.get("/api/tickets?clocks=true&limit=200", headers=on_duty["headers"]).json()
    active = [t for t in listed if t["status"] in ("new", "open", "pending")]
    expect(rows).to_have_count(len(active))
    shown = lambda: rows.evaluate_all("items => items.map((li) => li.dataset.ticket)")  # noqa: E731
    number = lambda t: int(t["id"][2:])  # noqa: E731
    assert shown() == [t["id"] for t in sorted(active, key=number, reverse=True)]
    page.locator("#ticket-sort").select_option("priority")
    assert shown()[0] == ticket_id  # the only urgent one
    page.locator("#ticket-sort").select_option("due")
    due = lambda t: min(c["due"] for c in t["sla_clocks"].values() if not c["met_at"])  # noqa: E731
    assert shown() == [t["id"] for t in sorted(active, key=lambda t: (due(t), -number(t)))]
    # Each tool's label stays on the line of its control, on a phone too.
    for width in (1280, 1024, 900, 768, 600, 480, 375):
        page.set_viewport_size({"width": width, "height": 800})
        for control in ("ticket-filter", "ticket-sort", "ticket-mine"):
            label = page.locator(f'label[for="{control}"]').bounding_box()
            box = page.locator(f"#{control}").bounding_box()
            assert label and box
            middle = label["y"] + label["height"] / 2
            assert box["y"] <= middle <= box["y"] + box["height"], (width, control)


def staff_token(http: httpx.Client, name: str, role: str) -> str:
    issued = http.post("/api/tokens", json={"role": role, "subject": name}, headers=ADMIN_HEADERS)
    assert issued.status_code == 201, issued.text
    return issued.json()["token"]


def filed_ticket(http: httpx.Client, name: str, assignee: str | None) -> str:
    """A ticket from a customer who asked to be emailed instead of waiting."""
    customer = Customer(http, name=name, email="t@example.com", page_url="https://e.example/")
    customer.say("a person please")
    assert customer.say("/email_me")["status"] == "ticketed"
    ticket_id = customer.view()["ticket_id"]
    if assignee:
        changed = http.patch(
            f"/api/tickets/{ticket_id}", json={"assignee_agent_id": assignee}, headers=ADMIN_HEADERS
        )
        assert changed.status_code == 200, changed.text
    return ticket_id


def test_a_ticket_drawn_after_an_action_keeps_the_agent_where_they_went_on_typing(
    console_app, on_duty, page
) -> None:
    """On a slow server the answer to a status change comes after the agent has moved on to
    the note: the pane is drawn again with them still in it, their words and caret kept."""
    http = console_app.client()
    ticket_id = filed_ticket(http, "Dee Ray", on_duty["id"])
    open_console(page, console_app.url, on_duty["token"])
    page.locator("#view-tickets").click()
    page.locator(f'.ticket-item[data-ticket="{ticket_id}"] .ticket-row').click()
    pane = page.locator("#ticket-pane")
    expect(pane.locator("h2")).to_have_text(f"Ticket {ticket_id}")

    held = []  # the ticket's reads after the change, answered when the test says

    def hold(route) -> None:
        if route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()

    page.route(f"**/api/tickets/{ticket_id}", hold)
    pane.locator("#ticket-status").select_option("pending")
    with page.expect_request(
        lambda r: r.method == "GET" and r.url.endswith(f"/api/tickets/{ticket_id}")
    ):
        pane.get_by_role("button", name="Change status").click()
    note = pane.locator("#ticket-note")
    note.fill("Asked the warehouse")
    assert held  # the change's answer is on its way: the pane is not drawn again yet
    page.unroute(f"**/api/tickets/{ticket_id}", hold)  # and the reads held go on now
    expect(pane.locator(".ticket-head .tag.status-pending")).to_be_visible()
    expect(note).to_be_focused()
    page.keyboard.type(" at 10:00")
    expect(note).to_have_value("Asked the warehouse at 10:00")
    assert page.errors == []


def test_a_click_begun_on_a_ticket_opens_it_though_the_inbox_is_drawn_again_meanwhile(
    console_app, on_duty, page
) -> None:
    """The inbox is drawn again whenever any ticket changes, often while the agent is reaching
    for a row: the press lands on one drawing and the release on the next, and the ticket still
    opens."""
    http = console_app.client()
    wanted = filed_ticket(http, "Noor Haddad", on_duty["id"])
    other = filed_ticket(http, "Sam Otto", on_duty["id"])
    open_console(page, console_app.url, on_duty["token"])
    page.locator("#view-tickets").click()
    row = page.locator(f'.ticket-item[data-ticket="{wanted}"] .ticket-row')
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    # Meanwhile a colleague raises the other ticket's priority: the change reaches the inbox.
    changed = http.patch(
        f"/api/tickets/{other}", json={"priority": "urgent"}, headers=ADMIN_HEADERS
    )
    assert changed.status_code == 200, changed.text
    expect(page.locator(f'.ticket-item[data-ticket="{other}"] .tag.priority-urgent')).to_be_visible(
        timeout=PUSHED_WITHIN_MS
    )
    page.mouse.up()
    expect(page.locator("#ticket-pane h2")).to_have_text(f"Ticket {wanted}")
    expect(row).to_have_class(re.compile(r"\bcurrent\b"))
    assert page.errors == []


def test_a_ticket_given_to_a_colleague_says_so_in_the_pane_that_had_it_open(
    console_app, on_duty, page
) -> None:
    """A supervisor gives the ticket an agent has open to a colleague: the pane says it is no
    longer theirs and offers nothing it could no longer do, without a reload."""
    http = console_app.client()
    ticket_id = filed_ticket(http, "Ines Moreau", on_duty["id"])
    colleague = make_agent(http, "Marcus Okafor", {"payments": 2})
    open_console(page, console_app.url, on_duty["token"])
    page.locator("#view-tickets").click()
    page.locator(f'.ticket-item[data-ticket="{ticket_id}"] .ticket-row').click()
    pane = page.locator("#ticket-pane")
    expect(pane.get_by_role("button", name="Send reply")).to_be_visible()
    given = http.patch(
        f"/api/tickets/{ticket_id}",
        json={"assignee_agent_id": colleague["id"]},
        headers=ADMIN_HEADERS,
    )
    assert given.status_code == 200, given.text
    expect(pane.locator(".gone")).to_have_text(
        "This ticket is no longer yours: a colleague took it, or it was given to someone else.",
        timeout=PUSHED_WITHIN_MS,
    )
    expect(pane.get_by_role("button", name="Send reply")).to_have_count(0)
    expect(page.locator(f'.ticket-item[data-ticket="{ticket_id}"]')).to_have_count(0)
    pane.get_by_role("button", name="Close").click()
    expect(pane).to_be_hidden()
    assert page.errors == []


def test_an_agent_works_only_their_own_chats_and_tickets(console_app, on_duty, page) -> None:
    """The inbox holds the agent's tickets and the unassigned ones, not a colleague's; a chat a
    supervisor moves on closes in the console with a word, not an error."""
    http = console_app.client()
    tom = make_agent(http, "Tom Whitfield", {"billing": 2})
    http.put(f"/api/agents/{tom['id']}/status", json={"status": "offline"}, headers=tom["headers"])
    toms = filed_ticket(http, "Ben Ode", tom["id"])
    nobodys = filed_ticket(http, "Cleo Rao", None)

    open_console(page, console_app.url, on_duty["token"])
    kim = Customer(http, name="Kim Park", email="kim@example.com", page_url="https://c.example/")
    kim.say("a person please")
    offer_card(page, kim.id).get_by_role("button", name="Accept").click()
    pane = chat_pane(page, kim.id)
    expect(pane.locator(".chat-status")).to_have_text("assigned")

    page.locator("#view-tickets").click()
    # Each row says who wrote and what they asked, not only an address.
    expect(page.locator(f'.ticket-item[data-ticket="{nobodys}"]')).to_contain_text(
        re.compile(r"a person please.*Cleo Rao · t@example\.com")
    )
    expect(page.locator(f'.ticket-item[data-ticket="{toms}"]')).to_have_count(0)
    page.locator(f'.ticket-item[data-ticket="{nobodys}"] .ticket-row').click()
    page.locator("#ticket-pane").get_by_role("button", name="Assign to me").click()
    expect(page.locator("#ticket-pane")).to_contain_text("assigned to " + on_duty["name"])
    # Kim writes while the Tickets section shows: unread until the agent is back in the chat.
    kim.say("are you still there?")
    kims_unread = page.locator(f'.chat-tab[data-conversation="{kim.id}"] .unread')
    expect(kims_unread).to_have_text("1 new")
    # Closing the ticket puts the keyboard back on its row.
    page.locator("#ticket-pane").get_by_role("button", name="Close").click()
    expect(page.locator(f'.ticket-item[data-ticket="{nobodys}"] .ticket-row')).to_be_focused()

    # A supervisor transfers Kim's chat to Tom's skill: the console closes it at its next look.
    boss = {"Authorization": f"Bearer {staff_token(http, 'Sam Okafor', 'supervisor')}"}
    http.put(f"/api/agents/{tom['id']}/status", json={"status": "online"}, headers=tom["headers"])
    moved = http.post(
        f"/api/conversations/{kim.id}/transfer", json={"skill": "billing"}, headers=boss
    )
    assert moved.status_code == 200, moved.text
    http.put(f"/api/agents/{tom['id']}/status", json={"status": "offline"}, headers=tom["headers"])
    page.locator("#view-chats").click()
    expect(kims_unread).to_be_hidden()
    expect(pane.locator(".banner")).to_have_text(
        re.compile("This chat is no longer assigned to you."), timeout=45_000
    )
    expect(page.locator(".toast.error")).to_have_count(0)
    assert kim.say("/email_me")["status"] == "ticketed"  # leaves the queue for the next tests
    assert page.errors == []


def test_a_supervisor_reads_the_teams_chats_and_every_ticket(console_app, on_duty, page) -> None:
    http = console_app.client()
    ana = Customer(http, name="Ana Ruiz", email="ana@example.com", page_url="https://s.example/")
    ana.say("a person please, my card was charged twice")
    accepted = http.post(f"/api/conversations/{ana.id}/accept", headers=on_duty["headers"])
    assert accepted.status_code == 200, accepted.text
    http.post(
        f"/api/conversations/{ana.id}/notes",
        json={"text": "Double charge: check the ledger."},
        headers=on_duty["headers"],
    )
    ticket_id = filed_ticket(http, "Dee Lin", on_duty["id"])

    token = staff_token(http, "Sam Okafor", "supervisor")
    page.goto(f"{console_app.url}/console#token={token}")
    expect(page.locator("#who")).to_have_text("Sam Okafor (supervisor)")
    expect(page.locator("#view-tickets")).to_have_attribute("aria-current", "page")
    row = page.locator(f'.ticket-item[data-ticket="{ticket_id}"]')
    row.locator(".ticket-row").click()
    ticket = page.locator("#ticket-pane")
    expect(ticket).to_contain_text("assigned to " + on_duty["name"])
    expect(ticket.locator("#ticket-assignee")).to_be_visible()  # a supervisor reassigns
    expect(ticket.locator("#ticket-reply")).to_have_count(0)  # but writes to no customer
    # The agent writes on it meanwhile: the supervisor's open ticket follows, as agents' do.
    add_note(http, ticket_id, "Ledger checked: refunded.", on_duty["headers"])
    expect(ticket).to_contain_text("Ledger checked: refunded.", timeout=PUSHED_WITHIN_MS)
    # Each agent offered is named with the languages they chat in; "Nobody" unassigns it.
    assignee = ticket.locator("#ticket-assignee")
    expect(assignee.locator("option", has_text=on_duty["name"])).to_have_count(0)  # has it
    expect(assignee.locator("option").nth(1)).to_have_text("Nobody: back to the unassigned tickets")
    assignee.select_option(label="Nobody: back to the unassigned tickets")
    # Drawn again before "Assign" is pressed (the agent writes again), it is still picked.
    add_note(http, ticket_id, "Customer told.", on_duty["headers"])
    expect(ticket).to_contain_text("Customer told.", timeout=PUSHED_WITHIN_MS)
    expect(assignee).to_have_value("-")
    ticket.get_by_role("button", name="Assign", exact=True).click()
    expect(ticket.locator("p.muted", has_text=" · filed ")).to_contain_text(" · unassigned")
    assert (
        http.get(f"/api/tickets/{ticket_id}", headers=ADMIN_HEADERS).json()["assignee_agent_id"]
        is None
    )
    expect(assignee.locator(f'option[value="{on_duty["id"]}"]')).to_have_text(
        f"{on_duty['name']} (English)"
    )

    page.locator("#view-chats").click()
    member = page.locator(f'.team-member[data-agent="{on_duty["id"]}"]')
    expect(member).to_contain_text("1 of 3")
    member.get_by_role("button").click()
    chat = page.locator(f'.team-chat[data-conversation="{ana.id}"]')
    expect(chat.locator(".msg-customer").first).to_have_text(
        re.compile("my card was charged twice")
    )
    expect(chat.locator(".notes")).to_contain_text("Double charge: check the ledger.")
    expect(page.locator("textarea")).to_have_count(0)  # read-only
    audit = http.get(
        "/api/audit", params={"who": "Sam Okafor", "target": on_duty["id"]}, headers=ADMIN_HEADERS
    ).json()["entries"]
    assert [e["route"] for e in audit] == ["/api/agents/{agent_id}/chats"]
    expect(page.locator(".toast.error")).to_have_count(0)
    assert page.errors == []
    http.post(f"/api/conversations/{ana.id}/resolve", headers=on_duty["headers"])


def test_a_supervisor_watches_the_line_of_waiting_chats(console_app, on_duty, page) -> None:
    """The Team view lists who waits for a person now and with whom, and follows the line as
    it moves, without a reload."""
    http = console_app.client()
    token = staff_token(http, "Lena Park", "supervisor")
    page.goto(f"{console_app.url}/console#token={token}")
    page.locator("#view-chats").click()
    line = page.locator("#waiting-line")
    expect(line).to_have_text("Nobody is waiting.")
    raj = Customer(http, name="Raj Patel", email="raj@example.com", page_url="https://w.example/")
    raj.say("a person please, about a refund")
    item = line.locator(f'.line-item[data-conversation="{raj.id}"]')
    expect(item).to_contain_text("Raj Patel", timeout=PUSHED_WITHIN_MS)
    # This app has no bot: every chat comes to the queue because the bot could not be reached.
    expect(item).to_contain_text("number 1 for general · Bot unreachable")
    expect(item.locator(".next")).to_have_text(f"On offer to {on_duty['name']}.")
    expect(page.locator("h3", has_text="Waiting now")).to_have_text("Waiting now 1")
    accepted = http.post(f"/api/conversations/{raj.id}/accept", headers=on_duty["headers"])
    assert accepted.status_code == 200, accepted.text
    expect(line).to_have_text("Nobody is waiting.", timeout=PUSHED_WITHIN_MS)
    expect(page.locator(".toast.error")).to_have_count(0)
    assert page.errors == []
    http.post(f"/api/conversations/{raj.id}/resolve", headers=on_duty["headers"])
