"""Runs agents for users and reports their progress over WebSockets."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

from .context import UserExecutionContext
from .websocket_manager import create_websocket_manager

# No default: a context that never set it gets a LookupError, not a shared list.
current_events: ContextVar[list[str]] = ContextVar("current_events")


async def emit_progress(user_context: UserExecutionContext, percent: int) -> None:
    manager = create_websocket_manager(user_context)
    await manager.send_to_user({"type": "progress", "percent": percent})


class AgentService:
    def __init__(self, user_context: UserExecutionContext) -> None:
        self.user_context = user_context
        self.notifier = create_websocket_manager(user_context)
        # Per-request state lives on the per-request service.
        self._results: list[str] = []
        self._lock = asyncio.Lock()
        self._settings: dict[str, Any] | None = None

    def load_settings(self) -> dict[str, Any]:
        if self._settings is None:
            self._settings = {"user_id": self.user_context.user_id, "model": "default"}
        return self._settings

    async def run_agent(self, prompt: str) -> str:
        async with self._lock:
            self._results.append(prompt)
        await self.notifier.send_to_user({"type": "agent_started", "prompt": prompt})
        await emit_progress(self.user_context, 10)
        return f"{self.load_settings()['model']}: {prompt}"
