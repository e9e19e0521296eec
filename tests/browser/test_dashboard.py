"""The ops dashboard in Chromium against the app as a process: after real activity over REST,
the tiles show what GET /api/metrics answers, the charts draw, the CSV downloads, the skill
filter narrows the figures, a knowledge-gap question shows as text, and only ops may look.

The app here talks to a small scripted stand-in for Rasa's REST channel (the replies the unit
tests script through ScriptedBot), because a bot answer, its "did that help?" and a knowledge
gap can only come from a bot, and `web_app` runs without one.
"""

from __future__ import annotations

import csv
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import ADMIN, ADMIN_HEADERS, app_process

pytestmark = [pytest.mark.browser, pytest.mark.model]

XSS = "<img src=x onerror=alert(1)>"


def article(skill: str) -> dict:
    return {
        "text": "Freeze it in the app under Card settings.",
        "article_id": "freeze-card",
        "title": "Freeze your card",
        "score": 0.81,
        "skill": skill,
    }


def replies_to(text: str) -> list[dict]:
    """What the stand-in bot says: an article for card questions, a resolution after "yes",
    a person when asked, and no answer to anything else (a knowledge gap)."""
    if "card" in text:
        return [{"custom": article("cards")}]
    if text == "/affirm":
        return [
            {"custom": {"feedback": {"article_id": "freeze-card", "helpful": True}}},
            {"custom": {"text": "Glad that helped!"}},
            {"custom": {"resolve": {}}},
        ]
    if "person" in text:
        return [{"custom": {"handoff": {"reason": "customer_request"}}}]
    return [{"custom": {"handoff": {"reason": "no_answer", "question": text}}}]


class StandInRasa(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._send(200, b"Hello from Rasa: 3.6.21")

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        replies = [{"recipient_id": body["sender"], **r} for r in replies_to(body["message"])]
        self._send(200, json.dumps(replies).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@contextmanager
def stand_in_rasa(bot: type[StandInRasa] = StandInRasa) -> Iterator[str]:
    """The scripted stand-in's address while it serves, on a port of its own."""
    rasa = ThreadingHTTPServer(("127.0.0.1", 0), bot)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{rasa.server_address[1]}"
    finally:
        rasa.shutdown()


@pytest.fixture(scope="module")
def ops_app(tmp_path_factory) -> Iterator[str]:
    with (
        stand_in_rasa() as rasa_url,
        app_process(tmp_path_factory.mktemp("dashboard"), rasa_url=rasa_url) as url,
    ):
        yield url


class Customer:
    def __init__(self, http: httpx.Client, email: str) -> None:
        started = http.post("/api/conversations", json={"customer": {"email": email}}).json()
        self.http, self.id = http, started["id"]
        self.headers = {"Authorization": f"Bearer {started['token']}"}

    def says(self, text: str) -> dict:
        answer = self.http.post(
            f"/api/conversations/{self.id}/messages", json={"text": text}, headers=self.headers
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def activity(ops_app) -> dict[str, str]:
    """Three chats: the bot resolves one (rated 5), an agent resolves one (rated 4), and one the
    bot cannot answer becomes a ticket."""
    with httpx.Client(base_url=ops_app, timeout=30) as http:
        agent = http.post(
            "/api/agents",
            json={"name": "Priya Raman", "skills": {"cards": 3}, "max_concurrent": 3},
            headers=ADMIN_HEADERS,
        ).json()
        priya = {"Authorization": f"Bearer {agent['token']}"}
        assert (
            http.put(
                f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=priya
            ).status_code
            == 200
        )

        contained = Customer(http, "ana@example.com")
        contained.says("how do I freeze my card")
        assert contained.says("/affirm")["status"] == "resolved"
        contained.says('/csat{"score": 5}')

        helped = Customer(http, "ben@example.com")
        helped.says("my card was swallowed by a machine")
        assert helped.says("a person please")["status"] == "queued"
        desk = f"/api/conversations/{helped.id}"
        time.sleep(1.5)  # waits and handle times worth showing
        assert http.post(desk + "/accept", headers=priya).status_code == 200
        http.post(
            desk + "/messages", json={"text": "I have ordered a new card."}, headers=priya
        ).raise_for_status()
        time.sleep(1)
        assert http.post(desk + "/resolve", headers=priya).status_code == 200
        helped.says('/csat{"score": 4}')

        ops = http.post(
            "/api/tokens", json={"subject": "Sam Ortiz", "role": "ops"}, headers=ADMIN_HEADERS
        )
        assert ops.status_code == 201, ops.text

        gap = Customer(http, "cy@example.com")
        assert gap.says(XSS)["status"] == "queued"
        desk = f"/api/conversations/{gap.id}"
        time.sleep(0.5)
        assert http.post(desk + "/accept", headers=priya).status_code == 200
        assert http.post(desk + "/escalate", json={}, headers=priya).status_code == 200
    return {"agent_token": agent["token"], "ops_token": ops.json()["token"]}


# The dashboard's formatting, in Python, to compare what it shows with the API's numbers.


def trimmed(value: float, places: int) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(share: float | None) -> str:
    return "–" if share is None else trimmed(share * 100, 2) + "%"


def seconds(value: float | None) -> str:
    """As the page writes an average (shared/format.js `seconds`)."""
    if value is None:
        return "–"
    if value < 59.95:
        return trimmed(value, 1) + " s"
    whole = int(value + 0.5)  # JavaScript's Math.round
    hours, minutes, rest = whole // 3600, whole % 3600 // 60, whole % 60
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" + (f" {rest} s" if rest else "")


def durable(figures: dict) -> str:
    """The durable rate can only rise while chats are open or inside the durable window."""
    final = percent(figures["durable_resolution_rate"])
    if not figures["awaiting_window"] and not figures["outcomes"]["open"]:
        return final
    return "≥ " + final if figures["durable_resolutions"] else "–"


def shown(figures: dict) -> dict[str, str]:
    csat = figures["csat_avg"]
    return {
        "contacts": str(figures["contacts"]),
        "first_contact_resolution": percent(figures["first_contact_resolution"]),
        "bot_containment": percent(figures["bot_containment"]),
        "confirmed_resolution_rate": percent(figures["confirmed_resolution_rate"]),
        "assumed_resolution_rate": percent(figures["assumed_resolution_rate"]),
        "durable_resolution_rate": durable(figures),
        "reopen_rate": percent(figures["reopen_rate"]),
        "handoff_rate": percent(figures["handoff_rate"]),
        "ticket_rate": percent(figures["ticket_rate"]),
        "wait_avg_s": seconds(figures["wait_avg_s"]),
        "wait_p90_s": seconds(figures["wait_p90_s"]),
        "handle_time_avg_s": seconds(figures["handle_time_avg_s"]),
        "abandonment_rate": percent(figures["abandonment_rate"]),
        "csat_avg": "–" if csat is None else f"{csat:.2f} / 5",
        "sla_warnings": str(figures["sla_warnings"]),
        "sla_breaches": str(figures["sla_breaches"]),
    }


def expect_tiles(page, figures: dict[str, str]) -> None:
    """The tiles show these figures, and no others (waiting for a redraw to finish)."""
    expect(page.locator("#tiles .tile")).to_have_count(len(figures))
    for figure, value in figures.items():
        tile = page.locator(f'#tiles .tile[data-figure="{figure}"] .value')
        expect(tile).to_have_text(value)


def api_figures(base: str, query: str) -> dict:
    answer = httpx.get(f"{base}/api/metrics?{query}", headers=ADMIN_HEADERS)
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_dashboard(page, base: str, token: str = ADMIN, query: str = ""):
    page.goto(f"{base}/dashboard{query}#token={token}")
    return page


def range_of(page) -> str:
    return f"since={page.input_value('#since')}&until={page.input_value('#until')}"


def wait_painted(page, canvas_id: str) -> None:
    """Waits until the chart's canvas has something drawn on it."""
    page.wait_for_function(
        """(id) => {
            const c = document.getElementById(id);
            if (!c || !c.width || !c.height) return false;
            const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
            return false;
        }""",
        arg=canvas_id,
    )


def test_tiles_charts_and_csv_match_the_api(ops_app, activity, page, shoot, tmp_path) -> None:
    open_dashboard(page, ops_app, token=activity["ops_token"])  # an ops-only token
    page.wait_for_selector("#status:has-text('3 conversations')")
    window = range_of(page)
    figures = api_figures(ops_app, window)
    assert figures["contacts"] == 3
    assert (figures["bot_containment"], figures["ticket_rate"]) == (0.3333, 0.3333)
    assert (figures["csat_avg"], figures["csat_responses"]) == (4.5, 2)
    assert figures["wait_p90_s"] >= 1.5 and figures["handle_time_avg_s"] >= 0.5
    expect_tiles(page, shown(figures))
    # The queue-wait tiles say whose waits they are: the chats agents took, not every queued one.
    taken = figures["queue_waits"]
    assert taken >= 1
    for figure in ("wait_avg_s", "wait_p90_s"):
        expect(page.locator(f'#tiles [data-figure="{figure}"] .detail')).to_have_text(
            f"over {taken} chat an agent took from the queue"
            if taken == 1
            else f"over {taken} chats agents took from the queue"
        )
    # The default range: the last 14 days up to today.
    assert (
        page.input_value("#until")
        == httpx.get(ops_app + "/api/metrics/filters", headers=ADMIN_HEADERS).json()["today"]
    )
    for chart in ("fcr-chart", "volume-chart", "wait-chart", "reasons-chart"):
        wait_painted(page, chart)
    reasons = page.locator("#reasons li")
    expect(reasons).to_have_count(2)
    expect(reasons.nth(0)).to_contain_text("(1)")
    expect(page.locator("#reasons-note")).to_have_count(0)  # each chat was handed over once
    # The question a customer typed is shown as text, never run as HTML.
    expect(page.locator("#gaps .question")).to_have_text([XSS])
    expect(page.locator("#gaps img")).to_have_count(0)
    expect(page.locator("#gaps-more")).to_have_count(0)  # the list holds every one
    assert page.dialogs == []
    shoot(page, "dashboard", full_page=True)
    # Today's resolutions are younger than the durable window: today's rate is not known yet,
    # in the tile (checked above) as in the table.
    assert figures["resolved"] and figures["awaiting_window"] == figures["resolved"]
    expect(page.locator('#tiles [data-figure="durable_resolution_rate"] .value')).to_have_text("–")
    page.get_by_text("Figures by day as a table").click()
    today = page.locator(".by-day tbody tr").filter(
        has=page.locator(f'th:text-is("{page.input_value("#until")}")')
    )
    durable = page.locator(".by-day thead th").all_inner_texts().index("Durable")
    expect(today.locator("td").nth(durable - 1)).to_have_text("–")

    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("cascade-metrics-") and saved.suffix == ".csv"
    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    assert rows[-1]["day"] == "total"
    assert len(rows) == 15  # 14 days and the total
    total = rows[-1]
    for name in ("contacts", "first_contact_resolution", "bot_containment", "handoff_rate"):
        assert total[name] == str(figures[name]), name
    assert total["csat_avg"] == "4.5" and total["handoffs_no_answer"] == "1"
    assert sum(int(row["contacts"]) for row in rows[:-1]) == 3
    assert page.errors == []


def test_a_list_of_gaps_cut_short_says_how_many_chats_it_leaves_out(
    ops_app, activity, page
) -> None:
    """The figures hold the most asked gaps only (ten); past them, the page says so. The real
    answer, with more chats handed over for want of an answer than its list holds."""

    def more_gaps(route) -> None:
        figures = route.fetch().json()
        figures["total"]["knowledge_gap_questions"] += 14
        route.fulfill(json=figures)

    page.route(re.compile(r"/api/metrics/daily\?"), more_gaps)
    open_dashboard(page, ops_app)
    page.wait_for_selector("#status:has-text('3 conversations')")
    expect(page.locator("#gaps-more")).to_have_text(
        "Only the most asked are listed: 1 of the 15 chats handed over for want of an answer."
    )
    assert page.errors == []


def test_the_skill_filter_narrows_the_figures(ops_app, activity, page) -> None:
    open_dashboard(page, ops_app)
    page.wait_for_selector("#status:has-text('3 conversations')")
    window = range_of(page)
    expect(page.locator("#skill option")).to_have_text(["All skills", "cards", "general"])
    page.select_option("#skill", "cards")
    page.wait_for_selector("#status:has-text('skill cards')")
    cards = api_figures(ops_app, window + "&skill=cards")
    assert cards["contacts"] == 2  # the two card questions; the gap had no topic but "general"
    assert shown(cards) != shown(api_figures(ops_app, window))  # so the tiles change
    expect_tiles(page, shown(cards))
    expect(page.locator("#gaps .question")).to_have_count(0)
    page.select_option("#skill", "general")
    page.wait_for_selector("#status:has-text('skill general')")
    expect_tiles(page, shown(api_figures(ops_app, window + "&skill=general")))
    assert page.errors == []


def test_an_empty_range_says_so(ops_app, activity, page) -> None:
    open_dashboard(page, ops_app, query="?since=2020-01-01&until=2020-01-14")
    expect(page.locator("#empty")).to_have_text("No conversations in this range.")
    expect(page.locator("body")).not_to_contain_text("NaN")
    tile = page.locator('#tiles .tile[data-figure="first_contact_resolution"] .value')
    expect(tile).to_have_text("–")
    expect(page.locator("canvas")).to_have_count(0)
    # A From after the To is explained in the form's words, and nothing of before stays drawn.
    page.fill("#since", "2020-02-01")
    expect(page.locator("#status.error")).to_have_text(
        "“From” is after “To”: pick a From date on or before the To date."
    )
    expect(page.locator("#tiles")).to_have_count(0)
    expect(page.locator("#empty")).to_have_count(0)


def test_a_date_typed_digit_by_digit_loads_once_it_is_whole(ops_app, activity, page) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/metrics/daily" in r.url else None)
    open_dashboard(page, ops_app, query="?since=2020-01-01&until=2020-01-14")
    expect(page.locator("#empty")).to_be_visible()
    asked.clear()
    page.locator("#until").focus()  # its first part, the month
    page.keyboard.type("02142020")  # month, day, then the year a digit at a time
    expect(page.locator("#until")).to_have_value("2020-02-14")
    expect(page.locator("#status")).to_contain_text("2020-01-01 to 2020-02-14")
    # No half-typed year (0002, 0020, …) is asked for; a whole date passed on the way (the day's
    # "1" of "14": 2020-02-01) may be, if the browser stalls: the last asked is the date typed.
    years = [int(re.search(r"until=(\d{4})", url).group(1)) for url in asked]
    assert asked and min(years) >= 2000 and "until=2020-02-14" in asked[-1], asked
    # A From left empty shows which day the figures start on: the server's default.
    page.fill("#since", "")
    expect(page.locator("#since")).not_to_have_value("")
    assert page.errors == []


# The reasons chart's axis labels as drawn (each a list of lines) and the widest line's width.
REASON_AXIS = """() => {
  const axis = Chart.getChart("reasons-chart").scales.y;
  axis.ctx.font = Chart.helpers.toFont(axis.options.ticks.font).string;
  const labels = axis.getLabelItems().map((item) => [].concat(item.label));
  const widest = Math.max(...labels.flat().map((line) => axis.ctx.measureText(line).width));
  return { labels, widest, width: axis.width };
}"""


def test_phone_width_and_keyboard(ops_app, activity, new_page, shoot) -> None:
    page = new_page(width=375, height=812, mobile=True)
    open_dashboard(page, ops_app)
    page.wait_for_selector("#status:has-text('3 conversations')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Every hand-over reason is named on the chart's axis, each line within the axis's width.
    wait_painted(page, "reasons-chart")
    axis = page.evaluate(REASON_AXIS)
    assert [" ".join(lines) for lines in axis["labels"]] == page.locator(
        "#reasons li"
    ).evaluate_all("items => items.map((li) => li.firstChild.textContent)")
    assert axis["widest"] <= axis["width"]
    # Date fields take several Tab stops (day, month, year); from the skill on, one each.
    page.focus("#skill")
    page.keyboard.press("ArrowDown")  # a closed <select> changes with the arrow keys
    page.wait_for_selector("#status:has-text('skill cards')")
    for name in ("Show", "Download CSV"):
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name=name, exact=True)).to_be_focused()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
    shoot(page, "dashboard-phone", full_page=True)
    assert page.errors == []


def test_only_ops_may_look(ops_app, activity, page) -> None:
    open_dashboard(page, ops_app, token=activity["agent_token"])
    expect(page.locator("form.signin .error")).to_contain_text("does not hold the ops role")
    expect(page.locator("#tiles")).to_have_count(0)
    agent = {"Authorization": f"Bearer {activity['agent_token']}"}
    for path in ("/api/metrics", "/api/metrics/daily", "/api/metrics.csv"):
        assert httpx.get(ops_app + path, headers=agent).status_code == 403
        assert httpx.get(ops_app + path).status_code == 401
