"""The FastAPI app: wiring, start-up in `lifespan`, and the error-to-status mapping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.client import NoBot, RasaClient
from cascade.health import Health
from cascade.health import check as check_health
from cascade.openapi import declare_sentence_errors
from cascade.services import Services
from cascade.storage import open_storage
from cascade.timers import start_timers
from conversations.channels.rasa_socketio import RasaChannel
from conversations.links import chat_links
from conversations.service import Bot, ConversationService
from conversations.store import ConversationStore
from conversations.typing import Typing
from core.accounts import StaffAccounts
from core.audit import AuditLog, AuditTrail
from core.auth import Role, TokenStore
from core.body_limit import BodyLimit, http_error, shortened, validation_failed
from core.clock import Clock, SystemClock
from core.db import Storage
from core.deps import PrincipalDep, provided, register
from core.rate_limits import RateLimits, counts_in
from core.realtime import Realtime
from core.settings import Settings, get_settings, revealed
from core.sign_in_guard import SignInGuard
from core.unstorable import bad_unicode, nul_character
from handoff.agents import AgentOut, AgentService
from handoff.desk import Desk
from handoff.handover import Handover
from handoff.leaving import on_account_leaving
from handoff.outbox import Outbox
from handoff.queue import Limits, Queue
from handoff.sla import BusinessCalendar
from handoff.tickets import Policy, TicketStore
from knowledge_base.calibration import Targets
from knowledge_base.embedder import Embedder
from knowledge_base.quality_api import MAX_REPLAY_BYTES
from knowledge_base.search import tuned_for
from knowledge_base.service import KnowledgeBase
from ops.articles import ArticleFigures
from web import pages as web

log = logging.getLogger(__name__)

ARTICLE_MAX_BYTES = 1024 * 1024  # an article's fields at their limits, as JSON
ACTION_CALL_MAX_BYTES = 16 * 1024 * 1024  # Rasa's action call carries the whole tracker


def thresholds_from(settings: Settings) -> dict[str, float]:
    """The decision limits the settings give; the others are calibrated (or the model's)."""
    given = {
        "answer": settings.answer_threshold,
        "margin": settings.answer_margin,
        "clarify": settings.clarify_threshold,
        "window": settings.clarify_window,
        "lexical_weight": settings.kb_lexical_weight,
    }
    return {name: value for name, value in given.items() if value is not None}


def body_limits(settings: Settings) -> dict[str, int]:
    """Path prefixes whose bodies may be larger than CASCADE_MAX_BODY_BYTES."""
    larger = {
        "/api/kb/import": settings.kb_import_max_bytes,
        "/api/kb/replay": MAX_REPLAY_BYTES,
        "/api/kb/articles": ARTICLE_MAX_BYTES,
        "/webhook": ACTION_CALL_MAX_BYTES,
    }
    return {path: max(limit, settings.max_body_bytes) for path, limit in larger.items()}


def build_services(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    embedders: Mapping[str, Embedder] | None = None,
    bot: Bot | None = None,
    clock: Clock | None = None,
    realtime: Realtime | None = None,
) -> Services:
    """Everything heavy (database, model, index, HTTP client) is created here, never at import.

    `embedder` embeds English, `embedders` the other languages (each language it leaves out is
    embedded by `embedder`); without `embedder`, every language's model is loaded."""
    embedders = embedders or {}
    if embedder is None:
        from knowledge_base.embedder import load_embedder, load_language_embedders

        embedder = load_embedder(settings.embedding_model)
        embedders = load_language_embedders(embedder)
    clock = clock or SystemClock()
    storage = open_storage(
        settings.database_path, url=settings.database_url, pool_size=settings.database_pool
    )
    tokens = TokenStore(storage, admin_token=revealed(settings.admin_token), clock=clock)
    if bot is None:
        bot = (
            RasaClient(
                settings.rasa_url,
                timeout_s=settings.rasa_timeout_s,
                failures_to_open=settings.rasa_failures_to_open,
                probe_interval_s=settings.rasa_probe_interval_s,
            )
            if settings.rasa_url
            else NoBot()
        )
    realtime = realtime or Realtime()
    tokens.revoke_listeners.append(realtime.disconnect_tokens)
    links = chat_links(tokens, clock, settings.public_url)  # in emails to customers
    outbox = Outbox(storage=storage, clock=clock, settings=settings, links=links)
    tickets = TicketStore(
        storage=storage,
        clock=clock,
        notifier=outbox,
        publisher=realtime,
        links=links,
        policy=Policy(
            BusinessCalendar.parse(settings.business_hours, settings.business_timezone),
            first_response_min=settings.sla_first_response_min,
            resolution_min=settings.sla_resolution_min,
            queue_wait_s=settings.queue_wait_target_s,
        ),
    )
    queue = Queue(
        storage=storage,
        clock=clock,
        limits=Limits(
            offer_timeout_s=settings.offer_timeout_s,
            skill_wait_s=settings.skill_wait_s,
            max_wait_s=settings.max_wait_s,
            default_handle_s=settings.default_handle_s,
            idle_limit_s=settings.idle_limit_s,
            presence_timeout_s=settings.presence_timeout_s,
            unwritten_limit_s=settings.unwritten_limit_s,
        ),
        tickets=tickets,
        publisher=realtime,
        live_chat_hours=BusinessCalendar.parse(
            settings.live_chat_hours, settings.business_timezone
        ),
    )
    desk = Desk(storage=storage, clock=clock, queue=queue, tickets=tickets)
    agents = AgentService(storage=storage, tokens=tokens, clock=clock)
    accounts = StaffAccounts(
        storage=storage,
        tokens=tokens,
        clock=clock,
        session_hours=settings.session_hours,
        # Counted where the rate limits count: shared by the replicas with Redis.
        guard=SignInGuard.from_settings(settings, counts_in(settings.rate_limit_store)),
    )
    accounts.leaving_listeners.append(
        partial(on_account_leaving, agents=agents, queue=queue, desk=desk)
    )

    conversation_store = ConversationStore(storage)

    def push(conversation_id: str, message: dict[str, Any]) -> None:
        data = {"conversation_id": conversation_id, "message": message}
        realtime.publish(f"conversation:{conversation_id}", "message", data)
        agent_id = conversation_store.assigned_agent(conversation_id)
        if agent_id:
            realtime.publish(f"agent:{agent_id}", "message", data)

    storage.message_listeners.append(push)
    kb = KnowledgeBase(
        storage=storage,
        embedder=embedder,
        index_path=settings.index_path,
        thresholds=tuned_for(embedder.name),
        overrides=thresholds_from(settings),
        targets=Targets.from_settings(settings),
        clock=clock,
        ivf_from=settings.kb_ivf_from,
        nprobe=settings.kb_nprobe,
        candidates=settings.kb_candidates,
        embedders=embedders,
        batch_window_ms=settings.embed_batch_window_ms,
        batch_max=settings.embed_batch_max,
    )
    services = Services(
        settings=settings,
        storage=storage,
        clock=clock,
        tokens=tokens,
        kb=kb,
        bot=bot,
        conversations=ConversationService(
            storage=storage,
            bot=bot,
            tokens=tokens,
            clock=clock,
            people=Handover(storage=storage, clock=clock, queue=queue, desk=desk, tickets=tickets),
            gaps=kb.gaps,
            mailer=outbox,
            identity_secret=revealed(settings.identity_secret),
            transcripts_per_conversation=settings.transcripts_per_conversation,
            zone=settings.business_timezone,
            links=links,
        ),
        agents=agents,
        queue=queue,
        desk=desk,
        tickets=tickets,
        outbox=outbox,
        realtime=realtime,
        article_figures=ArticleFigures(storage=storage, articles=kb),
        accounts=accounts,
        audit=AuditLog(storage=storage, clock=clock, keep_days=settings.audit_keep_days),
    )
    # Rasa's socketio protocol on the same server; its widgets hear every message but their own.
    rasa = RasaChannel(realtime, storage=storage, conversations=services.conversations)
    storage.message_listeners.append(rasa.push)
    queue.on_wait_moved(rasa.queue_moved)
    queue.customers_from(lambda: realtime.occupied("conversation:"))  # the chat widget's sockets
    queue.customers_from(rasa.here)
    Typing(realtime, conversation_store, clock)  # "… is typing" between a customer and their agent
    return services


def error_map() -> dict[type[Exception], int]:
    """Each package's own error-to-status map, joined: the statuses are chosen in each API."""
    from conversations.api import ERRORS as CONVERSATION_ERRORS
    from core.auth_api import ERRORS as ACCOUNT_ERRORS
    from handoff.api import ERRORS as HANDOFF_ERRORS
    from knowledge_base.api import ERRORS as KNOWLEDGE_ERRORS
    from ops.api import ERRORS as OPS_ERRORS

    return {
        **ACCOUNT_ERRORS,
        **KNOWLEDGE_ERRORS,
        **CONVERSATION_ERRORS,
        **HANDOFF_ERRORS,
        **OPS_ERRORS,
    }


class Me(BaseModel):
    roles: list[str]
    subject: str | None = Field(
        description="An agent's id, a customer's conversation, staff's name; null for admin"
    )
    agent: AgentOut | None = Field(default=None, description="Only for an agent's token")


def create_app(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    bot: Bot | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    rate_limits = RateLimits.from_settings(settings)
    realtime = Realtime(
        allowed_origins=settings.socket_origins,
        rate_limits=rate_limits,
        redis_url=settings.redis_url,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(
            settings, embedder=embedder, bot=bot, clock=clock, realtime=realtime
        )
        app.state.services = services
        register(app, {**services.by_type(), RateLimits: rate_limits})
        from bot.server import build_executor

        app.state.executor = build_executor(services.kb)
        services.realtime.bind(asyncio.get_running_loop(), services.tokens)
        timers = start_timers(settings, services)
        yield
        for timer in timers:
            timer.cancel()
        await asyncio.gather(*timers, return_exceptions=True)  # the timers' lease is let go
        await services.realtime.aclose()
        close = getattr(services.bot, "aclose", None)
        if close is not None:
            await close()
        services.storage.close()

    app = FastAPI(
        title="Cascade",
        summary="Tiered support: bot, live agent, ticket.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # web/pages.py serves /docs from this app's own files
        redoc_url=None,  # ReDoc would load from a CDN
    )

    app.state.realtime_server = realtime.sio
    for error_type, status in error_map().items():
        app.add_exception_handler(error_type, _handler(status))
    app.add_exception_handler(UnicodeEncodeError, bad_unicode)
    app.add_exception_handler(DataError, nul_character)
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(BodyLimit, default=settings.max_body_bytes, larger=body_limits(settings))
    app.add_middleware(AuditTrail)  # staff changes and transcript reads (core/audit.py)

    @app.get("/health", tags=["ops"], responses={503: {"model": Health}})
    async def health(
        bot: Annotated[Bot, Depends(provided(Bot))],
        storage: Annotated[Storage, Depends(provided(Storage))],
        outbox: Annotated[Outbox, Depends(provided(Outbox))],
        response: Response,
    ) -> Health:
        """The database, free disk, the outbox's backlog and Rasa (cascade/health.py); 503
        when the database does not answer."""
        rasa_up = await bot.is_up()
        found = await run_in_threadpool(
            check_health, storage=storage, outbox=outbox, settings=settings, rasa_up=rasa_up
        )
        if found.database == "error":
            response.status_code = 503
        return found

    @app.get(
        "/api/me",
        tags=["auth"],
        summary="Who this token belongs to and its roles",
        response_model_exclude_unset=True,  # "agent" only for agents
    )
    def me(
        agents: Annotated[AgentService, Depends(provided(AgentService))], who: PrincipalDep
    ) -> Me:
        """Each web page signs in with a token and checks here that it holds the page's role."""
        found = Me(roles=sorted(role.value for role in who.roles), subject=who.subject)
        if who.has(Role.AGENT) and who.subject:
            found.agent = agents.get(who.subject)
        return found

    from bot.server import router as actions_router
    from conversations.api import router as conversations_router
    from core.audit_api import router as audit_router
    from core.auth_api import router as auth_router
    from core.staff import router as staff_router
    from handoff.api import ROUTERS as handoff_routers
    from handoff.conversation_routes import router as conversation_ticket_router
    from handoff.outbox_api import router as outbox_router
    from knowledge_base.api import router as kb_router
    from knowledge_base.changes_api import router as kb_changes_router
    from knowledge_base.quality_api import router as kb_quality_router
    from ops.api import router as ops_router
    from ops.articles import router as article_figures_router

    app.include_router(kb_router)
    app.include_router(kb_changes_router)
    app.include_router(kb_quality_router)
    app.include_router(conversations_router)
    app.include_router(conversation_ticket_router)
    for handoff_router in handoff_routers:
        app.include_router(handoff_router)
    app.include_router(outbox_router)
    app.include_router(ops_router)
    app.include_router(article_figures_router)
    app.include_router(staff_router)
    app.include_router(auth_router)
    app.include_router(audit_router)
    app.include_router(actions_router)
    web.mount(app)
    declare_sentence_errors(app)
    return app


def with_realtime(app: FastAPI) -> Any:
    """The ASGI app to serve: socket.io at /socket.io/, everything else to FastAPI."""
    import socketio

    return socketio.ASGIApp(app.state.realtime_server, other_asgi_app=app)


def _handler(status: int):
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        as_json = getattr(exc, "as_json", None)  # an error with more to say than its message
        body: dict[str, Any] = as_json() if as_json else {"detail": shortened(str(exc), 300)}
        return JSONResponse(body, status_code=status)

    return handle
