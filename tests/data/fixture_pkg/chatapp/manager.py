"""The manager and the old process-wide accessor (the factory is in .factory)."""

from __future__ import annotations

from typing import Any

from .connections import SOCKETS
from .context import UserExecutionContext


class WebSocketManager:
    def __init__(self, user_context: UserExecutionContext | None = None) -> None:
        self.user_context = user_context

    def connect(self, user_id: str, socket: Any) -> None:
        SOCKETS.setdefault(user_id, []).append(socket)

    async def send_to_user(self, user_id: str, message: dict[str, Any]) -> None:
        for socket in SOCKETS.get(user_id, []):
            socket.append(message)


_manager: WebSocketManager | None = None


def get_websocket_manager() -> WebSocketManager:
    global _manager
    if _manager is None:
        _manager = WebSocketManager()
    return _manager
