"""The widget in Japanese, in headless Chromium: a company's page puts `data-lang="ja"` on the
widget's tag, and everything the widget and the app write to the customer is Japanese: the
launcher, the chat's interface, the hand-over and the wait, an agent joining, the rating. A
browser whose language is Japanese gets the same without `data-lang`, and an English widget
follows a customer who writes Japanese.

Without a bot (as the widget's other tests) the customer's message goes straight to people;
with the real Rasa server the question reaches the bot first (its own replies are the bot's
catalogue: this checks the texts the chat and the widget write)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CompanySite
from tests.helpers import (
    ADMIN_HEADERS,
    PAGE_TIMEOUT_MS,
    app_process,
    conversation_id,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.model]

AGENT = "山田 花子"
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[str]:
    """Its own app process (no Rasa: the bot counts as unreachable)."""
    with app_process(tmp_path_factory.mktemp("widget-ja")) as url:
        yield url


@pytest.fixture
def api(app) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app, headers=ADMIN_HEADERS, timeout=30) as client:
        yield client


@pytest.fixture
def agent(api) -> Iterator[dict]:
    created = api.post(
        "/api/agents",
        json={"name": AGENT, "skills": {"general": 3}, "max_concurrent": 2, "languages": ["ja"]},
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    agent["headers"] = {"Authorization": f"Bearer {agent['token']}"}
    online = api.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent["headers"]
    )
    assert online.status_code == 200, online.text
    yield agent
    api.put(
        f"/api/agents/{agent['id']}/status", json={"status": "offline"}, headers=agent["headers"]
    )


def shop_page(page, shop: str, app: str, attributes: str = 'data-lang="ja"') -> None:
    """Opens the shop's page with the widget's one tag on it."""
    CompanySite.pages["/help"] = (
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'></head><body>"
        "<h1>東京セレクトストア</h1>"
        f'<script src="{app}/widget.js" async {attributes}></script></body></html>'
    )
    page.goto(shop + "/help")


def say(chat, label: str, text: str) -> None:
    chat.get_by_label(label).fill(text)
    chat.get_by_label(label).press("Enter")


REPLY = "お待たせいたしました。ご請求は https://komorebi.example/billでご確認いただけます。"


def test_a_japanese_customer_waits_meets_an_agent_and_rates_all_in_japanese(
    app, api, agent, site, page, shoot
) -> None:
    shop_page(page, site, app)
    page.get_by_role("button", name="チャットで問い合わせる").click()
    chat = page.frame_locator("#cascade-frame")
    expect(chat.locator("html")).to_have_attribute("lang", "ja")
    expect(chat.locator(".msg.bot").first).to_contain_text("バーチャルアシスタントです")
    expect(chat.locator("#chat-title")).to_have_text("サポート")
    expect(chat.locator("#chat-status")).to_have_text("アシスタント")
    box = chat.get_by_label("メッセージ")
    expect(box).to_have_attribute("placeholder", "ご質問を入力してください…")
    cid = conversation_id(page)
    started = api.get(f"/api/conversations/{cid}").json()
    assert (started["language"], started["language_source"]) == ("ja", "locale")

    # The question goes out; with no bot, the team is told and the customer waits, in Japanese.
    say(chat, "メッセージ", "カードの請求が二重になっています")
    expect(chat.locator(".msg.customer").first).to_have_text("カードの請求が二重になっています")
    expect(chat.locator(".msg.system").first).to_contain_text(
        "ただいまアシスタントがご利用いただけないため"
    )
    expect(chat.locator("#queue-position")).to_have_text("1番目にお待ちいただいています")
    expect(
        chat.locator(".msg.system", has_text="ただいま1番目にお待ちいただいております。")
    ).to_be_visible()
    # This server sends no email, so "email me instead" is not offered.
    expect(chat.locator(".msg.system .buttons button")).to_have_count(0)
    expect(chat.locator("#chat-status")).to_have_text("担当者の対応待ち")
    shoot(page, "widget-ja-queue")

    # The agent takes it and replies; the customer reads who joined, and the reply.
    accepted = httpx.post(
        f"{app}/api/conversations/{cid}/accept", headers=agent["headers"], timeout=30
    )
    assert accepted.status_code == 200, accepted.text
    expect(
        chat.locator(".msg.system", has_text=f"{AGENT}がチャットに参加しました。")
    ).to_be_visible()
    expect(chat.locator("#agent-banner")).to_have_text(f"{AGENT}が対応しています")
    expect(box).to_have_attribute("placeholder", f"{AGENT}へ返信…")
    sent = httpx.post(
        f"{app}/api/conversations/{cid}/messages",
        json={"text": REPLY, "client_id": "ja1"},
        headers=agent["headers"],
        timeout=30,
    )
    assert sent.status_code == 200, sent.text
    reply = chat.locator(".msg.agent").last
    expect(reply.locator(".text")).to_have_text(REPLY)
    # The address is a link; the Japanese written right after it is not part of it.
    expect(reply.locator("a")).to_have_attribute("href", "https://komorebi.example/bill")
    expect(reply.locator(".from")).to_have_text(AGENT)
    say(chat, "メッセージ", "ありがとうございます")
    wait_until(
        lambda: (
            api.get(f"/api/conversations/{cid}").json()["messages"][-1]["text"]
            == "ありがとうございます"
        ),
        what="the customer's thanks stored",
    )
    shoot(page, "widget-ja-agent")

    # Resolved: the rating form, and its thanks.
    resolved = httpx.post(
        f"{app}/api/conversations/{cid}/resolve", headers=agent["headers"], timeout=30
    )
    assert resolved.status_code == 200, resolved.text
    expect(chat.locator("#rating legend")).to_have_text("評価（星1〜5）")
    chat.get_by_role("button", name="5段階中5").click()
    chat.get_by_label("ご意見・ご感想（任意）").fill("丁寧な対応でした")
    chat.get_by_role("button", name="評価を送信").click()
    expect(chat.locator("#rated")).to_have_text(
        "5段階中5でご評価いただきました。ありがとうございます。"
    )
    chat.get_by_role("button", name="メニュー").click()
    expect(chat.get_by_role("menuitem", name="新しいチャットを始める")).to_be_visible()
    # This server sends no email, so the transcript by email is not offered.
    expect(chat.locator("#email-transcript")).to_be_hidden()
    shoot(page, "widget-ja-rated")

    # Nothing the customer reads is English (the agent's name, the customer's text and the web
    # address the agent sent aside).
    shown = chat.locator("#chat").inner_text().replace("https://komorebi.example/bill", "")
    assert LATIN_WORD.findall(shown) == [], LATIN_WORD.findall(shown)
    view = api.get(f"/api/conversations/{cid}").json()
    assert view["csat"] == {"score": 5, "comment": "丁寧な対応でした"}
    assert page.dialogs == [] and page.errors == []


def test_a_browser_in_japanese_gets_a_japanese_widget_without_data_lang(app, api, site, browser):
    context = browser.new_context(locale="ja-JP")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        page = context.new_page()
        shop_page(page, site, app, attributes="")
        page.get_by_role("button", name="チャットで問い合わせる").click()
        chat = page.frame_locator("#cascade-frame")
        expect(chat.locator(".msg.bot").first).to_contain_text("バーチャルアシスタントです")
        expect(chat.get_by_label("メッセージ")).to_be_visible()
        cid = conversation_id(page)
        assert api.get(f"/api/conversations/{cid}").json()["language"] == "ja"
    finally:
        context.close()


def test_an_english_widget_follows_a_customer_who_writes_japanese(app, api, site, page) -> None:
    shop_page(page, site, app, attributes="")  # an English browser, no data-lang
    page.get_by_role("button", name="Chat with us").click()
    chat = page.frame_locator("#cascade-frame")
    expect(chat.get_by_label("Your message")).to_have_attribute(
        "placeholder", "Type your question…"
    )
    say(chat, "Your message", "注文した商品がまだ届きません")
    # The conversation is Japanese now: the chat's texts and the widget's own words follow.
    expect(chat.locator(".msg.system").first).to_contain_text(
        "ただいまアシスタントがご利用いただけないため"
    )
    expect(chat.get_by_label("メッセージ")).to_have_attribute("placeholder", re.compile("…$"))
    expect(chat.locator("html")).to_have_attribute("lang", "ja")
    # The greeting's time, shown in English before, reads as Japanese does too (15:17, no PM).
    expect(chat.locator(".msg.bot").first).to_have_attribute(
        "data-time", re.compile(r"^\d{1,2}:\d{2}$")
    )
    cid = conversation_id(page)
    view = api.get(f"/api/conversations/{cid}").json()
    assert (view["language"], view["language_source"]) == ("ja", "detected")
    # Nobody is online: a ticket. This server sends no email, so an address given on the ticket
    # is kept for the team, and the reply is promised in the chat only.
    banner = chat.locator("#ticket-banner")
    expect(banner).to_contain_text("こちらのチャットでご返信いたします。")
    say(chat, "メッセージ", "連絡先は sato@example.jp です")
    wait_until(
        lambda: (
            api.get(f"/api/conversations/{cid}").json()["customer"].get("email")
            == "sato@example.jp"
        ),
        what="the address kept on the conversation",
    )
    expect(chat.locator(".msg.system").last).to_contain_text("このチャットでご返信いたします。")
    page.reload()
    expect(chat.locator("#ticket-banner")).to_contain_text("こちらのチャットでご返信いたします。")
    assert page.errors == []


def test_the_agent_sees_the_customers_language_and_their_own_words(
    app, api, agent, site, new_page, shoot
) -> None:
    console = new_page()
    console.goto(f"{app}/console#token={agent['token']}")
    expect(console.locator("#who")).to_have_text(AGENT)
    customer = new_page()
    shop_page(customer, site, app)
    customer.get_by_role("button", name="チャットで問い合わせる").click()
    chat = customer.frame_locator("#cascade-frame")
    say(chat, "メッセージ", "返品の手続きを教えてください")
    cid = conversation_id(customer)
    statuses: list[str] = []

    def queued() -> bool:
        statuses.append(api.get(f"/api/conversations/{cid}").json()["status"])
        return statuses[-1] == "queued"

    try:
        wait_until(queued, what="the chat waiting for a person")
    except TimeoutError:
        raise AssertionError(f"the chat never queued; its statuses: {statuses[-3:]}") from None

    offer = console.locator(f'.offer[data-conversation="{cid}"]')
    expect(offer.locator(".lang-badge")).to_have_text("Japanese · 日本語")
    offer.get_by_role("button", name="Accept").click()
    pane = console.locator(f'.chat-pane[data-conversation="{cid}"]')
    expect(pane.locator(".handoff .lang-badge")).to_have_text("Japanese · 日本語")
    expect(pane.locator(".handoff")).to_contain_text('asked: "返品の手続きを教えてください"')
    expect(
        pane.locator(".transcript .msg-customer", has_text="返品の手続きを教えてください")
    ).to_be_visible()
    expect(console.locator(f'.chat-tab[data-conversation="{cid}"] .lang-badge')).to_be_visible()
    shoot(console, "console-ja-customer")
    pane.get_by_role("button", name="Resolve").click()
    expect(chat.locator("#rating legend")).to_have_text("評価（星1〜5）")
    assert console.errors == [] and customer.errors == []


@pytest.mark.rasa
def test_with_the_real_bot_a_japanese_question_then_a_person(live, site, new_page, shoot) -> None:
    """The real Rasa server hears the Japanese question with the conversation's language; the
    hand-over and wait texts, the agent's joining and the widget are Japanese."""
    http = live.client()
    created = http.post(
        "/api/agents",
        json={
            "name": AGENT,
            "skills": {s: 3 for s in ("general", "returns", "orders", "shipping")},
            "max_concurrent": 2,
            "languages": ["ja"],
        },
        headers=live.admin,
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    agent_headers = {"Authorization": f"Bearer {agent['token']}"}
    online = http.put(
        f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent_headers
    )
    assert online.status_code == 200, online.text
    try:
        customer = new_page()
        shop_page(customer, site, live.url)
        customer.get_by_role("button", name="チャットで問い合わせる").click()
        chat = customer.frame_locator("#cascade-frame")
        expect(chat.locator(".msg.bot").first).to_contain_text("バーチャルアシスタントです")
        say(chat, "メッセージ", "届いたコップが割れていました")
        cid = conversation_id(customer)
        # The bot answers (in whatever words its catalogue has): a reply after the question.
        wait_until(
            lambda: (
                http.get(f"/api/conversations/{cid}", headers=live.admin).json()["messages"][-1][
                    "sender"
                ]
                != "customer"
            ),
            timeout_s=60,
            what="the bot's reply",
        )
        view = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
        assert view["language"] == "ja"
        if view["status"] == "bot":  # the bot kept the chat: ask for a person from the menu
            shoot(customer, "widget-ja")
            chat.get_by_role("button", name="メニュー").click()
            chat.get_by_role("menuitem", name="担当者と話す").click()
        expect(chat.locator("#queue-position")).to_have_text(
            re.compile(r"^\d+番目にお待ちいただいています$"), timeout=60_000
        )
        expect(
            chat.locator(
                ".msg.system", has_text=re.compile(r"ただいま\d+番目にお待ちいただいております。")
            )
        ).to_be_visible()
        shoot(customer, "widget-ja-live-queue")

        accepted = http.post(f"/api/conversations/{cid}/accept", headers=agent_headers)
        assert accepted.status_code == 200, accepted.text
        expect(
            chat.locator(".msg.system", has_text=f"{AGENT}がチャットに参加しました。")
        ).to_be_visible()
        sent = http.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "アプリの「カード設定」から一時停止できます。", "client_id": "ja-live-1"},
            headers=agent_headers,
        )
        assert sent.status_code == 200, sent.text
        expect(chat.locator(".msg.agent .text").last).to_have_text(
            "アプリの「カード設定」から一時停止できます。"
        )
        expect(chat.locator("#agent-banner")).to_have_text(f"{AGENT}が対応しています")
        assert customer.errors == []
    finally:
        http.put(
            f"/api/agents/{agent['id']}/status", json={"status": "offline"}, headers=agent_headers
        )
