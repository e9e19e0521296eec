"""Serving the custom actions from the app: rasa-sdk's executor behind a FastAPI route.

`endpoints.yml` points Rasa's action endpoint at `<app>/webhook` and has Rasa send the action
secret (CASCADE_ACTION_SECRET) as a bearer token: anyone else gets 401, and so does everyone when
no secret is configured, since the actions read the knowledge base on the caller's word.
"""

from __future__ import annotations

import functools
import hmac
import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from rasa_sdk.executor import ActionExecutor, ActionName
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

from bot.actions import (
    ActionAfterEmail,
    ActionAnswerQuestion,
    ActionAskEmail,
    ActionBotChallenge,
    ActionChooseArticle,
    ActionDefaultFallback,
    ActionEmailMe,
    ActionFeedback,
    ActionGoodbye,
    ActionGreet,
    ActionHandOver,
    ActionThanks,
    ValidateEmailForm,
)
from bot.actions.common import KnowledgeSource
from bot.languages import warm_up
from core.deps import SettingsDep, bearer

log = logging.getLogger(__name__)


@functools.cache
def _say_the_secret_is_unset() -> None:
    """Once per process, not once per refused call."""
    log.warning("action calls are refused: CASCADE_ACTION_SECRET is not set (README, production)")


def from_rasa(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Checked before the body is read: the caller holds the action secret."""
    secret = settings.action_secret.get_secret_value() if settings.action_secret else ""
    if not secret:
        _say_the_secret_is_unset()
    given = credentials.credentials if credentials else ""
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise HTTPException(
            401,
            "action calls need the action secret (CASCADE_ACTION_SECRET) as a bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(
    tags=["rasa actions"], include_in_schema=False, dependencies=[Depends(from_rasa)]
)


def build_executor(kb: KnowledgeSource) -> ActionExecutor:
    # The language check's models load in the background, not in the first customer's turn.
    threading.Thread(target=warm_up, name="language-models", daemon=True).start()
    executor = ActionExecutor()
    for action in (
        ActionAnswerQuestion(kb),
        ActionChooseArticle(kb),
        ActionFeedback(kb),
        ActionHandOver(kb),
        ActionEmailMe(kb),
        ActionAfterEmail(),
        ValidateEmailForm(),
        ActionGreet(kb),
        ActionGoodbye(kb),
        ActionThanks(kb),
        ActionBotChallenge(kb),
        ActionAskEmail(),
        ActionDefaultFallback(),
    ):
        executor.register_action(action)
    return executor


@router.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    try:
        action_call: Any = await request.json()
    except (ValueError, RecursionError):
        return JSONResponse({"error": "the body is not JSON"}, status_code=400)
    if (
        not isinstance(action_call, dict)
        or not isinstance(action_call.get("next_action"), str)
        or not isinstance(action_call.get("tracker"), dict)
    ):
        return JSONResponse(
            {"error": "expected a Rasa action call with next_action and tracker"}, status_code=400
        )
    executor: ActionExecutor = request.app.state.executor
    try:
        result = await executor.run(action_call)
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
    except ActionNotFoundException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
    except ActionMissingDomainException as exc:
        # As rasa-sdk's own server answers: Rasa sends the call again with the domain.
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=449)
    except (KeyError, TypeError, AttributeError) as exc:
        # rasa-sdk reads the tracker without checking it: a call missing parts is malformed.
        return JSONResponse(
            {"error": f"malformed action call ({exc.__class__.__name__}: {exc})"}, status_code=400
        )
    return JSONResponse(result.model_dump() if result else None)


@router.get("/actions")
async def actions(request: Request) -> list[ActionName]:
    executor: ActionExecutor = request.app.state.executor
    return executor.list_actions()
