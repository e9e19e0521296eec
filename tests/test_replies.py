from __future__ import annotations

from conversations.replies import parse_replies


def test_custom_payloads_become_whole_messages_and_signals() -> None:
    turn = parse_replies(
        [
            {"recipient_id": "c", "text": "Hello!"},
            {
                "recipient_id": "c",
                "custom": {
                    "text": "**Freeze**\n\nStep one.\n\nStep two.",
                    "article_id": "freeze-card",
                    "score": 0.8,
                    "title": "Freeze",
                },
            },
            {
                "recipient_id": "c",
                "custom": {
                    "text": "Did that help?",
                    "buttons": [{"title": "Yes", "payload": "/affirm"}],
                },
            },
            {"recipient_id": "c", "custom": {"handoff": {"reason": "no_answer"}}},
        ]
    )
    assert [m.text for m in turn.messages] == [
        "Hello!",
        "**Freeze**\n\nStep one.\n\nStep two.",
        "Did that help?",
    ]
    assert turn.messages[1].article_id == "freeze-card"
    assert turn.messages[1].meta == {"score": 0.8, "title": "Freeze"}
    assert turn.messages[2].buttons == [{"title": "Yes", "payload": "/affirm"}]
    assert turn.signals == [("handoff", {"reason": "no_answer"})]


def test_junk_replies_are_ignored() -> None:
    turn = parse_replies([{"text": "   "}, {"custom": "not a dict"}, {"image": "x.png"}])
    assert turn.messages == [] and turn.signals == []
