"""HTTP and WebSocket handlers."""

from __future__ import annotations

import threading
from typing import Any

from . import websocket_manager as ws
from .agent_service import AgentService, run_agent
from .context import UserExecutionContext

_current_user: str | None = None  # the user of "the" request
_request_state = threading.local()  # per thread: shared by every coroutine


async def handle_connect(websocket: Any, user_context: UserExecutionContext) -> None:
    manager = ws.get_websocket_manager()
    await manager.connect(user_context.user_id, websocket)


async def handle_message(user_context: UserExecutionContext, payload: dict[str, Any]) -> str:
    service = AgentService(user_context)
    result = await service.execute(payload["prompt"])
    await ws.get_websocket_manager().send_to_user(user_context.user_id, {"result": result})
    return result


async def handle_legacy_run(user_id: str, payload: dict[str, Any]) -> str:
    global _current_user
    _current_user = user_id
    _request_state.prompt = payload["prompt"]
    return await run_agent(user_id, payload["prompt"])


async def nightly_report() -> None:
    context = UserExecutionContext(user_id="system", thread_id="nightly", run_id="report")
    manager = ws.create_websocket_manager(context)
    await manager.broadcast({"type": "report"})


# what the websocket router dispatches to, by message type
HANDLERS = {
    "connect": handle_connect,
    "message": handle_message,
    "legacy_run": handle_legacy_run,
}
