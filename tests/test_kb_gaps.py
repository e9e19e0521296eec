"""Content gaps grouped by meaning (the real model) and closed from the API; per-article
feedback from the bot's "did that answer your question?"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from tests.factories import ScriptedBot, article, jsonl, make_agent
from tests.helpers import ADMIN_HEADERS


def ask(client, text: str, replies: list[list[dict]], bot: ScriptedBot, follow_ups=()) -> str:
    bot.replies += replies
    started = client.post("/api/conversations", json={}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    for t in (text, *follow_ups):
        client.post(
            f"/api/conversations/{started['id']}/messages", json={"text": t}, headers=headers
        )
    return started["id"]


NO_ANSWER = [[{"custom": {"handoff": {"reason": "no_answer"}}}]]


@pytest.mark.model
def test_gaps_cluster_by_meaning_and_close(settings, clock, real_embedder) -> None:
    bot = ScriptedBot()
    with TestClient(create_app(settings, embedder=real_embedder, bot=bot, clock=clock)) as client:
        make_agent(client, ADMIN_HEADERS, "On duty", {"general": 1})
        client.post("/api/kb/import", content=jsonl(article()), headers=ADMIN_HEADERS)
        for question in [
            "do you offer pet insurance",
            "can I insure my dog with you",
            "what time does the branch open on sunday",
            "is there insurance for my cat",
            "when are your branches open at the weekend",
        ]:
            clock.advance(seconds=5)
            ask(client, question, NO_ANSWER, bot)
        clusters = client.get("/api/kb/gaps", headers=ADMIN_HEADERS).json()
        assert [c["count"] for c in clusters] == [3, 2]  # the most asked first
        pets, hours = clusters
        assert set(pets["examples"]) == {
            "do you offer pet insurance",
            "can I insure my dog with you",
            "is there insurance for my cat",
        }
        assert hours["examples"][0] == "when are your branches open at the weekend"
        # Every distinct question with its gaps, for the editor to tick or leave out.
        assert {q["text"]: q["gap_ids"] for q in pets["questions"]} == {
            q: [gap] for q, gap in zip(pets["examples"], pets["gap_ids"], strict=True)
        }

        draft = client.post(
            "/api/kb/gaps/draft",
            json={"gap_ids": pets["gap_ids"], "title": "Pet insurance"},
            headers=ADMIN_HEADERS,
        ).json()
        assert (draft["id"], draft["status"]) == ("pet-insurance", "draft")
        assert sorted(draft["questions"]) == sorted(pets["examples"])

        attached = client.post(
            "/api/kb/gaps/attach",
            json={"gap_ids": hours["gap_ids"], "article_id": "freeze-card"},
            headers=ADMIN_HEADERS,
        ).json()
        assert attached["version"] == 2
        assert "when are your branches open at the weekend" in attached["questions"]
        history = client.get("/api/kb/articles/freeze-card/versions", headers=ADMIN_HEADERS).json()
        assert history[0]["change"] == "added 2 example questions from content gaps"
        assert client.get("/api/kb/gaps", headers=ADMIN_HEADERS).json() == []
        again = client.post(
            "/api/kb/gaps/attach",
            json={"gap_ids": hours["gap_ids"], "article_id": "freeze-card"},
            headers=ADMIN_HEADERS,
        )
        assert again.status_code == 404  # already closed


def test_gaps_need_the_editor_role(client) -> None:
    customer = client.post("/api/conversations", json={}).json()["token"]
    assert (
        client.get("/api/kb/gaps", headers={"Authorization": f"Bearer {customer}"}).status_code
        == 403
    )
    assert client.get("/api/kb/gaps").status_code == 401


def test_article_feedback(client, bot, admin, clock) -> None:
    make_agent(client, admin, "On duty", {"cards": 1})
    client.post("/api/kb/import", content=jsonl(article()), headers=admin)
    shown = [
        {
            "custom": {
                "text": "Freeze it.",
                "article_id": "freeze-card",
                "title": "Freeze",
                "score": 0.8,
                "skill": "cards",
            }
        }
    ]
    yes = [
        {"custom": {"feedback": {"article_id": "freeze-card", "helpful": True}}},
        {"custom": {"resolve": {}}},
    ]
    no = [
        {
            "custom": {
                "feedback": {
                    "article_id": "freeze-card",
                    "helpful": False,
                    "question": "lock my card",
                }
            }
        },
        {"custom": {"handoff": {"reason": "unhelpful_answers", "question": "lock my card"}}},
    ]
    ask(client, "freeze my card", [shown, yes], bot, follow_ups=["/affirm"])
    ask(client, "lock my card", [shown, no], bot, follow_ups=["/deny"])
    ask(client, "pause my card", [shown], bot)
    figures = client.get("/api/kb/articles/freeze-card/feedback", headers=admin).json()
    assert figures == {
        "article_id": "freeze-card",
        "shown": 3,
        "helpful": 1,
        "not_helpful": 1,
        "helpful_rate": 0.5,
        "handoffs_after": 1,
    }
    gaps = client.get("/api/kb/gaps", headers=admin).json()
    assert [g["examples"] for g in gaps] == [["lock my card"]]
    assert gaps[0]["reasons"] == ["answer_unhelpful"]  # one gap per chat and question


def test_a_pick_from_a_list_is_no_content_gap(client, bot) -> None:
    """ "option 4" or "the second one" asks nothing an article could answer: the question the
    customer typed before it is the gap, and a chat with only a pick leaves none."""
    make_agent(client, ADMIN_HEADERS, "On duty", {"general": 1})
    ask(client, "option 4", NO_ANSWER, bot)
    picked = {"custom": {"handoff": {"reason": "no_answer", "question": "the second one"}}}
    ask(
        client,
        "do you lend money for boats",
        [[{"text": "Which of these is closest?"}], [picked]],
        bot,
        follow_ups=["the second one"],
    )
    ask(client, "ボートを買うためのローンはありますか", NO_ANSWER, bot)
    gaps = client.get("/api/kb/gaps", headers=ADMIN_HEADERS).json()
    assert [(cluster["examples"], cluster["language"]) for cluster in gaps] == [
        (["ボートを買うためのローンはありますか"], "ja"),  # the newest first
        (["do you lend money for boats"], "en"),
    ]
