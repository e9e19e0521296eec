"""The ops dashboard's resolutions in Chromium, against the app as a process with short limits:
a customer who said yes, one who came back by the same browser (a reopen), and one who read an
answer and left (resolved as assumed by the idle limit). The tiles and the per-skill table show
what GET /api/metrics answers once every durable window is over."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from conversations.identity import sign
from tests.browser.test_dashboard import open_dashboard, percent, stand_in_rasa
from tests.helpers import ADMIN_HEADERS, app_process, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.model]

SECRET = "company-identity-secret"
IDLE_S = 30  # long enough for two messages in a row, and the dashboard's load after the last
WINDOW_H = 0.005  # 18 s: long enough for a return right after a resolution


@pytest.fixture(scope="module")
def ops_app(tmp_path_factory) -> Iterator[str]:
    env = {
        "CASCADE_IDLE_LIMIT_S": str(IDLE_S),
        "CASCADE_DURABLE_WINDOW_H": str(WINDOW_H),
        "CASCADE_IDENTITY_SECRET": SECRET,
        "CASCADE_ROUTE_INTERVAL_S": "0.2",
    }
    with (
        stand_in_rasa() as rasa_url,
        app_process(tmp_path_factory.mktemp("resolutions"), rasa_url=rasa_url, env=env) as url,
    ):
        yield url


def start(http: httpx.Client, **customer: str):
    started = http.post("/api/conversations", json={"customer": customer})
    assert started.status_code == 201, started.text
    body = started.json()
    headers = {"Authorization": f"Bearer {body['token']}"}

    def says(text: str) -> str:
        turn = http.post(
            f"/api/conversations/{body['id']}/messages", json={"text": text}, headers=headers
        )
        assert turn.status_code == 200, turn.text
        return turn.json()["status"]

    return body["id"], says


def figures(http: httpx.Client) -> dict:
    found = http.get("/api/metrics", headers=ADMIN_HEADERS)
    assert found.status_code == 200, found.text
    return found.json()


def test_confirmed_assumed_durable_and_reopened_on_the_dashboard(ops_app, page, shoot) -> None:
    with httpx.Client(base_url=ops_app, timeout=30) as http:
        _, first = start(http, visitor_id="visitor-one1")
        first("how do I freeze my card")
        assert first("/affirm") == "resolved"
        _, again = start(http, visitor_id="visitor-one1")  # the same browser, back at once
        again("my card is still not frozen")
        assert again("/affirm") == "resolved"
        quiet, reads = start(
            http, visitor_id="visitor-two2", user_id="cust-42", user_hash=sign("cust-42", SECRET)
        )
        reads("a card question")  # an answer, then nothing
        wait_until(
            lambda: (
                http.get(f"/api/conversations/{quiet}", headers=ADMIN_HEADERS).json()["status"]
                == "resolved"
            ),
            timeout_s=IDLE_S + 60,
            what="the idle limit resolving the quiet chat",
        )
        wait_until(
            lambda: figures(http)["awaiting_window"] == 0,
            timeout_s=120,
            what="every durable window to be over",
        )
        found = figures(http)
    assert {
        key: found[key]
        for key in (
            "contacts",
            "bot_resolved_confirmed",
            "bot_resolved_assumed",
            "durable_resolutions",
            "reopened",
            "reopen_rate",
        )
    } == {
        "contacts": 3,
        "bot_resolved_confirmed": 2,
        "bot_resolved_assumed": 1,
        "durable_resolutions": 2,  # the return and the quiet one
        "reopened": 1,  # the first: its customer came back
        "reopen_rate": 0.3333,
    }

    open_dashboard(page, ops_app)
    page.wait_for_selector("#status:has-text('3 conversations')")
    for figure, value, detail in [
        ("confirmed_resolution_rate", "66.67%", "2 of 3: the customer said yes"),
        ("assumed_resolution_rate", "33.33%", "1 of 3: an answer, then silence"),
        ("durable_resolution_rate", "66.67%", "2 of 3: not back within 18 s"),
        ("reopen_rate", "33.33%", "1 of 3 resolved: back within 18 s"),
    ]:
        tile = page.locator(f'#tiles .tile[data-figure="{figure}"]')
        expect(tile.locator(".value")).to_have_text(value)
        expect(tile.locator(".detail")).to_have_text(detail)
    row = page.locator('#by-skill tr[data-skill="cards"]')
    expect(row.locator("th")).to_have_text("cards")
    expect(row.locator("td")).to_have_text(["3", "3", "2", "1", "2", "1", percent(0.3333)])
    shoot(page, "dashboard-resolutions", full_page=True)

    # A fourth chat, still waiting for a person: the durable rate can still rise, and the tile
    # and the day table's total both say so.
    with httpx.Client(base_url=ops_app, timeout=30) as http:
        made = http.post("/api/agents", json={"name": "Ann", "skills": {}}, headers=ADMIN_HEADERS)
        assert made.status_code == 201, made.text
        online = http.put(
            f"/api/agents/{made.json()['id']}/status",
            json={"status": "online"},
            headers={"Authorization": f"Bearer {made.json()['token']}"},
        )
        assert online.status_code == 200, online.text
        _, waits = start(http, visitor_id="visitor-three")
        assert waits("a person please") == "queued"
    open_dashboard(page, ops_app)
    page.wait_for_selector("#status:has-text('4 conversations')")
    tile = page.locator('#tiles .tile[data-figure="durable_resolution_rate"]')
    expect(tile.locator(".value")).to_have_text("≥ 50%")
    expect(tile.locator(".detail")).to_have_text("2 of 4: not back within 18 s")
    page.get_by_text("Figures by day as a table").click()
    total = page.locator(".by-day tbody tr").filter(has=page.locator('th:text-is("Total")'))
    durable = page.locator(".by-day thead th").all_inner_texts().index("Durable")
    expect(total.locator("td").nth(durable - 1)).to_have_text("≥ 50%")
    assert page.errors == []
