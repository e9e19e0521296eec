"""Headless Chromium (Debian's package) driven by Python playwright, against a real app.

`browser` is one Chromium per test module. `page` is a fresh context (no shared storage)
per test. `shoot(page, name)` saves a screenshot to var/screenshots/, one per face and step.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Chromium is not installed: `make test` installs Debian's chromium package")


def open_widget(page, url: str):
    page.goto(url + "/demo/site")
    page.get_by_role("button", name="Chat with us").click()
    chat = page.frame_locator("#cascade-frame")
    chat.locator(".msg.bot").first.wait_for()
    return chat


def conversation_id(page) -> str:
    frame = page.frame(url=lambda url: "/chat" in url)
    return frame.evaluate("JSON.parse(localStorage.getItem('cascade.chat')).id")


def scrolled_into_view(bubble) -> bool:
    """Whether the whole message is inside the visible part of the chat's log."""
    return bubble.evaluate(
        """node => { const log = node.closest('.log').getBoundingClientRect();
                     const box = node.getBoundingClientRect();
                     return box.top >= log.top - 1 && box.bottom <= log.bottom + 1; }"""
    )


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
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def shoot():
    SHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, *, full_page: bool = False) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


@pytest.fixture(scope="session")
def mail_sink():
    """A real SMTP server on loopback that keeps what the app sends (aiosmtpd)."""
    from tests.test_outbox import smtp_sink

    with smtp_sink() as sink:
        yield sink


@contextmanager
def app_process(data_dir: Path, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """`cascade serve` as a process on a free port, with no Rasa; yields its base URL."""
    import httpx

    from tests.conftest import ADMIN
    from tests.live import free_port, start_app, stop, wait_until

    port = free_port()
    app = start_app(
        data_dir=data_dir,
        port=port,
        rasa_url="",
        admin_token=ADMIN,
        log=data_dir / "app.log",
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: httpx.get(url + "/health", timeout=5).status_code == 200,
            timeout_s=120,
            what="the app answering /health",
            process=app,
        )
        yield url
    finally:
        stop(app)


def mail_env(mail_sink) -> dict[str, str]:
    return {
        "CASCADE_SMTP_HOST": "127.0.0.1",
        "CASCADE_SMTP_PORT": str(mail_sink[1]),
        "CASCADE_OUTBOX_INTERVAL_S": "0.5",
    }


@pytest.fixture(scope="session")
def web_app(tmp_path_factory, mail_sink) -> Iterator[str]:
    """The app alone as a process (no Rasa: the bot counts as unreachable), with the real
    embedding model, SQLite on disk and email to `mail_sink`, on a free port. For pages that
    need no bot."""
    with app_process(tmp_path_factory.mktemp("web"), env=mail_env(mail_sink)) as url:
        yield url
