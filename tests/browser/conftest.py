"""Headless Chromium (Debian's package) driven by Python playwright, against a real app.

`browser` is one Chromium per test module. `page` is a fresh context (no shared storage)
per test. `shoot(page, name)` saves a screenshot to var/screenshots/, one per face and step.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.helpers import (
    CHROMIUM_ARGS,
    PAGE_TIMEOUT_MS,
    ROOT,
    app_process,
    chromium_path,
    mail_env,
    smtp_sink,
)


@pytest.fixture(scope="session", autouse=True)
def patient_assertions() -> None:
    """`expect(...)` waits as long as actions do (playwright's own default is 5 s)."""
    expect.set_options(timeout=PAGE_TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser():
    """Per module, not per session: playwright's sync API keeps an event loop running in this
    thread while it is open, and later tests that call asyncio.run() need it gone."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser):
    """Opens pages in fresh contexts; each gets a list of the console errors it logged."""
    contexts = []

    def make(*, width: int = 1280, height: int = 860, mobile: bool = False):
        context = browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.dialogs = []  # type: ignore[attr-defined]
        # Every dialog is noted and dismissed, unless a test queued its answers (True accepts).
        page.dialog_answers = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("dialog", lambda dialog: answer_dialog(page, dialog))
        return page

    yield make
    for context in contexts:
        context.close()


def answer_dialog(page, dialog) -> None:
    page.dialogs.append(dialog.message)
    if page.dialog_answers and page.dialog_answers.pop(0):
        dialog.accept()
    else:
        dialog.dismiss()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def shoot():
    shots = ROOT / "var" / "screenshots"
    if os.environ.get("CASCADE_TEST_POSTGRES") == "1":  # make test runs both at once
        shots = shots / "postgresql"
    shots.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, *, full_page: bool = False):
        path = shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


@pytest.fixture(scope="session")
def mail_sink():
    """A real SMTP server on loopback that keeps what the app sends (aiosmtpd)."""
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="session")
def web_app(tmp_path_factory, mail_sink) -> Iterator[str]:
    """The app alone as a process (no Rasa: the bot counts as unreachable), with the real
    embedding model, SQLite on disk and email to `mail_sink`, on a free port. For pages that
    need no bot."""
    with app_process(tmp_path_factory.mktemp("web"), env=mail_env(mail_sink)) as url:
        yield url


class CompanySite(BaseHTTPRequestHandler):
    """The company's own site, on another origin than the app's (another port: a browser that
    blocks third-party storage would refuse the chat's localStorage on another site altogether).
    Its pages are `pages[path]`."""

    pages: dict[str, str] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.pages.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CompanySite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
