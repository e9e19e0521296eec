"""The ops figures' shapes: what `Metrics` answers and the API returns, one field per figure."""

from __future__ import annotations

from pydantic import BaseModel, Field

# Where each contact ended up, furthest tier first: the partition behind "volume by outcome".
OUTCOMES = ("bot", "agent", "ticket", "abandoned", "open")


class KnowledgeGap(BaseModel):
    question: str = Field(description="What customers asked, lower-cased")
    count: int


class Outcomes(BaseModel):
    """How many contacts ended up where (each contact counts once)."""

    bot: int
    agent: int
    ticket: int
    abandoned: int
    open: int


class Summary(BaseModel):
    """Every figure over a set of contacts; shares are 0 to 1, null when there are no contacts."""

    contacts: int = Field(description="Conversations in which the customer wrote")
    first_contact_resolution: float | None
    bot_containment: float | None
    handoff_rate: float | None
    handoffs_by_reason: dict[str, int] = Field(
        description="Every hand-over, most frequent first: a chat handed over twice counts twice"
        " (`handed_over` counts chats)"
    )
    ticket_rate: float | None
    wait_avg_s: float | None = Field(description="Over the waits counted by queue_waits")
    wait_p90_s: float | None
    handle_time_avg_s: float | None
    abandonment_rate: float | None
    csat_avg: float | None
    csat_responses: int
    sla_warnings: int
    sla_breaches: int
    knowledge_gaps: list[KnowledgeGap] = Field(description="The ten most asked")
    # The counts behind the shares, for charts and the CSV.
    resolved_first_time: int
    bot_contained: int
    handed_over: int
    ticketed: int
    abandoned: int
    knowledge_gap_questions: int
    queue_waits: int = Field(
        description="Times an agent took a chat from the queue: the waits wait_avg_s and"
        " wait_p90_s are over (a chat that left the queue for a ticket, or whose customer left,"
        " is not among them)"
    )
    outcomes: Outcomes
    # Resolutions ops can trust: how the bot's were reached, and which ones held.
    resolved: int = Field(description="Contacts resolved (by the bot or an agent) and still so")
    bot_resolved_confirmed: int = Field(description="The bot resolved it: the customer said yes")
    bot_resolved_assumed: int = Field(
        description="The bot resolved it by assumption: an answer, then silence until the idle limit"
    )
    confirmed_resolution_rate: float | None = Field(description="bot_resolved_confirmed / contacts")
    assumed_resolution_rate: float | None = Field(description="bot_resolved_assumed / contacts")
    durable_resolutions: int = Field(
        description="Resolved, and the same customer did not come back within the durable window"
    )
    durable_resolution_rate: float | None = Field(description="durable_resolutions / contacts")
    reopened: int = Field(
        description="Resolved, and the same customer came back within the durable window"
    )
    reopen_rate: float | None = Field(description="reopened / resolved; null when none resolved")
    awaiting_window: int = Field(
        description="Resolved less than the durable window ago, the customer not back yet: "
        "neither durable nor reopened so far"
    )


class SkillResolutions(BaseModel):
    """The resolution figures of one skill (topic) in a range."""

    skill: str | None = Field(description="null: contacts no skill could be told for")
    contacts: int
    resolved: int
    bot_resolved_confirmed: int
    bot_resolved_assumed: int
    durable_resolutions: int
    reopened: int
    reopen_rate: float | None


class Span(BaseModel):
    since: str = Field(description="The first instant counted (UTC ISO)")
    until: str = Field(description="The first instant after the range (UTC ISO)")
    skill: str | None


class Figures(Summary, Span):
    """The figures for contacts started in a span (fields: the span's, then the summary's)."""

    by_skill: list[SkillResolutions] = Field(
        default_factory=list, description="Resolutions per skill, most contacts first"
    )


class Day(BaseModel):
    day: str = Field(description="YYYY-MM-DD in the business time zone")


class DayFigures(Summary, Day):
    """One day's figures."""


class Daily(BaseModel):
    since: str = Field(description="The first day, YYYY-MM-DD")
    until: str = Field(description="The last day, inclusive, YYYY-MM-DD")
    timezone: str
    skill: str | None
    days: list[DayFigures]
    total: Figures = Field(description="The whole range (not a sum of the days)")
