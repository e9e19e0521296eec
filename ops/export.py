"""The daily figures as CSV: a header, one row per day, then a total row over the whole range."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from ops.figures import OUTCOMES, Daily, Summary

COLUMNS = [
    "contacts",
    "resolved_first_time",
    "first_contact_resolution",
    "bot_contained",
    "bot_containment",
    "bot_resolved_confirmed",
    "confirmed_resolution_rate",
    "bot_resolved_assumed",
    "assumed_resolution_rate",
    "resolved",
    "durable_resolutions",
    "durable_resolution_rate",
    "reopened",
    "reopen_rate",
    "awaiting_window",
    "handed_over",
    "handoff_rate",
    "ticketed",
    "ticket_rate",
    "abandoned",
    "abandonment_rate",
    "wait_avg_s",
    "wait_p90_s",
    "queue_waits",
    "handle_time_avg_s",
    "csat_avg",
    "csat_responses",
    "sla_warnings",
    "sla_breaches",
    "knowledge_gap_questions",
]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # A spreadsheet runs a cell that starts like a formula; hand-over reasons are free text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(daily: Daily) -> str:
    reasons = sorted({r for row in [*daily.days, daily.total] for r in row.handoffs_by_reason})
    header = [
        "day",
        *COLUMNS,
        *(f"outcome_{name}" for name in OUTCOMES),
        *(f"handoffs_{reason}" for reason in reasons),
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    rows: list[tuple[str, Summary]] = [*((d.day, d) for d in daily.days), ("total", daily.total)]
    for label, row in rows:
        writer.writerow(
            [
                label,
                *(_cell(getattr(row, column)) for column in COLUMNS),
                *(getattr(row.outcomes, name) for name in OUTCOMES),
                *(row.handoffs_by_reason.get(reason, 0) for reason in reasons),
            ]
        )
    return out.getvalue()


def filename(daily: Daily) -> str:
    skill = re.sub(r"[^A-Za-z0-9_-]+", "-", daily.skill or "").strip("-")
    parts = ["cascade-metrics", daily.since, "to", daily.until, *([skill] if skill else [])]
    return "-".join(parts) + ".csv"
