"""The per-request factory (another module than the old accessor's)."""

from __future__ import annotations

from .context import UserExecutionContext
from .manager import WebSocketManager


def create_websocket_manager(user_context: UserExecutionContext) -> WebSocketManager:
    if user_context is None:
        raise ValueError("a user context is required")
    return WebSocketManager(user_context)
