"""The process-wide WebSocket manager the service used to share between all users."""

from __future__ import annotations

import asyncio
from typing import Any

from .context import UserExecutionContext


class WebSocketManager:
    # Class attribute: one dict for every instance, so every user's manager.
    _connections: dict[str, list[Any]] = {}

    def __init__(self, user_context: UserExecutionContext | None = None) -> None:
        self.user_context = user_context
        self._lock = asyncio.Lock()

    async def connect(self, user_id: str, websocket: Any) -> None:
        self._connections.setdefault(user_id, []).append(websocket)

    async def send_to_user(self, user_id: str, message: dict[str, Any]) -> None:
        for websocket in self._connections.get(user_id, []):
            await websocket.send_json(message)

    async def broadcast(self, message: dict[str, Any]) -> None:
        for sockets in self._connections.values():
            for websocket in sockets:
                await websocket.send_json(message)


_manager: WebSocketManager | None = None


def get_websocket_manager() -> WebSocketManager:
    """The old accessor: one manager for the whole process."""
    global _manager
    if _manager is None:
        _manager = WebSocketManager()
    return _manager


class RunTracker:
    """One user's runs: `__init__` keeps the user id, an instance belongs to one user."""

    def __init__(self, user_id: str | None = None) -> None:
        self.user_id = user_id
        self._runs: list[str] = []

    def record(self, user_id: str, run_id: str) -> None:
        self._runs.append(run_id)  # whoever calls: the tracker's user gets the run


_tracker: RunTracker | None = None


def get_run_tracker() -> RunTracker:
    """A lazy getter through a local variable: one tracker for every user."""
    global _tracker
    if _tracker is None:
        tracker = RunTracker()
        _tracker = tracker
    return _tracker


def create_websocket_manager(user_context: UserExecutionContext) -> WebSocketManager:
    """The new factory (the migration is half done)."""
    return WebSocketManager(user_context)
