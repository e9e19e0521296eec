"""The one-paragraph summary an agent reads at the top of a hand-over."""

from __future__ import annotations

from pathlib import Path

from conversations.people import HandoffRequest
from handoff.package import HANDOVER_REASON_FOR_STAFF, summarise

ROOT = Path(__file__).resolve().parent.parent


def test_the_summary_reads_as_sentences() -> None:
    request = HandoffRequest(
        reason="customer_chose_email",
        question="Why was my card declined?",
        attempts=[{"article_id": "declined", "title": "Why was my card declined?"}],
    )
    assert summarise(request, customer_name="Ana", first_question=None) == (
        'Ana asked: "Why was my card declined?". The bot suggested: Why was my card declined? '
        "Handed over because the customer asked to be emailed."
    )


def test_choices_the_customer_turned_down_are_named_as_offered() -> None:
    request = HandoffRequest(
        reason="clarification_declined",
        question="my card",
        attempts=[
            {"article_id": "lost", "title": "Lost card", "helpful": False, "offered": True},
            {"article_id": "freeze", "title": "Freeze card", "helpful": False, "offered": True},
        ],
    )
    assert summarise(request, customer_name="Ana", first_question=None) == (
        'Ana asked: "my card". The bot suggested: Lost card (offered as a choice), Freeze'
        " card (offered as a choice). Handed over because none of the suggested articles fitted."
    )


def test_every_reason_a_chat_leaves_the_bot_or_the_queue_for_is_worded() -> None:
    """Each reason the console names (web/static/js/shared/labels.js) reads as words in the
    summary too, never as its code."""
    labels = (ROOT / "web/static/js/shared/labels.js").read_text(encoding="utf-8")
    block = labels.split("export const HANDOFF_REASONS = {")[1].split("};")[0]
    codes = {line.split(":")[0].strip() for line in block.splitlines() if ":" in line}
    assert codes <= HANDOVER_REASON_FOR_STAFF.keys()


def test_a_pick_typed_as_a_reply_is_not_quoted_as_the_question() -> None:
    """「２番目」 typed when no list was on offer reached the bot as a question; the agent reads
    the customer's real question instead, in the summary and the package."""
    from handoff.package import build_package

    request = HandoffRequest(reason="unhelpful_answers", question="２番目")
    transcript = [
        {"sender": "customer", "text": "返金っていつされるの？"},
        {"sender": "customer", "text": "２番目"},
    ]
    package = build_package(
        request, customer={}, page_url=None, transcript=transcript, language="ja", at="now"
    )
    assert package["question"] == "返金っていつされるの？"
    assert package["summary"].startswith('The customer asked: "返金っていつされるの？".')


def test_the_question_is_what_the_bot_searched_not_the_greeting_before_it(
    client, bot, admin
) -> None:
    """ "hi", then the question, then the customer loses patience: the agent's summary and the
    ticket's subject quote the question the bot offered articles for, not the "hi"."""
    choices = {
        "custom": {
            "text": "Which one fits best?",
            "buttons": [
                {"title": "Order a card", "payload": '/choose_article{"article_id": "order"}'},
                {"title": "None of these", "payload": "/deny"},
            ],
        }
    }
    bot.replies = [[{"custom": {"text": "Hello! What can I help you with?"}}], [choices]]
    started = client.post("/api/conversations", json={"customer": {"name": "Ana"}}).json()
    headers = {"Authorization": f"Bearer {started['token']}"}
    for text in ("hi", "my card hasn't arrived", "you are a useless bot"):
        client.post(
            f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
        )
    view = client.get(f"/api/conversations/{started['id']}", headers=admin).json()
    assert view["handoff"]["summary"].startswith('Ana asked: "my card hasn\'t arrived".')
    ticket = client.get(f"/api/tickets/{view['ticket_id']}", headers=admin).json()
    assert ticket["subject"] == "my card hasn't arrived"
