from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handoff.routing import AgentState, WaitingChat, passed_on_by_all, queue_order, select_agent

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def agent(
    id: str, skills=None, *, max_concurrent=3, status="online", load=0, idle_min=0, speaks=None
) -> AgentState:
    idle_since = NOW - timedelta(minutes=idle_min)
    if speaks is None:  # as an agent stored before agents had languages
        return AgentState(id, skills or {}, max_concurrent, status, load, idle_since)
    return AgentState(id, skills or {}, max_concurrent, status, load, idle_since, frozenset(speaks))


def chat(
    skill="cards",
    *,
    widened=False,
    excluded=(),
    priority="normal",
    waited_min=0,
    language=None,
    lapsed=(),
) -> WaitingChat:
    since = NOW - timedelta(minutes=waited_min)
    passed = frozenset(excluded) | frozenset(lapsed)  # `lapsed` are among the excluded
    if language is None:
        return WaitingChat("c", skill, priority, since, widened, passed, lapsed=frozenset(lapsed))
    return WaitingChat("c", skill, priority, since, widened, passed, language, frozenset(lapsed))


@pytest.mark.parametrize(
    ("case", "waiting", "agents", "expected"),
    [
        (
            "the only agent with the skill",
            chat(),
            [agent("a", {"loans": 5}), agent("b", {"cards": 1})],
            "b",
        ),
        ("best level first", chat(), [agent("a", {"cards": 2}), agent("b", {"cards": 4})], "b"),
        (
            "then least loaded",
            chat(),
            [agent("a", {"cards": 3}, load=2), agent("b", {"cards": 3}, load=1)],
            "b",
        ),
        (
            "then longest idle",
            chat(),
            [agent("a", {"cards": 3}, idle_min=5), agent("b", {"cards": 3}, idle_min=30)],
            "b",
        ),
        (
            "level beats load",
            chat(),
            [agent("a", {"cards": 5}, load=2), agent("b", {"cards": 1})],
            "a",
        ),
        (
            "full agents are skipped",
            chat(),
            [agent("a", {"cards": 5}, load=3), agent("b", {"cards": 1})],
            "b",
        ),
        (
            "away agents are skipped",
            chat(),
            [agent("a", {"cards": 5}, status="away"), agent("b", {"cards": 1})],
            "b",
        ),
        ("offline agents are skipped", chat(), [agent("a", {"cards": 5}, status="offline")], None),
        ("nobody has the skill", chat(), [agent("a", {"loans": 5})], None),
        ("widened: anyone free", chat(widened=True), [agent("a", {"loans": 5})], "a"),
        (
            "widened: the skill still first",
            chat(widened=True),
            [agent("a", {"loans": 5}), agent("b", {"cards": 1}, load=2)],
            "b",
        ),
        ("general needs no skill", chat("general"), [agent("a", {"loans": 1})], "a"),
        (
            "who declined is skipped",
            chat(excluded=["a"]),
            [agent("a", {"cards": 5}), agent("b", {"cards": 1})],
            "b",
        ),
        ("everyone declined", chat(excluded=["a"]), [agent("a", {"cards": 5})], None),
        ("no agents at all", chat(), [], None),
        (
            "only who speaks the chat's language",
            chat("returns", language="ja"),
            [
                agent("en", {"returns": 5}, speaks=["en"]),
                agent("ja", {"returns": 1}, speaks=["ja"]),
            ],
            "ja",
        ),
        (
            "nobody speaks it: nobody, skill or not",
            chat("returns", language="ja"),
            [agent("en", {"returns": 5}, speaks=["en"]), agent("none", {"cards": 5})],
            None,
        ),
        (
            "widened: the skill widens, the language does not",
            chat("returns", widened=True, language="ja"),
            [
                agent("en", {"returns": 5}, speaks=["en"]),
                agent("ja", {"members": 2}, speaks=["ja"]),
            ],
            "ja",
        ),
        (
            "widened: still nobody who does not speak it",
            chat("returns", widened=True, language="ja"),
            [agent("en", {"returns": 5}, speaks=["en"])],
            None,
        ),
        (
            "a general chat: anyone free who speaks it",
            chat("general", language="ja"),
            [agent("en", {"loans": 5}), agent("ja", {"orders": 1}, speaks=["ja"])],
            "ja",
        ),
        (
            "an agent who speaks both takes either",
            chat("returns", language="ja"),
            [
                agent("both", {"returns": 2}, speaks=["en", "ja"]),
                agent("ja", {"returns": 1}, speaks=["ja"]),
            ],
            "both",
        ),
        (
            "an English chat is not offered to one who speaks only Japanese",
            chat("returns", widened=True, language="en"),
            [agent("ja", {"returns": 5}, speaks=["ja"]), agent("en", {"loans": 1}, speaks=["en"])],
            "en",
        ),
        (
            "agents and chats without a language speak English",
            chat("returns"),
            [agent("ja", {"returns": 5}, speaks=["ja"]), agent("old", {"returns": 1})],
            "old",
        ),
        (
            "a Japanese chat is not offered to an agent without languages",
            chat("general", language="ja"),
            [agent("old", {"returns": 5})],
            None,
        ),
        (
            "one who missed the offer comes after the others",
            chat(lapsed=["a"]),
            [agent("a", {"cards": 5}), agent("b", {"cards": 1})],
            "b",
        ),
        (
            "one who missed the offer is offered it again when nobody else may take it",
            chat(lapsed=["a"], excluded=["b"]),
            [agent("a", {"cards": 5}), agent("b", {"cards": 1})],
            "a",
        ),
    ],
)
def test_select_agent(
    case: str, waiting: WaitingChat, agents: list[AgentState], expected: str | None
) -> None:
    chosen = select_agent(waiting, agents)
    assert (chosen.id if chosen else None) == expected, case


@pytest.mark.parametrize(
    ("case", "waiting", "online", "expected"),
    [
        ("the only agent declined", chat(excluded=["a"]), [agent("a", {"cards": 3})], True),
        (
            "a busy colleague may still take it, skill or not",
            chat(excluded=["a"]),
            [agent("a", {"cards": 3}), agent("b", {"loans": 1}, load=3)],
            False,
        ),
        (
            "those who speak another language do not count",
            chat(excluded=["en"], language="en"),
            [agent("en", speaks=["en"]), agent("ja", {"cards": 5}, speaks=["ja"])],
            True,
        ),
        ("nobody passed it on", chat(), [agent("a", {"cards": 3})], False),
        ("nobody online speaks it: a case of its own", chat(language="ja"), [agent("a")], False),
        ("nobody online", chat(excluded=["a"]), [], False),
        ("a missed offer is no answer", chat(lapsed=["a"]), [agent("a", {"cards": 3})], False),
        (
            "one declined, the other missed it",
            chat(excluded=["a"], lapsed=["b"]),
            [agent("a", {"cards": 3}), agent("b", {"cards": 3})],
            False,
        ),
    ],
)
def test_passed_on_by_all(
    case: str, waiting: WaitingChat, online: list[AgentState], expected: bool
) -> None:
    assert passed_on_by_all(waiting, online) is expected, case


def test_queue_order_priority_then_waiting_time() -> None:
    chats = [
        WaitingChat("new-normal", "cards", "normal", NOW),
        WaitingChat("old-normal", "cards", "normal", NOW - timedelta(minutes=10)),
        WaitingChat("new-high", "cards", "high", NOW),
    ]
    assert [c.id for c in sorted(chats, key=queue_order)] == [
        "new-high",
        "old-normal",
        "new-normal",
    ]
