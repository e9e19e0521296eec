"""The handoff package: everything the next person needs so the customer never repeats
themselves (reason, summary, skill, priority, knowledge attempts, customer, page, sentiment,
transcript)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HANDOVER_REASON_FOR_STAFF = {  # why a chat was handed over, as the agent reads it
    "customer_request": "the customer asked for a person",
    "frustration": "the customer is frustrated",
    "no_answer": "the knowledge base had no answer",
    "low_nlu_confidence": "the bot could not understand the message",
    "unhelpful_answers": "the suggested answers did not help",
    "clarification_declined": "none of the suggested articles fitted",
    "sensitive_topic": "the topic is one a person must handle",
    "bot_unavailable": "the bot was unreachable",
}
HELPED: dict[object, str] = {True: " (helped)", False: " (did not help)"}
URGENT_REASONS = frozenset({"frustration", "sensitive_topic"})


@dataclass(frozen=True)
class HandoffRequest:
    """What the bot (or the app) knows when it decides to hand over."""

    reason: str
    skill: str = "general"
    priority: str = "normal"
    question: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    sentiment: str = "neutral"
    detail: str | None = None

    @classmethod
    def from_signal(cls, signal: dict[str, Any]) -> HandoffRequest:
        reason = str(signal.get("reason") or "no_answer")
        return cls(
            reason=reason,
            skill=str(signal.get("skill") or "general"),
            priority=str(signal.get("priority") or priority_for(reason)),
            question=signal.get("question"),
            attempts=list(signal.get("attempts") or []),
            sentiment=str(signal.get("sentiment") or sentiment_for(reason)),
            detail=signal.get("detail"),
        )


def first_customer_question(messages: list[dict[str, Any]]) -> str | None:
    """What the customer first typed (button payloads are not typed text)."""
    return next(
        (
            m["text"]
            for m in messages
            if m["sender"] == "customer" and not m["text"].startswith("/")
        ),
        None,
    )


def priority_for(reason: str) -> str:
    return "high" if reason in URGENT_REASONS else "normal"


def sentiment_for(reason: str) -> str:
    return "negative" if reason in {"frustration", "unhelpful_answers"} else "neutral"


def summarise(
    request: HandoffRequest, *, customer_name: str | None, first_question: str | None
) -> str:
    who = customer_name or "The customer"
    asked = request.question or first_question
    parts = [f'{who} asked: "{asked}".' if asked else f"{who} has not asked a question yet."]
    if request.attempts:
        tried = ", ".join(
            f"{a.get('title') or a.get('article_id')}" + HELPED.get(a.get("helpful"), "")
            for a in request.attempts
        )
        parts.append(f"The bot suggested: {tried}.")
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
    at: str,
) -> dict[str, Any]:
    first_question = first_customer_question(transcript)
    return {
        "reason": request.reason,
        "summary": summarise(
            request, customer_name=customer.get("name"), first_question=first_question
        ),
        "skill": request.skill,
        "priority": request.priority,
        "knowledge_attempts": request.attempts,
        "customer": customer,
        "page_url": page_url,
        "sentiment": request.sentiment,
        "transcript": transcript,
        "handed_over_at": at,
    }
