"""Content gaps as a conversation reports them: questions the bot could not answer, which the
knowledge base groups for editors. The app wires the knowledge base's log as the `GapRecorder`.

Each gap is stored with a reason, one of two kinds:
- the reason of a hand-over that happened because the knowledge base had no good answer
  (`HANDOVER_REASONS_FOR_GAPS`, stored as the hand-over's own reason, e.g. `unhelpful_answers`:
  the answers shown did not help, so a person takes over);
- `ANSWER_NOT_HELPFUL` (stored as `answer_unhelpful`): the customer said one answer did not help.
"""

from __future__ import annotations

from typing import Protocol

HANDOVER_REASONS_FOR_GAPS = frozenset(
    {
        "no_answer",
        "low_nlu_confidence",
        "not_understood",
        "clarification_declined",
        "unhelpful_answers",
    }
)
ANSWER_NOT_HELPFUL = "answer_unhelpful"


class GapRecorder(Protocol):
    def record(self, question: str, *, conversation_id: str, reason: str) -> None:
        """Keep the question for editors (once per conversation and question)."""
        ...
