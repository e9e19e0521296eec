"""Rasa custom actions. They run in the app runtime, next to the knowledge base they query."""

from bot.actions.contact import ActionAfterEmail, ActionEmailMe, ValidateEmailForm
from bot.actions.feedback import ActionFeedback
from bot.actions.handoff import ActionHandOver
from bot.actions.knowledge import ActionAnswerQuestion, ActionChooseArticle
from bot.actions.talk import (
    ActionAskEmail,
    ActionBotChallenge,
    ActionDefaultFallback,
    ActionGoodbye,
    ActionGreet,
    ActionThanks,
)

__all__ = [
    "ActionAfterEmail",
    "ActionAnswerQuestion",
    "ActionAskEmail",
    "ActionBotChallenge",
    "ActionDefaultFallback",
    "ActionGoodbye",
    "ActionGreet",
    "ActionThanks",
    "ActionChooseArticle",
    "ActionEmailMe",
    "ActionFeedback",
    "ActionHandOver",
    "ValidateEmailForm",
]
