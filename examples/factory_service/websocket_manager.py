"""Per-user WebSocket managers, built by a factory from the user's context."""

from __future__ import annotations

from typing import Any

from .context import UserExecutionContext


class WebSocketManager:
    def __init__(self, user_context: UserExecutionContext) -> None:
        self.user_context = user_context
        # Instance state: belongs to this user's manager only.
        self._connections: list[Any] = []

    async def connect(self, websocket: Any) -> None:
        self._connections.append(websocket)

    async def send_to_user(self, message: dict[str, Any]) -> None:
        for websocket in self._connections:
            await websocket.send_json({**message, "user_id": self.user_context.user_id})


def create_websocket_manager(user_context: UserExecutionContext) -> WebSocketManager:
    return WebSocketManager(user_context)
