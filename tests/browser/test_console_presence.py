"""The agent console's heartbeat in Chromium against a real app process whose presence timeout is
six seconds: an open console keeps its agent online well past it; a console whose heartbeats
stop getting through shows its agent set away, the chat passed to a colleague with the customer
told, and takes the agent online again; a closed console's agent is set away."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from core.words import say
from tests.browser.test_console import offered_to
from tests.factories import make_agent
from tests.helpers import ADMIN_HEADERS, app_process, wait_held, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.model]

TIMEOUT_S = 6  # the console beats every 2 s


@pytest.fixture(scope="module")
def presence_url(tmp_path_factory) -> Iterator[str]:
    env = {"CASCADE_PRESENCE_TIMEOUT_S": str(TIMEOUT_S), "CASCADE_OFFER_TIMEOUT_S": "300"}
    with app_process(tmp_path_factory.mktemp("presence"), env=env) as url:
        yield url


def test_the_console_keeps_its_agent_online_and_a_silent_one_is_set_away(
    presence_url, new_page
) -> None:
    http = httpx.Client(base_url=presence_url, timeout=60)
    priya = make_agent(http, ADMIN_HEADERS, "Priya Raman", {"general": 3})

    def agent() -> dict:
        return http.get(f"/api/agents/{priya['id']}", headers=priya["headers"]).json()

    started = http.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    customer = {"Authorization": f"Bearer {started['token']}"}
    said = http.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "a person please"},
        headers=customer,
    )
    assert said.json()["status"] == "queued"  # no bot here: straight to the queue
    accepted = http.post(f"/api/conversations/{started['id']}/accept", headers=priya["headers"])
    assert accepted.status_code == 200

    page = new_page()
    page.goto(f"{presence_url}/console#token={priya['token']}")
    expect(page.locator(".connection")).to_have_text("● Live")
    pane = page.locator(f'.chat-pane[data-conversation="{started["id"]}"]')
    expect(pane).to_be_visible()

    # Open for more than twice the timeout: the heartbeats keep Priya online with her chat.
    first = datetime.fromisoformat(wait_until(lambda: agent()["last_seen"], what="a heartbeat"))
    wait_until(
        lambda: (
            datetime.fromisoformat(agent()["last_seen"]) - first
            >= timedelta(seconds=2 * TIMEOUT_S + 1)
        ),
        timeout_s=90,
        what="heartbeats for two timeouts",
    )
    assert agent()["status"] == "online"
    assert http.get(f"/api/conversations/{started['id']}", headers=customer).json()["status"] == (
        "assigned"
    )

    # The heartbeats stop getting through (the socket stays up): Priya is set away, and the
    # console shows it; her chat goes to Tom, who is online, and Ana is told.
    tom = make_agent(http, ADMIN_HEADERS, "Tom Whitfield", {"general": 3})
    page.route("**/heartbeat", lambda route: route.abort())
    status = page.locator("#agent-status")
    expect(status).to_have_value("away", timeout=60_000)
    expect(page.locator(".toasts")).to_contain_text("You were set away")
    # Said in the offers list too, until she picks a status: a toast is gone if she was not there.
    expect(page.locator("#offers")).to_contain_text(
        "You were set away: this console sent no sign of life for too long"
    )
    expect(pane.locator(".banner")).to_contain_text("This chat is now queued.")
    expect(pane.locator(".chat-status")).to_have_text("queued")
    seen = http.get(f"/api/conversations/{started['id']}", headers=customer).json()
    assert seen["messages"][-1]["text"] == say("en", "chat.agent_away", name="Priya Raman")
    wait_until(  # once the queue has run (the banner may come first)
        lambda: offered_to(http, tom) == [started["id"]], what="the chat offered to Tom"
    )

    # Back on the network, she chooses Online again.
    page.unroute("**/heartbeat")
    status.select_option("online")
    expect(page.locator("#offers")).to_contain_text("No offers right now.")
    assert agent()["status"] == "online"
    assert page.errors == []

    # She closes the console: set away within the timeout. Opened again, it says why.
    page.close()
    wait_until(lambda: agent()["status"] == "away", timeout_s=60, what="Priya set away")
    assert agent()["away_reason"] == "no_heartbeat"
    page = new_page()
    page.goto(f"{presence_url}/console#token={priya['token']}")
    expect(page.locator("#agent-status")).to_have_value("away")
    expect(page.locator(".toasts")).to_contain_text(
        "You were set away: this console sent no sign of life for too long"
    )
    expect(page.locator("#offers")).to_contain_text("You were set away: this console sent")
    page.close()
    for someone in (priya, tom):
        http.put(
            f"/api/agents/{someone['id']}/status",
            json={"status": "offline"},
            headers=someone["headers"],
        )


def test_a_heartbeat_answered_before_the_agent_went_online_does_not_undo_it(
    presence_url, new_page
) -> None:
    """The console's first heartbeat is answered "offline" by the server, but the answer comes
    back only after the agent chose Online: the switch stays Online, as the server has it."""
    http = httpx.Client(base_url=presence_url, timeout=60)
    sato = make_agent(http, ADMIN_HEADERS, "Sato Misaki", {"general": 3}, online=False)
    held: list = []

    def hold(route) -> None:  # answered by the server now (Sato is here), delivered later
        held.append((route, route.fetch()))

    page = new_page()
    page.route("**/heartbeat", hold)
    page.goto(f"{presence_url}/console#token={sato['token']}")
    wait_held(page, held)
    assert held[0][1].json()["status"] == "offline"
    status = page.locator("#agent-status")
    status.select_option("online")
    expect(page.locator(".toasts")).to_contain_text("You are online.")
    route, answer = held[0]
    route.fulfill(response=answer)
    wait_held(page, held, 2)  # the next beat is sent once the stale answer was read
    expect(status).to_have_value("online")
    expect(page.locator("#offers")).not_to_contain_text("You are offline")
    held[1][0].fulfill(response=held[1][1])
    page.unroute("**/heartbeat")
    assert http.get(f"/api/agents/{sato['id']}", headers=sato["headers"]).json()["status"] == (
        "online"
    )
    assert page.errors == []
    http.put(
        f"/api/agents/{sato['id']}/status", json={"status": "offline"}, headers=sato["headers"]
    )


def test_going_offline_at_the_end_of_a_shift_passes_the_chat_on(presence_url, new_page) -> None:
    http = httpx.Client(base_url=presence_url, timeout=60)
    kenji = make_agent(http, ADMIN_HEADERS, "Kenji Mori", {"general": 3})
    started = http.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    customer = {"Authorization": f"Bearer {started['token']}"}
    http.post(
        f"/api/conversations/{started['id']}/messages",
        json={"text": "a person please"},
        headers=customer,
    )
    accepted = http.post(f"/api/conversations/{started['id']}/accept", headers=kenji["headers"])
    assert accepted.status_code == 200, accepted.text
    page = new_page()
    page.goto(f"{presence_url}/console#token={kenji['token']}")
    pane = page.locator(f'.chat-pane[data-conversation="{started["id"]}"]')
    expect(pane).to_be_visible()
    tom = make_agent(http, ADMIN_HEADERS, "Tom Okada", {"general": 3})

    page.dialog_answers = [True]
    page.locator("#agent-status").select_option("offline")
    expect(page.locator("#agent-status")).to_have_value("offline")
    assert page.dialogs == [
        "You have 1 open chat. Going offline passes it on: it goes back in the queue for a"
        " colleague, and the customer is told. To keep it while you step away, choose Away."
        " Go offline anyway?"
    ]
    expect(pane.locator(".banner")).to_contain_text("This chat is now queued.")
    expect(pane.locator(".chat-status")).to_have_text("queued")
    seen = http.get(f"/api/conversations/{started['id']}", headers=customer).json()
    assert seen["messages"][-1]["text"] == say("en", "chat.agent_away", name="Kenji Mori")
    wait_until(  # once the queue has run (the banner may come first)
        lambda: offered_to(http, tom) == [started["id"]], what="the chat offered to Tom"
    )
    assert page.errors == []
    http.put(f"/api/agents/{tom['id']}/status", json={"status": "offline"}, headers=tom["headers"])
