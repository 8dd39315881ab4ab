"""Request handlers: each holds the user's context."""

from __future__ import annotations

from typing import Any

from .context import UserExecutionContext
from .manager import get_websocket_manager
from .services import start_run


async def handle_connect(user_context: UserExecutionContext, socket: Any) -> None:
    manager = get_websocket_manager()
    manager.connect(user_context.user_id, socket)


async def handle_message(user_context: UserExecutionContext, text: str) -> None:
    await get_websocket_manager().send_to_user(user_context.user_id, {"echo": text})


async def handle_run(user_context: UserExecutionContext, prompt: str) -> str:
    return await start_run(user_context.user_id, prompt)


async def emit(user_id: str, message: dict[str, Any], context: UserExecutionContext | None = None) -> None:
    """Called with and without a context: passing `context` to the factory would raise."""
    await get_websocket_manager().send_to_user(user_id, message)
