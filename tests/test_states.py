from __future__ import annotations

import json

import pytest

from conversations.errors import ConversationMoved, ConversationNotFound, IllegalTransition
from conversations.states import ALLOWED, Status, can_move, transition
from conversations.store import ConversationStore
from core.db import Storage


def new_conversation(storage: Storage) -> str:
    return ConversationStore(storage).create(customer={}, page_url=None, at="t0")


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (Status.BOT, Status.QUEUED, True),
        (Status.BOT, Status.RESOLVED, True),
        (Status.BOT, Status.ASSIGNED, False),  # a person gets it only through the queue
        (Status.BOT, Status.TICKETED, False),
        (Status.QUEUED, Status.ASSIGNED, True),
        (Status.QUEUED, Status.TICKETED, True),
        (Status.QUEUED, Status.BOT, False),
        (Status.ASSIGNED, Status.RESOLVED, True),
        (Status.ASSIGNED, Status.QUEUED, True),  # transferred
        (Status.ASSIGNED, Status.BOT, True),  # handed back
        (Status.ASSIGNED, Status.TICKETED, True),
        (Status.RESOLVED, Status.BOT, True),  # the customer writes again
        (Status.RESOLVED, Status.QUEUED, False),
        (Status.TICKETED, Status.BOT, False),
        (Status.ABANDONED, Status.BOT, True),  # the customer came back
        (Status.ABANDONED, Status.QUEUED, False),
    ],
)
def test_transition_table(current: Status, target: Status, allowed: bool) -> None:
    assert can_move(current, target) is allowed


@pytest.mark.parametrize("status", [Status.BOT, Status.QUEUED, Status.ASSIGNED])
def test_every_open_state_can_be_abandoned(status: Status) -> None:
    assert Status.ABANDONED in ALLOWED[status]


def test_transition_writes_status_and_event_together(storage: Storage) -> None:
    conversation_id = new_conversation(storage)
    previous = transition(
        storage,
        conversation_id,
        Status.QUEUED,
        expect=Status.BOT,
        reason="customer_request",
        at="t1",
    )
    assert previous is Status.BOT
    row = storage.db["conversations"].get(conversation_id)
    assert row["status"] == "queued"
    events = list(storage.db.query("select name, data from events where name like '%status%'"))
    assert json.loads(events[-1]["data"]) == {
        "previous": "bot",
        "status": "queued",
        "reason": "customer_request",
    }


def test_illegal_transition_changes_nothing(storage: Storage) -> None:
    conversation_id = new_conversation(storage)
    with pytest.raises(IllegalTransition, match="'bot' cannot become 'ticketed'"):
        transition(
            storage, conversation_id, Status.TICKETED, expect=Status.BOT, reason="x", at="t1"
        )
    assert storage.db["conversations"].get(conversation_id)["status"] == "bot"
    assert (
        storage.db.execute("select count(*) from events where name like '%status%'").fetchone()[0]
        == 0
    )


def test_unknown_conversation(storage: Storage) -> None:
    with pytest.raises(ConversationNotFound):
        transition(storage, "nope", Status.QUEUED, expect=Status.BOT, reason="x", at="t1")


def status_events(storage: Storage) -> int:
    return storage.db.execute("select count(*) from events where name like '%status%'").fetchone()[
        0
    ]


def test_a_move_from_a_status_the_conversation_has_left_changes_nothing(
    storage: Storage,
) -> None:
    """The caller found it queued; the idle limit abandoned it since: the accept does nothing."""
    conversation_id = new_conversation(storage)
    transition(storage, conversation_id, Status.QUEUED, expect=Status.BOT, reason="r", at="t1")
    transition(
        storage, conversation_id, Status.ABANDONED, expect=Status.QUEUED, reason="idle", at="t2"
    )
    with pytest.raises(ConversationMoved, match="is 'abandoned' now, not 'queued'"):
        transition(
            storage,
            conversation_id,
            Status.ASSIGNED,
            expect=Status.QUEUED,
            reason="accepted",
            at="t3",
            fields={"assigned_agent_id": "a1"},
        )
    row = storage.db["conversations"].get(conversation_id)
    assert (row["status"], row["assigned_agent_id"]) == ("abandoned", None)
    assert status_events(storage) == 2


def test_a_move_of_a_chat_another_agent_has_now_changes_nothing(storage: Storage) -> None:
    conversation_id = new_conversation(storage)
    transition(storage, conversation_id, Status.QUEUED, expect=Status.BOT, reason="r", at="t1")
    transition(
        storage,
        conversation_id,
        Status.ASSIGNED,
        expect=Status.QUEUED,
        reason="accepted",
        at="t2",
        fields={"assigned_agent_id": "b2"},
    )
    with pytest.raises(ConversationMoved, match="is with agent b2 now, not agent a1"):
        transition(
            storage,
            conversation_id,
            Status.RESOLVED,
            expect=Status.ASSIGNED,
            owner="a1",
            reason="agent_resolved",
            at="t3",
        )
    assert storage.db["conversations"].get(conversation_id)["status"] == "assigned"
    transition(
        storage,
        conversation_id,
        Status.RESOLVED,
        expect=Status.ASSIGNED,
        owner="b2",
        reason="agent_resolved",
        at="t3",
    )
    assert storage.db["conversations"].get(conversation_id)["status"] == "resolved"
