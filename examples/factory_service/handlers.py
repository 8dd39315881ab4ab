"""HTTP and WebSocket handlers."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from . import websocket_manager as ws
from .agent_service import AgentService
from .context import UserExecutionContext, background_context

_current_prompt: ContextVar[str] = ContextVar("current_prompt")  # one value per task


async def handle_connect(websocket: Any, user_context: UserExecutionContext) -> None:
    manager = ws.create_websocket_manager(user_context)
    await manager.connect(websocket)


async def handle_message(user_context: UserExecutionContext, payload: dict[str, Any]) -> str:
    service = AgentService(user_context)
    _current_prompt.set(payload["prompt"])
    result = await service.run_agent(payload["prompt"])
    await ws.create_websocket_manager(user_context).send_to_user({"result": result})
    return result


async def nightly_report(job_user_id: str, job_id: str) -> None:
    context = background_context(job_user_id, job_id)
    manager = ws.create_websocket_manager(context)
    await manager.send_to_user({"type": "report"})
