"""Every service the app builds, in one place for the app factory, the CLI and the tests.

Routers never see this: each asks `core.deps.provided` for the one type it needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.service import Bot, ConversationService
from core.accounts import StaffAccounts
from core.audit import AuditLog
from core.auth import TokenStore
from core.clock import Clock
from core.db import Storage
from core.realtime import Realtime
from core.settings import Settings
from handoff.agents import AgentService
from handoff.desk import Desk
from handoff.outbox import Outbox
from handoff.queue import Queue
from handoff.tickets import TicketStore
from knowledge_base.service import KnowledgeBase
from ops.articles import ArticleFigures


@dataclass
class Services:
    settings: Settings
    storage: Storage
    clock: Clock
    tokens: TokenStore
    kb: KnowledgeBase
    bot: Bot
    conversations: ConversationService
    agents: AgentService
    queue: Queue
    desk: Desk
    tickets: TicketStore
    outbox: Outbox
    realtime: Realtime
    article_figures: ArticleFigures
    accounts: StaffAccounts
    audit: AuditLog

    def by_type(self) -> dict[type, object]:
        """What routes may ask for by type (`core.deps.provided`)."""
        return {
            Settings: self.settings,
            Storage: self.storage,
            Clock: self.clock,
            TokenStore: self.tokens,
            Bot: self.bot,  # type: ignore[type-abstract]
            KnowledgeBase: self.kb,
            ConversationService: self.conversations,
            AgentService: self.agents,
            Queue: self.queue,
            Desk: self.desk,
            TicketStore: self.tickets,
            ArticleFigures: self.article_figures,
            Outbox: self.outbox,
            StaffAccounts: self.accounts,
            AuditLog: self.audit,
        }
