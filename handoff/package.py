"""The handoff package: everything the next person needs so the customer never repeats
themselves (reason, summary, skill, priority, knowledge attempts, customer, the customer's
language, page, sentiment, transcript).

The summary is for staff (in English); what the customer wrote is quoted as they wrote it."""

from __future__ import annotations

from typing import Any

from conversations.people import HandoffRequest
from conversations.transcript import first_customer_question
from core.choices import is_pick

HANDOVER_REASON_FOR_STAFF = {  # why a chat was handed over, as the agent reads it
    "customer_request": "the customer asked for a person",
    "frustration": "the customer is frustrated",
    "no_answer": "the knowledge base had no answer",
    "low_nlu_confidence": "the bot could not understand the message",
    "not_understood": "the bot could not understand two messages in a row",
    "unhelpful_answers": "the suggested answers did not help",
    "clarification_declined": "none of the suggested articles fitted",
    "sensitive_topic": "the topic is one a person must handle",
    "bot_unavailable": "the bot was unreachable",
    "customer_chose_email": "the customer asked to be emailed",
    "max_wait": "nobody took the chat in time",
    "nobody_online": "nobody was online",
    "passed_on": "every agent online who chats in the customer's language passed it on",
    "outside_hours": "it was outside live-chat hours",
    "agent_escalated": "an agent escalated the chat",
}
HELPED: dict[object, str] = {True: " (helped)", False: " (did not help)"}


def asked_question(request: HandoffRequest, first_question: str | None) -> str | None:
    """The question the bot was working on, unless it was only a pick from a list ("２番目",
    "the second one"): no question an article answers; the customer's first question then."""
    if request.question and not is_pick(request.question):
        return request.question
    return first_question


def summarise(
    request: HandoffRequest, *, customer_name: str | None, first_question: str | None
) -> str:
    who = customer_name or "The customer"
    asked = asked_question(request, first_question)
    parts = [f'{who} asked: "{asked}".' if asked else f"{who} has not asked a question yet."]
    if request.attempts:
        tried = ", ".join(
            f"{a.get('title') or a.get('article_id')}"
            + (" (offered as a choice)" if a.get("offered") else HELPED.get(a.get("helpful"), ""))
            for a in request.attempts
        )
        parts.append(f"The bot suggested: {_sentence(tried)}")
    parts.append(
        f"Handed over because {HANDOVER_REASON_FOR_STAFF.get(request.reason, request.reason)}."
    )
    if request.detail:
        parts.append(request.detail)
    return " ".join(parts)


def build_package(
    request: HandoffRequest,
    *,
    customer: dict[str, Any],
    page_url: str | None,
    transcript: list[dict[str, Any]],
    language: str,
    at: str,
) -> dict[str, Any]:
    first_question = first_customer_question(transcript)
    return {
        "reason": request.reason,
        "summary": summarise(
            request, customer_name=customer.get("name"), first_question=first_question
        ),
        "question": asked_question(request, first_question),
        "skill": request.skill,
        "priority": request.priority,
        "knowledge_attempts": request.attempts,
        "customer": customer,
        "language": language,
        "page_url": page_url,
        "sentiment": request.sentiment,
        "transcript": transcript,
        "handed_over_at": at,
    }


def _sentence(text: str) -> str:
    """`text` ended with a full stop, unless it ends in one already ("Why was it declined?")."""
    return text if text.endswith((".", "?", "!", "。", "？", "！")) else text + "."
