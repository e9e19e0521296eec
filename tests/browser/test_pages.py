"""Every face is served by the app itself, under a Content-Security-Policy, with its scripts
from this origin."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]

FACES = ["/", "/chat", "/console", "/editor", "/dashboard", "/demo/site"]


@pytest.mark.parametrize("path", FACES)
def test_each_page_is_served_with_a_content_security_policy(web_app, path):
    response = httpx.get(web_app + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'self'" in csp


def test_only_the_chat_page_may_be_framed_by_other_sites(web_app):
    assert "frame-ancestors *" in httpx.get(web_app + "/chat").headers["content-security-policy"]
    assert (
        "frame-ancestors 'none'"
        in httpx.get(web_app + "/console").headers["content-security-policy"]
    )


def test_vendored_libraries_come_from_this_origin(web_app):
    for name in ("socket.io.js", "chart.umd.min.js", "rasa-webchat.js"):
        response = httpx.get(f"{web_app}/vendor/{name}")
        assert response.status_code == 200, name
        assert len(response.content) > 10_000
    assert httpx.get(web_app + "/vendor/../../etc/passwd").status_code == 404
    assert httpx.get(web_app + "/vendor/left-pad.js").status_code == 404


def test_the_start_page_links_the_four_faces(web_app, page, shoot):
    page.goto(web_app + "/")
    hrefs = page.locator("main a").evaluate_all("links => links.map((a) => a.getAttribute('href'))")
    assert hrefs == [
        "/demo/site",
        "/console",
        "/editor",
        "/dashboard",
    ]
    assert page.errors == []
    shoot(page, "start")
    assert httpx.get(web_app + "/favicon.ico").headers["content-type"] == "image/svg+xml"


def test_the_api_docs_work_with_no_way_out_to_a_cdn(web_app, page):
    """/docs draws the API from /openapi.json with Swagger UI's files from this app: a browser
    that can reach nothing else still shows every route."""
    elsewhere: list[str] = []

    def only_here(route) -> None:
        if route.request.url.startswith(web_app):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto(web_app + "/docs")
    start = page.locator(".opblock-summary-path", has_text="/api/conversations").first
    start.wait_for()
    assert elsewhere == []
    assert (
        httpx.get(web_app + "/vendor/swagger-ui.css").headers["content-type"].startswith("text/css")
    )
    assert httpx.get(web_app + "/redoc").status_code == 404  # ReDoc would need a CDN


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (42, "42 s"),
        (125, "2 min 5 s"),
        (3 * 3600 + 60, "3 h 1 min"),
        (23 * 3600 + 59 * 60, "23 h 59 min"),
        (24 * 3600, "1 d"),
        (109 * 3600 + 20 * 60, "4 d 13 h"),  # a ticket's resolution clock, days away
    ],
)
def test_durations_on_the_staff_pages_read_in_days_past_a_day(web_app, page, seconds, shown):
    """SLA clocks and offers show how long is left as the console's `duration` writes it."""
    page.goto(web_app + "/")
    written = page.evaluate(
        "async (s) => (await import('/static/js/shared/format.js')).duration(s)", seconds
    )
    assert written == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (2.34, "2.3 s"),
        (59.4, "59.4 s"),
        (371.6, "6 min 12 s"),
        (437, "7 min 17 s"),
        (3725.2, "1 h 2 min"),
    ],
)
def test_the_dashboards_averages_have_tenths_under_a_minute_only(web_app, page, seconds, shown):
    """A tile and the by-day table write one handle time alike: never "6 min 11.6 s"."""
    page.goto(web_app + "/")
    written = page.evaluate(
        "async (s) => (await import('/static/js/shared/format.js')).seconds(s)", seconds
    )
    assert written == shown
