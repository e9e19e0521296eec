"""Serving the custom actions from the app: rasa-sdk's executor behind a FastAPI route.

`endpoints.yml` points Rasa's action endpoint at `<app>/webhook`.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
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

router = APIRouter(tags=["rasa actions"], include_in_schema=False)


def build_executor(kb: KnowledgeSource) -> ActionExecutor:
    # The language check's models load in the background, not in the first customer's turn.
    threading.Thread(target=warm_up, name="language-models", daemon=True).start()
    executor = ActionExecutor()
    for action in (
        ActionAnswerQuestion(kb),
        ActionChooseArticle(kb),
        ActionFeedback(kb),
        ActionHandOver(kb),
        ActionEmailMe(),
        ActionAfterEmail(),
        ValidateEmailForm(),
        ActionGreet(),
        ActionGoodbye(),
        ActionThanks(),
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
