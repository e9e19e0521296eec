"""The demo's two companies: Tidewater Bank (English, data/kb) and こもれび商店, an online shop in
Tokyo (Japanese, data/kb-ja). Both load into the one knowledge base, every skill has an agent, a
Japanese hand-over about returns is offered to the shop's returns agent, and `make demo`'s seed
imports both and links the Japanese demo page."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from cascade.app import build_services
from core.clock import ManualClock
from core.language import detect
from core.settings import Settings
from handoff.agents import AgentIn
from handoff.routing import AgentState, WaitingChat, eligible, select_agent
from knowledge_base.importing import parse_jsonl
from tests.factories import HashingEmbedder
from tests.helpers import ADMIN, ROOT, app_env

BANK = ROOT / "data" / "kb" / "articles.jsonl"
SHOP = ROOT / "data" / "kb-ja" / "articles.jsonl"
AGENTS = ROOT / "data" / "agents.json"


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def agents() -> list[AgentIn]:
    return [AgentIn.model_validate(raw) for raw in json.loads(AGENTS.read_text(encoding="utf-8"))]


def test_the_shop_has_forty_japanese_articles_in_four_skills_with_five_questions_each() -> None:
    articles = lines(SHOP)

    assert len(parse_jsonl(SHOP.read_text(encoding="utf-8"))) == len(articles) >= 40
    skills = Counter(a["skill"] for a in articles)
    assert len(skills) >= 4 and "returns" in skills, skills
    for article in articles:
        assert article["language"] == "ja", article["id"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", article["id"]), article["id"]
        assert 5 <= len(set(article["questions"])) == len(article["questions"]), article["id"]
        texts = [article["title"], article["body"], *article["questions"]]
        assert all(detect(text).language == "ja" for text in texts), article["id"]
        assert 2 <= article["body"].count("。") <= 5, article["id"]  # a few polite sentences


def test_both_companies_load_into_one_knowledge_base(tmp_path: Path) -> None:
    bank, shop = lines(BANK), lines(SHOP)
    assert not {a["id"] for a in bank} & {a["id"] for a in shop}  # one would replace the other
    services = build_services(
        Settings(data_dir=tmp_path, admin_token=SecretStr(ADMIN), rasa_url=""),
        embedder=HashingEmbedder(),
        clock=ManualClock(datetime(2026, 11, 29, 9, tzinfo=UTC)),
    )
    try:
        for path in (BANK, SHOP):
            services.kb.import_articles(parse_jsonl(path.read_text(encoding="utf-8")), author="t")
        published = services.kb.listing(status="published")
        assert len(published) == len(bank) + len(shop)
        assert services.kb.article("returns-exchange").title == "サイズや色の交換"
    finally:
        services.storage.close()


def test_every_skill_of_either_company_has_an_agent_and_the_shops_are_its_own() -> None:
    skills_of = {path: {a["skill"] for a in lines(path)} for path in (BANK, SHOP)}
    by_skill = {skill for agent in agents() for skill in agent.skills}
    assert skills_of[BANK] | skills_of[SHOP] <= by_skill
    assert not skills_of[BANK] & skills_of[SHOP]  # a shop hand-over never asks for a bank skill
    japanese = [a for a in agents() if detect(a.name).language == "ja"]
    assert {skill for agent in japanese for skill in agent.skills} == skills_of[SHOP]
    assert [a.name for a in agents()][:5] == [
        "Priya Raman",
        "Marcus Okafor",
        "Elena Kowalska",
        "Tom Whitfield",
        "Aisha Bello",
    ]


def test_a_returns_hand_over_is_offered_to_the_shops_returns_agent() -> None:
    since = datetime(2026, 11, 29, 9, tzinfo=UTC)
    online = [
        AgentState(a.name, a.skills, a.max_concurrent, "online", 0, since, frozenset(a.languages))
        for a in agents()
    ]
    chat = WaitingChat("c1", "returns", "normal", since, language="ja")

    chosen = select_agent(chat, online)

    assert chosen is not None and chosen.id == "佐藤 美咲"
    busy = [a if a.id != "佐藤 美咲" else replace(a, load=4) for a in online]
    second = select_agent(chat, busy)
    assert second is not None and second.id == "伊藤 さくら"
    # Once every shop agent is full, a Japanese chat waits, even past the skill wait limit,
    # and an English one never goes to the shop's agents.
    full = [replace(a, load=a.max_concurrent) if "ja" in a.languages else a for a in online]
    assert select_agent(replace(chat, widened=True), full) is None
    english = WaitingChat("c2", "general", "normal", since)
    assert {a.id for a in online if eligible(a, english)} == {
        a.name for a in agents() if detect(a.name).language != "ja"
    }


def test_the_demo_page_in_japanese_embeds_the_widget_in_japanese(client) -> None:
    japanese = client.get("/demo/site", params={"lang": "ja"})
    english = client.get("/demo/site")

    assert japanese.status_code == english.status_code == 200
    assert '<html lang="ja">' in japanese.text and "こもれび商店" in japanese.text
    widget = re.search(r'<script src="/widget.js"[^>]*>', japanese.text)
    assert widget and 'data-lang="ja"' in widget.group(0)
    assert "Tidewater Bank" in english.text and "data-lang" not in english.text
    assert client.get("/demo/site", params={"lang": "ja-JP"}).text == japanese.text
    assert client.get("/demo/site", params={"lang": "fr"}).text == english.text
    assert "frame-ancestors 'none'" in japanese.headers["content-security-policy"]


@pytest.mark.model
@pytest.mark.engine_independent  # the demo keeps its data in SQLite, in its data directory
def test_the_demo_seed_imports_both_companies_and_links_the_japanese_page(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    seeded = subprocess.run(
        ["scripts/demo-seed", str(data_dir), "8123", "5123"],
        cwd=ROOT,
        env=app_env(ADMIN),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]

    assert "http://127.0.0.1:8123/demo/site?lang=ja" in seeded.stdout
    console = re.search(r"佐藤 美咲, returns\):\s+(\S+)", seeded.stdout)
    assert console and re.fullmatch(r"http://127\.0\.0\.1:8123/console#token=\S{20,}", console[1])
    # And the sign-ins with email and password, one per staff face.
    sign_ins = re.findall(r"^ +(\S+)@tidewater\.example +(\w+) +\S{16,}$", seeded.stdout, re.M)
    assert sorted(sign_ins) == [
        ("admin", "admin"),
        ("noor", "editor"),
        ("priya", "agent"),
        ("sam", "ops"),
    ]
    exported = subprocess.run(
        [str(ROOT / ".venv/bin/cascade"), "kb", "export", str(tmp_path / "kb.jsonl")]
        + ["--data-dir", str(data_dir)],
        cwd=ROOT,
        env=app_env(ADMIN),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert exported.returncode == 0, exported.stderr[-3000:]
    ids = {a["id"] for a in lines(tmp_path / "kb.jsonl")}
    assert ids == {a["id"] for a in lines(BANK)} | {a["id"] for a in lines(SHOP)}
    tokens = (data_dir / "agents.txt").read_text(encoding="utf-8")
    assert all(agent.name in tokens for agent in agents())
