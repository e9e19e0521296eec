"""The audit log of staff actions: every change a staff token makes, and every read of a
customer's conversation by staff, with who, what, on which target, and the outcome.

One ASGI middleware (`AuditTrail`, installed by the app) records them, so a route added later
is covered without knowing of it. It takes the identity the route itself resolved
(`core.deps.principal` keeps it on the request), the matched route's template (never the raw
path or the body: no message text, address or password reaches the log) and the path's ids, and
writes the row before the response leaves, so a caller who got an answer finds its row. Reads
are recorded only for the routes in `READS`, which hand out a conversation's history; an
agent's own desk (`/api/agents/{their id}/...`, which the console polls) is their work, not a
look at someone else's, and is left out. Customers and anonymous callers are never recorded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.auth import STAFF_ROLES, Principal, Role
from core.clock import Clock, iso
from core.db import Storage

log = logging.getLogger(__name__)

# GETs that hand out a customer's conversation (its transcript, or the hand-over package that
# carries it): staff reading them is logged.
READS = frozenset(
    {
        "GET /api/conversations/{conversation_id}",
        "GET /api/tickets/{ticket_id}",
        "GET /api/agents/{agent_id}/chats",
        "GET /api/agents/{agent_id}/offers",
    }
)
# Requests that change nothing though their method is not GET (a search with a JSON body).
NOT_CHANGES = frozenset({"POST /api/kb/search"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Action:
    """One staff request as the log keeps it."""

    at: str
    role: str  # "admin", or the token's role(s), comma-separated
    subject: str  # the agent's id, the staff member's name, or "admin"
    method: str
    route: str  # the route's template: /api/conversations/{conversation_id}/notes
    targets: dict[str, str]  # the path's ids: {"conversation_id": "…"}
    status: int  # the HTTP status answered


def who_of(principal: Principal) -> tuple[str, str]:
    """(role, subject) as the log shows them."""
    if principal.is_admin():
        return "admin", principal.subject or "admin"
    role = ",".join(sorted(r.value for r in principal.roles))
    return role, principal.subject or ""


def is_staff(principal: Principal) -> bool:
    return not principal.has(Role.CUSTOMER) and bool(principal.roles & STAFF_ROLES)


def audited(method: str, route: str, principal: Principal, targets: dict[str, str]) -> bool:
    """Whether a staff request is one the log keeps: a change, or a read in `READS`."""
    action = f"{method} {route}"
    if method not in SAFE_METHODS:
        return action not in NOT_CHANGES
    if action not in READS:
        return False
    own_desk = route.startswith("/api/agents/{agent_id}/")
    return not (own_desk and targets.get("agent_id") == principal.subject)


class AuditLog:
    """The `audit_log` table (core's migration m002_audit_log): written by `AuditTrail`, read by
    `GET /api/audit`, rows older than `keep_days` pruned as new ones come (0: kept forever)."""

    def __init__(self, *, storage: Storage, clock: Clock, keep_days: int = 0) -> None:
        self.storage = storage
        self.clock = clock
        self.keep_days = keep_days
        self._pruned_at: datetime | None = None

    def record(
        self, principal: Principal, *, method: str, route: str, targets: dict[str, str], status: int
    ) -> Action:
        role, subject = who_of(principal)
        action = Action(iso(self.clock.now()), role, subject, method, route, targets, status)
        with self.storage.write() as db:
            db.table("audit_log").insert(
                {
                    "at": action.at,
                    "role": action.role,
                    "subject": action.subject,
                    "method": action.method,
                    "route": action.route,
                    "targets": json.dumps(action.targets, sort_keys=True),
                    "status": action.status,
                }
            )
        self._prune_if_due()
        return action

    def prune(self) -> int:
        """Remove the rows older than the retention; returns how many went."""
        if self.keep_days <= 0:
            return 0
        cutoff = iso(self.clock.now() - timedelta(days=self.keep_days))
        with self.storage.write() as db:
            return db.execute("delete from audit_log where at < ?", [cutoff]).rowcount

    def _prune_if_due(self) -> None:
        now = self.clock.now()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            self.prune()

    def find(
        self,
        *,
        who: str | None = None,
        role: str | None = None,
        since: str | None = None,
        until: str | None = None,
        method: str | None = None,
        route: str | None = None,
        target: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Rows newest first, each filter narrowing (`route`: part of the template, `target`:
        one of the path's ids, `before`: rows older than that id, for the next page)."""
        where, params = [], []
        if self.storage.dialect == "sqlite":
            part_of_route, target_values = "instr(route, ?) > 0", "json_each(audit_log.targets)"
        else:
            part_of_route = "strpos(route, ?) > 0"
            target_values = "jsonb_each_text(audit_log.targets::jsonb)"
        for clause, value in (
            ("subject = ?", who),
            ("role = ?", role),
            ("at >= ?", since),
            ("at <= ?", until),
            ("method = ?", method.upper() if method else None),
            (part_of_route, route),
            (f"exists (select 1 from {target_values} where value = ?)", target),
            ("id < ?", before),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = "select * from audit_log" + (" where " + " and ".join(where) if where else "")
        rows = self.storage.db.query(sql + " order by id desc limit ?", [*params, limit])
        return [{**row, "targets": json.loads(row["targets"])} for row in rows]


class AuditTrail:
    """ASGI middleware: records each audited staff request (see the module's docstring) as its
    response starts; a request that fails with no response is recorded as 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorded = False

        async def sending(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                await self._record(scope, int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not recorded:
                await self._record(scope, 500)
            raise

    async def _record(self, scope: Scope, status: int) -> None:
        principal = scope.get("state", {}).get("principal")
        route = getattr(scope.get("route"), "path", None)
        if not isinstance(principal, Principal) or route is None or not is_staff(principal):
            return
        method = scope["method"]
        targets = {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
        if not audited(method, route, principal, targets):
            return
        try:
            audit: AuditLog = scope["app"].state.provided[AuditLog]
            await run_in_threadpool(
                audit.record,
                principal,
                method=method,
                route=route,
                targets=targets,
                status=status,
            )
        except Exception:  # the change is made: a failed log write must not hide its answer
            log.exception("could not record %s %s in the audit log", method, route)
