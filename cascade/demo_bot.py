"""A bot for seeding the demo without a Rasa server: the real custom actions, run in-process.

What is real: every reply comes from the bot's own actions (`bot.actions`, through rasa-sdk's
executor, as `/webhook` serves them to Rasa), so answers, choices, "did that answer your
question?", the next-best article after a no and every hand-over are decided by the same
knowledge-base search and the same code. What is simulated: Rasa itself. Its NLU is replaced by
button payloads (`/affirm`, `/choose_article{"article_id": …}`, …, parsed as Rasa parses them)
and a fixed table of the phrases the demo's customers use to ask for a person; any other text is
a question. Its dialogue policy is replaced by the rules in `data/rules/` that those intents
reach (one action per intent), and its tracker by the slots each action sets, kept in memory.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.actions.common import KnowledgeSource
from bot.server import build_executor

# The phrases the simulated customers ask for a person with; the stand-in NLU knows only these.
PERSON_PHRASES = (
    "Can I talk to a person please?",
    "I'd like to speak to someone on your team",
    "agent please",
    "Is there a human I can chat with?",
    "I need to talk to a real person about this",
)
# Rasa's rules (data/rules/*.yml): which action each intent leads to.
ACTION_FOR = {
    "question": "action_answer_question",
    "affirm": "action_feedback",
    "deny": "action_feedback",
    "choose_article": "action_choose_article",
    "request_human": "action_hand_over",
    "complain": "action_hand_over",
    "email_me": "action_email_me",
}
_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.DOTALL)


def understand(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The intent and entities Rasa would give `text`, for the messages the simulation sends."""
    payload = _PAYLOAD.match(text.strip())
    if payload:
        entities: list[dict[str, Any]] = []
        if payload.group(2):
            try:
                values = json.loads(payload.group(2))
            except ValueError:
                values = {}
            if isinstance(values, dict):
                entities = [{"entity": k, "value": v} for k, v in values.items()]
        return payload.group(1), entities
    if text.strip().casefold() in {p.casefold() for p in PERSON_PHRASES}:
        return "request_human", []
    return "question", []


class InProcessBot:
    """`conversations.service.Bot` backed by the real actions; one tracker per sender."""

    def __init__(self, kb: KnowledgeSource) -> None:
        self._executor = build_executor(kb)
        self._slots: dict[str, dict[str, Any]] = {}

    async def is_up(self) -> bool:
        return True

    async def send(self, sender_id: str, text: str, *, metadata: dict[str, Any]) -> list[dict]:
        intent, entities = understand(text)
        action = ACTION_FOR.get(intent)
        if action is None:
            return []
        slots = self._slots.setdefault(sender_id, {})
        result = await self._executor.run(
            {
                "next_action": action,
                "sender_id": sender_id,
                "tracker": {
                    "sender_id": sender_id,
                    "slots": dict(slots),
                    "latest_message": {
                        "text": text,
                        "intent": {"name": intent, "confidence": 1.0},
                        "entities": entities,
                        "metadata": metadata,
                    },
                    "events": [],
                    "active_loop": {},
                    "latest_action_name": "action_listen",
                },
                "domain": {},
                "version": "3.6.21",
            }
        )
        if result is None:
            return []
        outcome = result.model_dump()
        for event in outcome.get("events") or []:
            if event.get("event") == "slot":
                slots[event["name"]] = event.get("value")
        return [rest_reply(sender_id, response) for response in outcome.get("responses") or []]


def rest_reply(sender_id: str, response: dict[str, Any]) -> dict[str, Any]:
    """One dispatched message as Rasa's REST channel sends it on."""
    if response.get("custom"):
        return {"recipient_id": sender_id, "custom": response["custom"]}
    reply: dict[str, Any] = {"recipient_id": sender_id, "text": response.get("text") or ""}
    if response.get("buttons"):
        reply["buttons"] = response["buttons"]
    return reply
