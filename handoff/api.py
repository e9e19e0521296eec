"""HTTP routes for agents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from cascade.auth import Principal, Role
from cascade.deps import PrincipalDep, ServicesDep, require
from handoff.agents import AgentIn, AgentStatus

router = APIRouter(prefix="/api/agents", tags=["agents"])


class StatusIn(BaseModel):
    status: AgentStatus


@router.post("", status_code=201, summary="Create an agent; the response holds its token")
def create_agent(
    body: AgentIn,
    services: ServicesDep,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> dict[str, Any]:
    agent, token = services.agents.create(body)
    return {**agent, "token": token}


@router.get("", summary="All agents")
def list_agents(
    services: ServicesDep, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> list[dict[str, Any]]:
    return services.agents.all()


def _self_or_admin(who: Principal, agent_id: str) -> None:
    if not (who.is_admin() or (who.has(Role.AGENT) and who.subject == agent_id)):
        raise HTTPException(403, "agents may only manage themselves")


@router.get("/{agent_id}", summary="One agent")
def get_agent(agent_id: str, services: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    _self_or_admin(who, agent_id)
    return services.agents.get(agent_id)


@router.put("/{agent_id}/status", summary="Go online, away or offline")
def set_status(
    agent_id: str, body: StatusIn, services: ServicesDep, who: PrincipalDep
) -> dict[str, Any]:
    _self_or_admin(who, agent_id)
    return services.agents.set_status(agent_id, body.status)
