"""Chats still going on the ops dashboard: they count as not resolved until they end, and the
dashboard says how many there are rather than leaving a low FCR unexplained."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import Customer, open_dashboard, ops_app  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.model]


def todays_rates(page) -> list:
    """The last point of each line of the FCR chart: today's."""
    return page.evaluate(
        """() => Chart.getChart("fcr-chart").data.datasets.map((set) => set.data.at(-1))"""
    )


def test_chats_still_going_are_counted_and_said(ops_app, page) -> None:  # noqa: F811
    with httpx.Client(base_url=ops_app, timeout=30) as http:
        going = Customer(http, "ben@example.com")
        assert going.says("how do I freeze my card")["status"] == "bot"
        # Today's only chat is still going: today has no rate yet, not a plunge to 0 %.
        open_dashboard(page, ops_app)
        page.wait_for_selector("#status:has-text('1 conversation')")
        page.wait_for_function("() => Chart.getChart('fcr-chart')")
        assert todays_rates(page) == [None, None]
        done = Customer(http, "ana@example.com")
        done.says("how do I freeze my card")
        assert done.says("/affirm")["status"] == "resolved"

    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#status:has-text('2 conversations')")
    page.wait_for_function("() => Chart.getChart('fcr-chart')")
    assert todays_rates(page) == [50, 50]
    fcr = page.locator('#tiles .tile[data-figure="first_contact_resolution"]')
    expect(fcr.locator(".value")).to_have_text("50%")
    expect(fcr.locator(".detail")).to_have_text("1 of 2 (1 still open)")
    contained = page.locator('#tiles .tile[data-figure="bot_containment"]')
    expect(contained.locator(".detail")).to_have_text("1 of 2 (1 still open)")
    # Nobody waited for a person: said in words, not as a chart of empty axes.
    expect(page.locator("#wait-chart")).to_have_count(0)
    expect(page.locator(".charts")).to_contain_text("Nobody waited for a person in this range.")
    # Nobody was handed over: the gaps panel does not claim the bot answered everything.
    expect(page.locator("#gaps")).to_contain_text(
        "No chat of this range was handed over for want of an answer."
    )

    page.get_by_text("Figures by day as a table").click()
    today = page.locator(".by-day tbody tr").filter(
        has=page.locator(f'th:text-is("{page.input_value("#until")}")')
    )
    headers = page.locator(".by-day thead th").all_inner_texts()
    cells = today.locator("td")
    expect(cells.nth(headers.index("Still open") - 1)).to_have_text("1")
    expect(cells.nth(headers.index("Durable") - 1)).to_have_text("–")
    assert page.errors == []
