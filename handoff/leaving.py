"""An agent leaving for good or for now (removed, or their account deactivated): nothing waits
on them any more. Offers go back as going offline gives them back, and the chats they had go
back to the queue with their history, the customer told, for a colleague to pick up."""

from __future__ import annotations

from conversations.errors import NotAssigned
from core.accounts import Account
from core.auth import Role
from handoff.agents import AgentService, AgentStatus
from handoff.desk import Desk
from handoff.errors import AgentNotFound
from handoff.queue import Queue


def give_back_work(agent_id: str, *, queue: Queue, desk: Desk) -> list[str]:
    """Withdraw the agent's offers and re-queue their chats (same skill; they are not offered
    them again); returns the chats re-queued."""
    queue.withdraw_offers(agent_id)
    requeued = []
    for conversation_id in queue.assigned_to(agent_id):
        try:
            desk.transfer(conversation_id, agent_id, skill=None, to_agent_id=None, note=None)
        except NotAssigned:  # resolved or moved on meanwhile
            continue
        requeued.append(conversation_id)
    queue.route()
    return requeued


def remove_agent(agent_id: str, *, agents: AgentService, queue: Queue, desk: Desk) -> None:
    """Revoke the agent's tokens first (at once), then give back what they had."""
    agents.remove(agent_id)
    give_back_work(agent_id, queue=queue, desk=desk)


def on_account_leaving(account: Account, *, agents: AgentService, queue: Queue, desk: Desk) -> None:
    """An agent's account deactivated or removed: the agent goes offline and gives back work."""
    if account.role is not Role.AGENT or account.agent_id is None:
        return
    try:
        agents.set_status(account.agent_id, AgentStatus.OFFLINE)
    except AgentNotFound:  # removed already: their work was given back then
        return
    give_back_work(account.agent_id, queue=queue, desk=desk)
