"""Where each waiting chat stands in line and how long it may wait.

The wait is a forecast of the queue itself, not a rate. Every slot of every online agent frees
at some moment: now if it is free; after a whole handle time if it holds a chat on offer; after
what is left of the chat in progress, judged by how long that chat has run against recent handle
times (a chat 8 minutes in, when recent chats took 5 to 10, is nearly done). The waiting chats
then take those slots as the dispatcher hands them out: each slot, as it frees, goes to the
first chat in line its agent may take (in a language the agent speaks: the agent's skill, a
general chat, or any chat once it has waited past the skill wait limit, never one the agent
passed on), and that chat holds it for a handle time. A chat in a language no online agent
speaks gets no slot: its wait is not known. Handle times are drawn from recent ones and the
queue played several times; a chat's estimate is the median of the moments its slot freed.
"""

from __future__ import annotations

import bisect
import heapq
import random
import statistics
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from conversations.events import ChatHandled
from conversations.people import Place
from conversations.store import ConversationStore
from core.clock import Clock, iso
from core.language import DEFAULT
from handoff.lineup import Lineup, Pending, passed_by
from handoff.routing import GENERAL, PRIORITY_ORDER, AgentState, WaitingChat

RECENT = 50  # handle times the estimate learns from, the latest first
OVERDUE = 0.1  # a chat longer than every recent one: nearly over, as a share of the mean
PLACES_KEPT = timedelta(seconds=1)  # places kept this long when nothing was written
RUNS = 25  # forecasts drawn, each chat's estimate the median of its waits in them
WORK = 10_000  # fewer runs when the line and the slots are long (chats + slots per run)


@dataclass(frozen=True)
class HandleTimes:
    """Recent handle times, in seconds (never empty: the default stands in for none)."""

    samples: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "samples", tuple(sorted(self.samples)))

    @property
    def mean_s(self) -> float:
        return statistics.fmean(self.samples)

    def draw(self, rng: random.Random) -> float:
        """A handle time for a chat about to start: one of the recent ones."""
        return self.samples[int(rng.random() * len(self.samples))]

    def draw_remaining(self, elapsed_s: float, rng: random.Random) -> float:
        """What is left of a chat `elapsed_s` in: one of the recent chats that ran longer, less
        the time already spent."""
        first = bisect.bisect_right(self.samples, elapsed_s)
        if first == len(self.samples):
            return self.mean_s * OVERDUE
        return self.samples[first + int(rng.random() * (len(self.samples) - first))] - elapsed_s


@dataclass(frozen=True)
class Seats:
    """One online agent as the forecast sees them: their skills, how many chats they take at
    once, how long each chat they hold has run (0 for one on offer), in seconds, and the
    languages they chat in."""

    skills: frozenset[str]
    slots: int
    elapsed: tuple[float, ...]
    languages: frozenset[str] = frozenset({DEFAULT})
    agent_id: str = ""  # to leave out the chats the agent passed on

    def frees_in(self, draw: Callable[[float], float]) -> list[float]:
        """When each slot frees, in seconds from now, with `draw(elapsed)` for a chat's rest."""
        busy = sorted(draw(e) for e in self.elapsed)
        over = max(len(busy) - self.slots, 0)  # chats past the limit free no slot
        return [0.0] * max(self.slots - len(busy), 0) + busy[over:]


def seats_of(agent: AgentState, *, in_progress: Iterable[float], offers: int) -> Seats:
    """`in_progress`: how long each chat the agent has now has run, in seconds."""
    skills = frozenset(s for s, level in agent.skills.items() if level > 0)
    elapsed = (*in_progress, *[0.0] * offers)
    return Seats(skills, agent.max_concurrent, elapsed, agent.languages, agent.id)


def forecast(
    line: list[tuple[WaitingChat, float]],
    seats: list[Seats],
    *,
    handle: HandleTimes,
    skill_wait_s: float,
    runs: int = RUNS,
    seed: int = 0,
) -> dict[str, float | None]:
    """Seconds until each chat in `line` (not on offer, in queue order, each with how long it
    has waited) gets an agent; None for a chat no online agent will take.

    The queue is played forward `runs` times, each time with handle times drawn from recent
    ones, and each chat's estimate is the median of its waits: the first of twenty busy slots
    frees much sooner than the soonest expected end of any one of them.
    """
    if not line:
        return {}
    runs = max(1, min(runs, WORK // max(len(line) + sum(s.slots for s in seats), 1)))
    rng = random.Random(seed)
    waits: dict[str, list[float]] = {chat.id: [] for chat, _ in line}
    for _ in range(runs):
        slots = [
            (t, n, index)
            for index, seat in enumerate(seats)
            for n, t in enumerate(seat.frees_in(lambda e: handle.draw_remaining(e, rng)))
        ]
        for chat_id, at in play(line, seats, slots, lambda: handle.draw(rng), skill_wait_s):
            waits[chat_id].append(at)
    # A chat that gets nobody in most runs is told so.
    return {
        chat_id: statistics.median(found) if len(found) * 2 > runs else None
        for chat_id, found in waits.items()
    }


def play(
    line: list[tuple[WaitingChat, float]],
    seats: list[Seats],
    slots: list[tuple[float, int, int]],
    draw: Callable[[], float],
    skill_wait_s: float,
) -> Iterator[tuple[str, float]]:
    """One run: `slots` (when it frees, its number, its agent's index in `seats`) free in time
    order, and each goes to the first chat in line its agent may take. Chats wait in lines by
    language: of the agent's languages, the heads of the lines of the agent's skills and of
    general chats, and of each priority's line, whose head has waited longest and so is the
    first of its priority open to anyone who speaks its language. A chat some agents passed on
    (few) is looked at on its own, for the agents who did not. Yields each chat's wait as it
    gets a slot."""
    by_skill: dict[tuple[str, str], deque[int]] = {}
    by_rank: dict[tuple[str, int], deque[int]] = {}
    passed: list[int] = []  # chats some agent passed on, in queue order
    opens_in: list[float] = []  # when each chat may go to any agent who speaks its language
    for index, (chat, waited_s) in enumerate(line):
        opens_in.append(0.0 if chat.widened else max(skill_wait_s - waited_s, 0.0))
        if chat.excluded:
            passed.append(index)
            continue
        by_skill.setdefault((chat.language, chat.skill), deque()).append(index)
        rank = PRIORITY_ORDER.get(chat.priority, 2)
        by_rank.setdefault((chat.language, rank), deque()).append(index)
    taken = [False] * len(line)

    def head(queue: deque[int] | None) -> int | None:
        while queue and taken[queue[0]]:
            queue.popleft()
        return queue[0] if queue else None

    lines_of = [
        [by_skill.get((lang, s)) for lang in seat.languages for s in (*seat.skills, GENERAL)]
        for seat in seats
    ]
    ranks_of = [
        [queue for (lang, _), queue in by_rank.items() if lang in seat.languages] for seat in seats
    ]
    heapq.heapify(slots)
    left = len(line)
    while slots and left:
        at, n, index = heapq.heappop(slots)
        choices = [i for i in map(head, lines_of[index]) if i is not None]
        later = []  # when the head of a priority's line opens to anyone, if not yet
        for queue in ranks_of[index]:
            first = head(queue)
            if first is None:
                continue
            if opens_in[first] <= at:
                choices.append(first)
            else:
                later.append(opens_in[first])
        seat = seats[index]
        for i in passed:
            chat = line[i][0]
            said_no = chat.excluded - chat.lapsed  # one who missed its offer is offered it again
            if taken[i] or seat.agent_id in said_no or chat.language not in seat.languages:
                continue
            if chat.skill in seat.skills or chat.skill == GENERAL or opens_in[i] <= at:
                choices.append(i)
                break
            later.append(opens_in[i])
        if choices:
            chosen = min(choices)
            taken[chosen] = True
            left -= 1
            yield line[chosen][0].id, at
            heapq.heappush(slots, (at + draw(), n, index))
        elif later:
            heapq.heappush(slots, (min(later), n, index))  # idle until a chat opens to anyone


class Estimates:
    def __init__(
        self,
        *,
        clock: Clock,
        lineup: Lineup,
        conversations: ConversationStore,
        default_handle_s: float,
        skill_wait_s: float,
    ) -> None:
        self.clock = clock
        self.lineup = lineup
        self.conversations = conversations
        self.default_handle_s = default_handle_s
        self.skill_wait_s = skill_wait_s
        self._kept: tuple[int, datetime, dict[str, Place]] | None = None

    def handle_times(self, *, recent: int = RECENT) -> HandleTimes:
        found = [data["handle_s"] for data in self.conversations.recent(ChatHandled, limit=recent)]
        return HandleTimes(tuple(found) or (self.default_handle_s,))

    def places(self) -> dict[str, Place]:
        """Each waiting chat's place in line (among chats in the same language needing the same
        skill) and an estimated wait in whole seconds (0 once an agent has it on offer).

        Computed once per change, not per waiting customer's poll: kept until a write is
        committed or `PLACES_KEPT` passes (the waits count down with time). Inside a write
        transaction they are computed afresh from what it sees (a hand-over says the place of a
        chat queued by a write not yet committed) and not kept (it may roll back)."""
        storage, now = self.conversations.storage, self.clock.now()
        if storage.writing:  # may see what is not committed: not from the kept places, nor kept
            return self._places(now)
        changes = storage.changes
        kept = self._kept
        if kept is not None and kept[0] == changes and timedelta(0) <= now - kept[1] < PLACES_KEPT:
            return kept[2]
        places = self._places(now)
        self._kept = (changes, now, places)
        return places

    def _places(self, now: datetime) -> dict[str, Place]:
        pending = self.lineup.pending()  # read once for the agents' load and the line
        positions: dict[str, int] = {}
        ahead: dict[tuple[str, str], int] = {}  # chats of each language and skill ahead in line
        line: list[tuple[WaitingChat, float]] = []
        for chat, offered in self.lineup.waiting(now, offered=pending.chats):
            key = (chat.language, chat.skill)
            ahead[key] = positions[chat.id] = ahead.get(key, 0) + 1
            if not offered:
                line.append((chat, _seconds(now, chat.queued_at)))
        if line:  # who passed on which: since the longest-waiting of them joined the line
            passes = self.lineup.passes(since=iso(min(chat.queued_at for chat, _ in line)))
            line = [(passed_by(chat, passes), waited) for chat, waited in line]
        waits = self.forecast(line, now=now, pending=pending) if line else {}
        return {
            chat_id: Place(position, _whole(waits.get(chat_id, 0.0)))
            for chat_id, position in positions.items()
        }

    def forecast(
        self, line: list[tuple[WaitingChat, float]], *, now: datetime, pending: Pending
    ) -> dict[str, float | None]:
        agents = self.lineup.agent_states(online_only=True, pending=pending)
        started = self.lineup.in_progress(
            [a.id for a in agents if a.load > pending.per_agent.get(a.id, 0)]  # with chats now
        )
        seats = [
            seats_of(
                agent,
                in_progress=[_seconds(now, since) for since in started.get(agent.id, [])],
                offers=pending.per_agent.get(agent.id, 0),
            )
            for agent in agents
        ]
        return forecast(line, seats, handle=self.handle_times(), skill_wait_s=self.skill_wait_s)


def _seconds(now: datetime, since: datetime) -> float:
    return max((now - since).total_seconds(), 0.0)


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)
