"""The wait a customer is told while queued: how it is worked out (tables over the pure
forecast), how it moves with the clock, who hears of a change, and how close it comes to the
real wait in a busy hour played on the movable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.busy_hour import Hour, simulate
from handoff.estimates import HandleTimes, Seats, forecast
from handoff.routing import WaitingChat
from tests.factories import make_agent, waiting_chat

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def waiting(
    id: str,
    skill: str = "cards",
    *,
    waited_s: float = 0,
    language: str = "en",
    passed_by: tuple[str, ...] = (),
) -> tuple[WaitingChat, float]:
    since = NOW - timedelta(seconds=waited_s)
    chat = WaitingChat(id, skill, "normal", since, excluded=frozenset(passed_by), language=language)
    return chat, waited_s


def seat(
    *skills: str,
    slots: int = 1,
    busy: tuple[float, ...] = (),
    languages: tuple[str, ...] = ("en",),
    agent: str = "",
) -> Seats:
    """An agent with `slots` chats at once, holding chats that have run `busy` seconds."""
    return Seats(frozenset(skills), slots, busy, frozenset(languages), agent)


@pytest.mark.parametrize(
    ("case", "line", "seats", "handle_times", "expected"),
    [
        ("a free slot: at once", [waiting("c")], [seat("cards")], (300,), {"c": 0}),
        (
            "a chat just begun holds the slot a whole handle time",
            [waiting("c")],
            [seat("cards", busy=(0,))],
            (300,),
            {"c": 300},
        ),
        (
            "a chat four minutes in frees the slot in one",
            [waiting("c")],
            [seat("cards", busy=(240,))],
            (300,),
            {"c": 60},
        ),
        (
            "each chat ahead holds the slot a handle time",
            [waiting("a"), waiting("b"), waiting("c")],
            [seat("cards", busy=(0,))],
            (300,),
            {"a": 300, "b": 600, "c": 900},
        ),
        (
            "another skill's chat ahead takes the shared agent first",
            [waiting("loans", "loans"), waiting("cards")],
            [seat("cards", "loans", busy=(0,))],
            (300,),
            {"loans": 300, "cards": 600},
        ),
        (
            "a free agent without the skill: once the chat waited past the skill limit",
            [waiting("c", waited_s=100)],
            [seat("loans")],
            (300,),
            {"c": 20},
        ),
        (
            "an agent with the skill who frees sooner than that",
            [waiting("c", waited_s=100)],
            [seat("loans"), seat("cards", busy=(295,))],
            (300,),
            {"c": 5},
        ),
        (
            "a general chat: any free agent",
            [waiting("c", "general")],
            [seat("loans")],
            (300,),
            {"c": 0},
        ),
        (
            "the first of four busy slots frees sooner than any one's expected end",
            [waiting("c")],
            [seat("cards", slots=4, busy=(0, 0, 0, 0))],
            (60, 540),  # a mean of 300; all four draw 540 in one run out of sixteen
            {"c": 60},
        ),
        (
            "an agent over their limit frees a slot only when back under it",
            [waiting("c")],
            [seat("cards", slots=1, busy=(240, 0))],
            (300,),
            {"c": 300},
        ),
        ("nobody online", [waiting("c")], [], (300,), {"c": None}),
        (
            "nobody online speaks the chat's language, however long it waited",
            [waiting("c", "returns", waited_s=600, language="ja")],
            [seat("returns"), seat("cards")],
            (300,),
            {"c": None},
        ),
        (
            "an agent who speaks it takes it, one who does not is no help",
            [waiting("c", "returns", language="ja")],
            [seat("returns"), seat("returns", busy=(240,), languages=("ja",))],
            (300,),
            {"c": 60},
        ),
        (
            "past the skill limit: a free agent without the skill who speaks the language",
            [waiting("c", "returns", waited_s=100, language="ja")],
            [seat("returns"), seat("orders", languages=("ja", "en"))],
            (300,),
            {"c": 20},
        ),
        (
            "a chat in another language ahead does not hold up the line",
            [waiting("ja", "general", language="ja"), waiting("en", "general")],
            [seat("cards", busy=(240,)), seat("orders", busy=(0,), languages=("ja",))],
            (300,),
            {"ja": 300, "en": 60},
        ),
        (
            "an agent who passed the chat on is no help, free or not",
            [waiting("c", passed_by=("free",))],
            [seat("cards", agent="free"), seat("cards", busy=(240,), agent="busy")],
            (300,),
            {"c": 60},
        ),
        (
            "the agent who passed on the first chat takes the next",
            [waiting("b", passed_by=("x",)), waiting("c")],
            [seat("cards", busy=(0,), agent="y"), seat("cards", agent="x")],
            (300,),
            {"b": 300, "c": 0},
        ),
        (
            "passed on, past the skill limit: one without the skill who did not pass it on",
            [waiting("c", waited_s=100, passed_by=("cards",))],
            [seat("cards", agent="cards"), seat("loans", agent="loans")],
            (300,),
            {"c": 20},
        ),
        (
            "passed on by everyone online: nobody will take it",
            [waiting("c", passed_by=("a", "b"))],
            [seat("cards", agent="a"), seat("general", agent="b")],
            (300,),
            {"c": None},
        ),
    ],
)
def test_forecast(case, line, seats, handle_times, expected) -> None:
    got = forecast(line, seats, handle=HandleTimes(handle_times), skill_wait_s=120)
    assert got == pytest.approx(expected), case


def _queue_of(client):
    return client.app.state.services.queue


def test_a_chat_its_free_agent_passed_on_is_told_the_wait_for_the_busy_one(
    client, bot, admin
) -> None:
    """Not "in a moment" on the strength of a free slot the chat will never be offered."""
    busy = make_agent(client, admin, "Busy", {"cards": 5}, max_concurrent=1)
    first, _ = waiting_chat(client, bot)
    client.post(f"/api/conversations/{first}/accept", headers=busy["headers"])
    free = make_agent(client, admin, "Free", {"cards": 1})
    second, headers = waiting_chat(client, bot, name="Ben")
    declined = client.post(f"/api/conversations/{second}/decline", headers=free["headers"])
    assert declined.status_code == 200
    view = client.get(f"/api/conversations/{second}", headers=headers).json()
    assert view["status"] == "queued"
    assert view["queue"] == {"position": 1, "estimated_wait_s": 300}  # Busy's chat, just begun


def test_the_wait_counts_down_as_the_agents_chat_goes_on(client, bot, admin, clock) -> None:
    """The slot the customer waits for is held by a chat already running: the wait told is what
    is left of it, not a whole handle time again."""
    agent = make_agent(client, admin, "Solo", {"cards": 3}, max_concurrent=1)
    first, _ = waiting_chat(client, bot)
    client.post(f"/api/conversations/{first}/accept", headers=agent["headers"])
    second, headers = waiting_chat(client, bot, name="Ben")
    place = client.get(f"/api/conversations/{second}", headers=headers).json()["queue"]
    assert place == {"position": 1, "estimated_wait_s": 300}  # the default handle time
    told = client.get(f"/api/conversations/{second}", headers=headers).json()["messages"][-1]
    assert "about 5 minutes" in told["text"]

    clock.advance(seconds=200)
    place = client.get(f"/api/conversations/{second}", headers=headers).json()["queue"]
    assert place == {"position": 1, "estimated_wait_s": 100}


def test_the_banner_hears_of_a_changed_wait_and_other_channels_of_a_moved_one(
    client, bot, admin, clock
) -> None:
    """The widget's `queue` event comes when the place or the wait it shows changed; channels
    that speak in messages hear only when help moved by a minute or more against what the
    customer was told."""
    queue = _queue_of(client)
    pushed: list[tuple[str, str, dict]] = []
    said: list[tuple[str, int | None, str]] = []
    queue.announcer.publisher = type(
        "Recorder", (), {"publish": lambda self, *event: pushed.append(event)}
    )()
    queue.on_wait_moved(lambda cid, place, text: said.append((cid, place.estimated_wait_s, text)))
    agent = make_agent(client, admin, "Solo", {"cards": 3}, max_concurrent=1)
    first, _ = waiting_chat(client, bot)
    client.post(f"/api/conversations/{first}/accept", headers=agent["headers"])
    second, _ = waiting_chat(client, bot, name="Ben")  # told: about 5 minutes

    def banner() -> list[tuple[int, int | None]]:
        return [
            (data["position"], data["estimated_wait_s"])
            for room, event, data in pushed
            if room == f"conversation:{second}" and event == "queue"
        ]

    for _ in range(6):  # a minute passes, and the timer routes every ten seconds
        clock.advance(seconds=10)
        queue.route()
    assert banner() == [(1, 290), (1, 260)]  # "about 5 min", then "about 4 min": once each
    assert said == []  # counting down as foretold: nothing new to say

    helper = make_agent(client, admin, "Helper", {"cards": 3})  # a free slot, at once
    assert banner()[-1] == (1, 0)
    assert said == [
        (second, 0, "Update: you're number 1 in line. Someone should be with you in a moment.")
    ]
    client.post(f"/api/conversations/{second}/accept", headers=helper["headers"])
    clock.advance(seconds=600)
    queue.route()
    assert len(said) == 1  # no longer waiting: nothing more


def test_a_hand_over_tells_the_place_even_when_the_queue_was_read_a_moment_before(
    client, bot, admin
) -> None:
    """The places are kept between writes; the hand-over happens inside the write that answers
    the customer, before it commits. Read just before (a waiting customer's poll while the bot
    thinks), the kept places must not hide the chat being queued: the customer is told their
    place in the chat, and nothing read inside the write outlives it."""
    queue = _queue_of(client)
    make_agent(client, admin, "Solo", {"cards": 3}, max_concurrent=1)
    thinking = bot.send

    async def send_while_the_queue_is_read(sender_id, text, *, metadata):
        queue.position("someone-else")
        return await thinking(sender_id, text, metadata=metadata)

    bot.send = send_while_the_queue_is_read
    conversation_id, headers = waiting_chat(client, bot)
    view = client.get(f"/api/conversations/{conversation_id}", headers=headers).json()
    assert view["queue"] == {"position": 1, "estimated_wait_s": 0}
    told = view["messages"][-1]
    assert (told["sender"], told["text"]) == (
        "system",
        "You're number 1 in line. Someone should be with you in a moment.",
    )


def test_a_busy_hour_is_told_its_wait_within_a_minute() -> None:
    """Customers joining the queue in a busy hour (see benchmarks/busy_hour.py) are told a wait
    that comes true within a minute for most of them; the former estimate (free slots at the
    skill's whole rate) missed by twice as much or more."""
    measured = simulate(Hour())
    print(
        f"busy hour: {len(measured.waited)} chats, median wait {measured.median_wait_s:.0f} s,"
        f" median error {measured.median_error_s:.0f} s"
        f" (former estimate {measured.rate_median_error_s:.0f} s)"
    )
    assert len(measured.waited) > 150 and measured.median_wait_s > 180  # busy: people wait
    assert measured.median_error_s < 60
    assert measured.rate_median_error_s > 2 * measured.median_error_s
